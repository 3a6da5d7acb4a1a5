"""Which images a Dockerfile needs before it can be built: every `FROM` of every
stage and every `COPY --from=<image>`, as the engine will resolve them.

Pure text in, ordered list out, so the plan can name them long before the first
build (and they reach the server while it is still being provisioned).

What it resolves as Docker does: `ARG`s declared before the first `FROM` (with
their defaults, or build args given) are substituted into `FROM` lines; a `FROM`
naming an earlier stage (`AS name`, or its index) and `scratch` need no image;
`--platform=...` is a flag, not an image. A reference that still holds an unset
variable cannot be fetched ahead and is left out (the build names it if it fails).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_VARIABLE = re.compile(r"\$(?:\{(\w+)(?::?([-+])([^}]*))?\}|(\w+))")
_DIRECTIVE = re.compile(r"^#\s*escape\s*=\s*(\S)\s*$", re.IGNORECASE)


def needed_images(dockerfile: str, build_args: Mapping[str, str] | None = None) -> list[str]:
    """Image references the build pulls from somewhere, in first-use order, each once."""
    global_args: dict[str, str | None] = {}
    stages: set[str] = set()
    found: dict[str, None] = {}
    seen_from = False
    index = 0
    given = dict(build_args or {})
    for instruction, argument in _instructions(dockerfile):
        if instruction == "ARG" and not seen_from:
            for name, default in _arg_declarations(argument):
                global_args[name] = given.get(name, default)
        elif instruction == "FROM":
            seen_from = True
            words = [w for w in argument.split() if not w.startswith("--")]
            if not words:
                continue
            image = _substitute(words[0], global_args)
            stage = words[2].lower() if len(words) >= 3 and words[1].lower() == "as" else None
            if image is not None and _is_image(image, stages):
                found.setdefault(image)
            stages.add(str(index))
            index += 1
            if stage:
                stages.add(stage)
        elif instruction in ("COPY", "ADD") or (instruction == "RUN" and "--mount" in argument):
            for source in _from_flags(argument):
                # COPY --from values are not expanded from ARGs by the classic builder.
                if "$" not in source and _is_image(source, stages):
                    found.setdefault(source)
    return list(found)


def _is_image(reference: str, stages: set[str]) -> bool:
    return reference.lower() not in stages and reference.lower() != "scratch" and bool(reference)


def _from_flags(argument: str) -> list[str]:
    """`--from=x` of COPY/ADD, and `from=x` inside a RUN `--mount=...`."""
    sources = []
    for word in argument.split():
        if word.startswith("--from="):
            sources.append(word[len("--from="):])
        elif word.startswith("--mount="):
            for part in word[len("--mount="):].split(","):
                key, _, value = part.partition("=")
                if key == "from" and value:
                    sources.append(value)
    return sources


def _arg_declarations(argument: str) -> list[tuple[str, str | None]]:
    """`ARG A`, `ARG A=1`, `ARG A="x y" B=2` → [(name, default or None)]."""
    declared = []
    for match in re.finditer(r"(\w+)(?:=(\"[^\"]*\"|'[^']*'|\S*))?", argument):
        value = match.group(2)
        if value is not None and len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        declared.append((match.group(1), value))
    return declared


def _substitute(text: str, variables: Mapping[str, str | None]) -> str | None:
    """Docker's `$A`, `${A}`, `${A:-default}`, `${A:+alt}`; None when a variable stays unset."""
    unresolved = False

    def value(match: re.Match[str]) -> str:
        nonlocal unresolved
        name = match.group(1) or match.group(4)
        current = variables.get(name)
        operator, word = match.group(2), match.group(3) or ""
        if operator == "-":
            return current if current else word
        if operator == "+":
            return word if current else ""
        if current is None:
            unresolved = True
            return ""
        return current

    result = _VARIABLE.sub(value, text)
    return None if unresolved else result


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, argument): continuation lines joined (the escape directive honoured),
    comments and here-document bodies' blank lines dropped."""
    lines = text.splitlines()
    escape = "\\"
    for line in lines:  # parser directives come first, before any instruction or blank line
        directive = _DIRECTIVE.match(line.strip())
        if not directive:
            break
        escape = directive.group(1)
    found: list[tuple[str, str]] = []
    parts: list[str] = []
    for raw in lines:
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and not parts):
            continue
        if stripped.endswith(escape):
            parts.append(stripped[: -len(escape)])
            continue
        parts.append(stripped)
        joined = " ".join(p for p in parts if p)
        parts = []
        word, _, argument = joined.partition(" ")
        if word.isalpha():
            found.append((word.upper(), argument.strip()))
    return found
