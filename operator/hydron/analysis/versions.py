"""Runtime versions from the small files that pin them (.nvmrc, .tool-versions, ...).

These files often sit at the repository root and apply to every project below, so
they are looked up from the project's directory towards the root.
"""

from __future__ import annotations

import re
from typing import Optional

from .models import Evidence, Language
from .project import DirContext

Version = tuple[str, Evidence]

_TOOL_LINE = re.compile(r"^[ \t]*([\w.-]+)[ \t]+(\S+)", re.MULTILINE)


def version_file(ctx: DirContext, name: str) -> Optional[Version]:
    """First meaningful line of a one-line version file such as .nvmrc or .python-version."""
    path = ctx.find_up(name)
    source = ctx.reader.source(path) if path else None
    if source is None:
        return None
    for index, line in enumerate(source.text.splitlines(), start=1):
        value = line.split("#", 1)[0].strip()
        if value:
            value = value[1:] if re.match(r"v\d", value) else value
            return value, Evidence(file=path, line=index, detail=f"{name} pins {value}")
    return None


def tool_version(ctx: DirContext, *tools: str) -> Optional[Version]:
    """Version from asdf/mise .tool-versions for the first of tools listed there."""
    path = ctx.find_up(".tool-versions")
    source = ctx.reader.source(path) if path else None
    if source is None:
        return None
    for match in source.matches(_TOOL_LINE):
        if match.group(1) in tools:
            value = match.group(2)
            return value, source.evidence(f".tool-versions pins {match.group(1)} {value}", match.start())
    return None


def language(name: str, manifest: Evidence, *candidates: Optional[Version]) -> Language:
    """The language with the first version any candidate states; all stated versions are evidence.
    Callers list exact pins (.nvmrc, .tool-versions) before ranges and minimums (engines, go directive)."""
    found = [c for c in candidates if c is not None]
    return Language(
        name=name,
        version=found[0][0] if found else None,
        evidence=[manifest] + [evidence for _, evidence in found[:2]],
        confidence="high",
    )
