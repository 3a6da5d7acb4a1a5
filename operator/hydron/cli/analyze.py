"""`hydron analyze PATH`: the analysis of a local checkout as a table for people, or JSON/YAML for scripts."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import yaml

from hydron.analysis import Analysis, analyze, as_document
from hydron.analysis.models import Service

OUTPUTS = ("table", "json", "yaml")


def analyze_command(path: str, output: str, name: Optional[str] = None) -> int:
    """Print the analysis of the directory at path; 0 on success, 2 for a bad path or output format."""
    if output not in OUTPUTS:
        print(f"error: --output must be one of {', '.join(OUTPUTS)}, not {output!r}", file=sys.stderr)
        return 2
    root = Path(path)
    if not root.is_dir():
        print(f"error: {path} is not a directory", file=sys.stderr)
        return 2
    analysis = analyze(root, name=name)
    if output == "json":
        print(json.dumps(as_document(analysis), indent=2))
    elif output == "yaml":
        print(yaml.safe_dump(as_document(analysis), sort_keys=False, allow_unicode=True), end="")
    else:
        print(render_table(analysis), end="")
    return 0


def render_table(analysis: Analysis) -> str:
    """An overview, then each service's facts with their confidence and evidence, then what is not a service."""
    sections = []
    if analysis.services:
        rows = [
            (
                s.name,
                s.path,
                s.role.value,
                " ".join(filter(None, [s.language.name, s.language.version])) if s.language else "-",
                s.framework.name if s.framework else "-",
                str(s.port.value) if s.port else "-",
                s.health_check.path if s.health_check else "-",
                ", ".join(d.name for d in s.depends_on) or "-",
            )
            for s in analysis.services
        ]
        sections.append(_columns(("SERVICE", "PATH", "ROLE", "LANGUAGE", "FRAMEWORK", "PORT", "HEALTH", "DEPENDS ON"),
                                 rows))
    else:
        sections.append("No deployable service found.\n")
    for service in analysis.services:
        sections.append(f"{service.name} ({service.path}): evidence\n" + _columns(
            ("FACT", "VALUE", "CONFIDENCE", "EVIDENCE"), _fact_rows(service)))
    if analysis.skipped_services:
        rows = [(s.name, s.path, s.reason + (" (suggestion)" if s.suggestion else ""), s.detail)
                for s in analysis.skipped_services]
        sections.append(_columns(("NOT A SERVICE", "PATH", "REASON", "WHY"), rows))
    if analysis.databases:
        rows = [(d.name, d.kind, d.version or "-", ", ".join(d.used_by) or "-", d.confidence,
                 "; ".join(f"{e.file}{f':{e.line}' if e.line else ''} {e.detail}" for e in d.evidence[:2]))
                for d in analysis.databases]
        sections.append(_columns(("DATABASE", "KIND", "VERSION", "USED BY", "CONFIDENCE", "EVIDENCE"), rows))
    if analysis.integrations:
        rows = [(i.name, i.category, ", ".join(i.used_by)) for i in analysis.integrations]
        sections.append(_columns(("INTEGRATION", "CATEGORY", "USED BY"), rows))
    env_rows = [
        (s.name, v.name, "yes" if v.secret else "no", "yes" if v.required else "no", v.default or "-")
        for s in analysis.services for v in s.env
    ]
    if env_rows:
        sections.append(_columns(("SERVICE", "ENV", "SECRET", "REQUIRED", "DEFAULT"), env_rows))
    footer = [f"Files scanned: {analysis.files_scanned}"]
    if analysis.monorepo:
        footer.append(f"Monorepo: {', '.join(analysis.monorepo.tools)}")
    if analysis.skipped_counts:
        footer.append("Skipped: " + ", ".join(f"{c.count} {c.reason}" for c in analysis.skipped_counts))
    footer += [f"Warning: {w}" for w in analysis.warnings]
    sections.append("\n".join(footer) + "\n")
    return "\n".join(sections)


def _fact_rows(service: Service) -> list[tuple[str, ...]]:
    """One row per fact and piece of evidence: the value and confidence on the first, the places below."""
    facts = [
        ("role", service.role, service.role.value),
        ("language", service.language, " ".join(filter(None, [service.language.name, service.language.version]))
         if service.language else ""),
        ("framework", service.framework, service.framework.name if service.framework else ""),
        ("port", service.port, str(service.port.value) if service.port else ""),
        ("health", service.health_check, service.health_check.path if service.health_check else ""),
        ("start", service.start_command, service.start_command.value if service.start_command else ""),
        ("entry", service.entry_point, service.entry_point.file if service.entry_point else ""),
    ]
    rows = []
    for label, fact, value in facts:
        if fact is None:
            continue
        places = [f"{e.file}{f':{e.line}' if e.line else ''} {e.detail}" for e in fact.evidence] or ["-"]
        rows.append((label, value[:40], fact.confidence, places[0]))
        rows += [("", "", "", place) for place in places[1:]]
    for dependency in service.depends_on:
        place = dependency.evidence[0] if dependency.evidence else None
        rows.append(("needs", dependency.name, dependency.confidence,
                     f"{place.file}{f':{place.line}' if place.line else ''} {place.detail}" if place else "-"))
    return rows


def _columns(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [header, *rows]]
    return "\n".join(lines) + "\n"
