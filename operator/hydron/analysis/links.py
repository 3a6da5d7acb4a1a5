"""Service-to-service dependencies: compose depends_on, URLs whose host is a sibling, env names that name one."""

from __future__ import annotations

import re
from typing import Optional

from .evidence import relabel
from .models import CONFIDENCE_RANK, Confidence, Dependency, Evidence
from .service import Usage

_CODE_URL = re.compile(r"https?://([a-z0-9][a-z0-9-]*)(?::\d+)?[/'\"`\s]")
_PUBLIC_PREFIXES = ("NEXT_PUBLIC_", "NUXT_PUBLIC_", "VITE_", "REACT_APP_", "PUBLIC_", "EXPO_PUBLIC_")
_ADDRESS_SUFFIXES = ("_BASE_URL", "_URL", "_URI", "_HOST", "_ADDR", "_ADDRESS", "_ENDPOINT", "_ORIGIN")


def service_dependencies(usages: list[Usage], max_evidence: int) -> dict[str, list[Dependency]]:
    """For each service, the sibling services it needs to find running."""
    aliases: dict[str, str] = {}
    for usage in usages:
        aliases[usage.service] = usage.service
        if usage.draft.compose:
            aliases[usage.draft.compose.name] = usage.service
    result: dict[str, list[Dependency]] = {}
    for usage in usages:
        found: list[Dependency] = []

        def add(alias: str, evidence: Evidence, confidence: Confidence) -> None:
            target = aliases.get(alias)
            if target and target != usage.service:
                add_dependency(found, target, "service", evidence, confidence, max_evidence)

        compose = usage.draft.compose
        for name in compose.depends_on if compose else []:
            add(name, compose.evidence(compose.depends_line, f"depends_on {name}"), "high")
        for mention in usage.env.urls:
            confidence = "high" if compose and mention.evidence.file == compose.file else "medium"
            add(mention.host, relabel(mention.evidence, f"{mention.variable} points at {mention.host}"), confidence)
        for name in sorted(usage.env.names()):
            alias = _named_service(name, aliases)
            if alias:
                add(alias, relabel(usage.env.first_evidence(name), f"{name} names service {alias}"), "medium")
        for source in usage.sources:
            for match in source.matches(_CODE_URL):
                if match.group(1) in aliases:
                    add(match.group(1), source.evidence(f"calls http://{match.group(1)}", match.start()), "medium")
        result[usage.service] = found
    return result


def _named_service(variable: str, aliases: dict[str, str]) -> Optional[str]:
    """API_URL, NEXT_PUBLIC_API_URL and USERS_SERVICE_HOST name the services api and users."""
    name = variable.upper()
    for prefix in _PUBLIC_PREFIXES:
        name = name.removeprefix(prefix)
    suffix = next((s for s in _ADDRESS_SUFFIXES if name.endswith(s)), None)
    if suffix is None:
        return None
    stem = name[: -len(suffix)].removesuffix("_SERVICE")
    for alias in aliases:
        normalized = alias.upper().replace("-", "_")
        if stem and stem in (normalized, normalized.removesuffix("_SERVICE")):
            return alias
    return None


def add_dependency(found: list[Dependency], name: str, kind: str, evidence: Evidence, confidence: Confidence,
                   max_evidence: int) -> None:
    """Add a dependency or strengthen the one already there."""
    existing = next((d for d in found if d.name == name), None)
    if existing is None:
        found.append(Dependency(name=name, kind=kind, evidence=[evidence], confidence=confidence))
        return
    if len(existing.evidence) < max_evidence and not any(
        (e.file, e.line) == (evidence.file, evidence.line) for e in existing.evidence
    ):
        existing.evidence.append(evidence)
    if CONFIDENCE_RANK[confidence] > CONFIDENCE_RANK[existing.confidence]:
        existing.confidence = confidence
