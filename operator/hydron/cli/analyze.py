"""`hydron analyze PATH`: the analysis of a local checkout as a table for people, or JSON/YAML for scripts."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

from hydron.analysis import Analysis, analyze, as_document

OUTPUTS = ("table", "json", "yaml")


def analyze_command(path: str, output: str) -> int:
    """Print the analysis of the directory at path; 0 on success, 2 for a bad path or output format."""
    if output not in OUTPUTS:
        print(f"error: --output must be one of {', '.join(OUTPUTS)}, not {output!r}", file=sys.stderr)
        return 2
    root = Path(path)
    if not root.is_dir():
        print(f"error: {path} is not a directory", file=sys.stderr)
        return 2
    analysis = analyze(root)
    if output == "json":
        print(json.dumps(as_document(analysis), indent=2))
    elif output == "yaml":
        print(yaml.safe_dump(as_document(analysis), sort_keys=False, allow_unicode=True), end="")
    else:
        print(render_table(analysis), end="")
    return 0


def render_table(analysis: Analysis) -> str:
    """A compact overview; every fact's evidence is in the JSON and YAML output."""
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
    if analysis.databases:
        rows = [(d.name, d.kind, d.version or "-", ", ".join(d.used_by) or "-") for d in analysis.databases]
        sections.append(_columns(("DATABASE", "KIND", "VERSION", "USED BY"), rows))
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


def _columns(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [header, *rows]]
    return "\n".join(lines) + "\n"
