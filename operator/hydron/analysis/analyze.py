"""The analysis entry point: one bounded walk, then detectors, then services with their evidence."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

from . import backing, links, monorepo
from .discover import discover
from .drafts import plan
from .limits import Limits
from .models import Analysis, Service
from .reader import SourceReader
from .service import Usage, build
from .skiplog import SkipLog
from .sources import Ownership
from .walk import walk


def analyze(root: Path, *, limits: Limits = Limits(), name: Optional[str] = None) -> Analysis:
    """What the checkout at root needs to run. Reads files only under root; never runs anything.

    name is what to call a service at the root that no manifest names (the repository's name); by
    default the folder's own name, unless that is a scratch folder (tmpab12cd, a checkout dir).
    """
    skips = SkipLog(limits.max_skipped_examples)
    tree = walk(str(root), limits, skips)
    tree.name = root_name(name, Path(tree.root))
    reader = SourceReader(tree.root, limits, skips)
    found = discover(tree, reader)
    arrangement = plan(found, tree.name, tree)
    ownership = Ownership(tree, {p.path for p in found.projects} | {p.source_root for p in found.projects
                                                                      if p.source_root})
    services: list[Service] = []
    usages: list[Usage] = []
    taken: set[str] = set()
    drafts = sorted(arrangement.drafts, key=lambda d: (d.path, d.name))
    warnings = []
    if len(drafts) > limits.max_services:
        warnings.append(f"Found {len(drafts)} services; only the first {limits.max_services} by path are listed.")
        drafts = drafts[: limits.max_services]
    for draft in drafts:
        service, usage = build(draft, _unique_name(draft.name, taken), tree, reader, ownership, limits)
        services.append(service)
        usages.append(usage)
    skipped = []
    for entry, draft in zip(arrangement.skipped, arrangement.skipped_drafts):
        if draft is not None:  # built apart: what it reads feeds no database or link of the deployed services
            name = _unique_name(draft.name, taken)
            entry = entry.model_copy(update={"name": name, "service": build(draft, name, tree, reader, ownership,
                                                                              limits)[0]})
        skipped.append(entry)
    databases, backing_needs = backing.resolve(usages, arrangement.backing_compose, limits.max_evidence_per_fact)
    sibling_needs = links.service_dependencies(usages, limits.max_evidence_per_fact)
    for service in services:
        needs = sibling_needs.get(service.name, []) + backing_needs.get(service.name, [])
        service.depends_on = sorted(needs, key=lambda d: (d.kind != "service", d.name))
    warnings += [w for usage in usages for w in usage.warnings]
    if not services:
        warnings.append(_nothing_deployable(arrangement.not_deployable))
    if tree.truncated or reader.out_of_budget:
        warnings.append("The analysis stopped at a limit before reading everything; see skippedCounts.")
    return Analysis(
        services=services,
        databases=databases,
        integrations=backing.integrations(usages, limits.max_evidence_per_fact),
        skipped_services=sorted(skipped, key=lambda s: (s.path, s.name)),
        monorepo=monorepo.detect(tree, reader, found, services),
        files_scanned=tree.file_count,
        truncated=tree.truncated or reader.out_of_budget,
        skipped=skips.examples(),
        skipped_counts=skips.counts(),
        warnings=warnings,
    )


_SCRATCH = re.compile(r"^(?:tmp|temp|hydron-|checkout|src$|repo$|source$|work$|workspace$|app$|[0-9a-f]{12,}$)"
                      r"|^\.|[_-](?:fetch|tmp|scratch)[_-]?\w*$", re.IGNORECASE)


def root_name(given: Optional[str], root: Path) -> str:
    """The given name, else the folder's, unless the folder is a temporary or generic one: then 'app'."""
    for candidate in (given, root.name):
        label = re.sub(r"[^a-z0-9-]+", "-", (candidate or "").lower()).strip("-")
        if label and (candidate == given or not _SCRATCH.search(candidate)):
            return label
    return "app"


def _unique_name(name: str, taken: set[str]) -> str:
    """A DNS label (it becomes a container and host name), unique within the analysis."""
    base = re.sub(r"[^a-z0-9-]+", "-", name.rpartition("/")[2].lower()).strip("-")[:55] or "app"
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    taken.add(candidate)
    return candidate


def _nothing_deployable(projects: list) -> str:
    if not projects:
        return "Nothing deployable found: no manifest, Dockerfile, compose file or index.html."
    reasons = "; ".join(f"in {p.path or '.'}, {p.not_deployable_reason}" for p in projects[:5])
    return f"Nothing deployable found: {reasons}."
