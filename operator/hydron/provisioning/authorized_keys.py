"""People's SSH keys in authorized_keys, beside Hydron's own: pure text in, text out.

Hydron owns one marked block of the file and nothing else: lines outside it (Hydron's
key, keys an admin added by hand) are never changed. The block holds the keys the
Server's spec names; a key removed there leaves the block at the next pass. Hydron's
own key is never in the block, so removing it from a list cannot lock Hydron out; if
it is missing outside the block, it is added there.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncssh

BEGIN = "# BEGIN keys managed by Hydron (Server spec.authorizedKeys); edits inside this block are replaced"
END = "# END keys managed by Hydron"


class InvalidKeys(ValueError):
    """A line of a key source that is not an SSH public key."""


def identity(line: str) -> tuple[str, str] | None:
    """(type, base64 blob) of a key line, ignoring options and comment; None for other lines."""
    words = line.split()
    for i, word in enumerate(words[:-1]):
        if word.startswith(("ssh-", "ecdsa-", "sk-")) and len(words[i + 1]) > 16:
            return word, words[i + 1]
    return None


def parse_keys(text: str, where: str) -> list[str]:
    """The public keys of a source (one per line; blank lines and # comments skipped)."""
    keys = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            asyncssh.import_public_key(line)
        except (asyncssh.KeyImportError, ValueError):
            raise InvalidKeys(f"line {number} of {where} is not an SSH public key (`ssh-ed25519 AAAA... comment`); "
                              "options such as from= are not supported here") from None
        keys.append(" ".join(line.split()))
    return keys


def outside_block(text: str) -> list[str]:
    lines, inside = [], False
    for line in text.splitlines():
        if line == BEGIN:
            inside = True
        elif line == END and inside:
            inside = False
        elif not inside:
            lines.append(line)
    return lines


def managed(text: str) -> list[str]:
    """The keys now in Hydron's block."""
    lines, inside = [], False
    for line in text.splitlines():
        if line == BEGIN:
            inside = True
        elif line == END:
            inside = False
        elif inside and line.strip():
            lines.append(line)
    return lines


def has_key(lines: Sequence[str], key: str | None) -> bool:
    """Is `key` among these lines (True when there is no key to look for)?"""
    return key is None or identity(key) in {identity(line) for line in lines}


def render(current: str, wanted: Sequence[str], hydron_key: str | None) -> str:
    """The whole file as it should be: what is outside the block kept, Hydron's key present,
    the block holding `wanted` minus keys already outside it (no block when none are left)."""
    kept = outside_block(current)
    present = {identity(line) for line in kept} - {None}
    if hydron_key and identity(hydron_key) not in present:
        kept.append(hydron_key.strip())
        present.add(identity(hydron_key))
    while kept and not kept[-1].strip():
        kept.pop()
    block, seen = [], set(present)
    for key in wanted:
        ident = identity(key)
        if ident not in seen:
            block.append(key)
            seen.add(ident)
    lines = kept + ([BEGIN, *block, END] if block else [])
    return "\n".join(lines) + "\n" if lines else ""
