"""Remove credentials from text before it reaches a message, a log or a status.

Git's stderr is untrusted: a misbehaving server can echo what it was sent, and a URL
someone typed can carry a password. Everything that leaves this package as a message
goes through a :class:`Scrubber` built from the credentials in use.
"""

from __future__ import annotations

import base64
import re
from typing import Iterable
from urllib.parse import quote

REDACTED = "***"

# Secrets shorter than this are not searched for: scrubbing "ab" would mangle messages,
# and a secret that short protects nothing anyway.
MIN_SECRET_LEN = 4

_GENERIC = [
    # userinfo in http(s) URLs (a bare "token@" is common there), user:password elsewhere
    (re.compile(r"(?i)\b(https?://)[^/@\s'\"]+@"), r"\1" + REDACTED + "@"),
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/@:\s'\"]*:)[^/@\s'\"]+@"), r"\1" + REDACTED + "@"),
    # HTTP auth headers that curl or a proxy might print
    (re.compile(r"(?i)\b(authorization|proxy-authorization)(\s*:\s*)(\S+)(\s+\S+)?"), r"\1\2" + REDACTED),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9+/=._~-]{8,}"), r"\1 " + REDACTED),
    # key=value pairs from a credential helper protocol dump
    (re.compile(r"(?im)^(\s*password\s*=\s*).+$"), r"\1" + REDACTED),
    # PEM bodies
    (
        re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)", re.S),
        "-----BEGIN PRIVATE KEY-----" + REDACTED + "-----END PRIVATE KEY-----",
    ),
]


def _variants(secret: str, usernames: Iterable[str]) -> set[str]:
    """The forms a secret can take on the wire or in a URL."""
    out = {secret, quote(secret, safe=""), base64.b64encode(secret.encode()).decode()}
    for user in usernames:
        out.add(base64.b64encode(f"{user}:{secret}".encode()).decode())
    # A multi-line secret (an SSH key) may surface one line at a time.
    if "\n" in secret:
        for line in secret.splitlines():
            line = line.strip()
            if len(line) >= 16 and not line.startswith("-----"):
                out.add(line)
    return {v for v in out if len(v) >= MIN_SECRET_LEN}


class Scrubber:
    """Replaces known secrets and anything that looks like a credential."""

    def __init__(self, secrets: Iterable[str] = (), usernames: Iterable[str] = ()) -> None:
        users = [u for u in usernames if u]
        found: set[str] = set()
        for s in secrets:
            if s:
                found |= _variants(s, users)
        # Longest first so a short variant never splits a longer one.
        self._secrets = sorted(found, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        return self.scrub(text)

    def scrub(self, text: str) -> str:
        for s in self._secrets:
            text = text.replace(s, REDACTED)
        for pattern, repl in _GENERIC:
            text = pattern.sub(repl, text)
        return text
