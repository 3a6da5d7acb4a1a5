"""Checks for string fields whose values reach a command line (ssh, git, docker, curl,
nft, a shell).

Each is checked twice with the same rule: by the API server at `kubectl apply` (a CEL
rule with a message a person reads) and by the model (the operator, the plugin and
the planner refuse it too). None lets a value begin with '-' (an option to the program
it is handed to) or hold a shell metacharacter. The regular expressions keep to what
RE2 (CEL) and Python read alike, and are anchored: CEL's matches() is not.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, Field


def _cel(rule: str, message: str) -> dict[str, str]:
    return {"rule": rule, "message": message}


def _validations(*rules: dict[str, str]) -> dict[str, Any]:
    return {"x-kubernetes-validations": list(rules)}


def cel_string(text: str) -> str:
    """A CEL string literal holding `text` exactly."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _checked(test: Callable[[str], bool], message: str) -> AfterValidator:
    def check(value: str) -> str:
        if not test(value):
            raise ValueError(message)
        return value

    return AfterValidator(check)


@dataclass(frozen=True)
class StringCheck:
    """One rule for a string field, as CEL and as the equivalent Python test."""

    rule: str
    message: str
    test: Callable[[str], bool]
    max_length: int

    @property
    def cel(self) -> dict[str, str]:
        return _cel(self.rule, self.message)

    def type(self, *more: dict[str, str]) -> Any:
        """The checked string type; `more` adds CEL rules (e.g. IMMUTABLE) to this one."""
        return Annotated[
            str,
            Field(min_length=1, max_length=self.max_length, json_schema_extra=_validations(self.cel, *more)),
            _checked(self.test, self.message),
        ]

    def __call__(self, value: str) -> bool:
        return self.test(value)


def matching(regex: str, message: str, max_length: int, *, no_dot_dot: bool = False) -> StringCheck:
    """A check by an anchored regular expression (RE2 and Python agree on the subset used)."""
    assert regex.startswith("^") and regex.endswith("$"), regex
    compiled = re.compile(regex)
    rule = f"self.matches({cel_string(regex)})"
    if no_dot_dot:
        rule += " && !self.contains('..')"

    def test(value: str) -> bool:
        return compiled.fullmatch(value) is not None and not (no_dot_dot and ".." in value)

    return StringCheck(rule, message, test, max_length)


_LABEL = r"[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?"
HOSTNAME_RE = rf"^{_LABEL}(\.{_LABEL})*\.?$"


def _is_host(value: str) -> bool:
    if re.fullmatch(HOSTNAME_RE, value):
        return True
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return ":" in value and "%" not in value  # IPv6 without a zone; IPv4 matched above


HOST = StringCheck(
    f"self.matches({cel_string(HOSTNAME_RE)}) || (self.contains(':') && isIP(self))",
    "must be a host name or an IP address (letters, digits, '-' and '.', not beginning with '-')",
    _is_host,
    253,
)
"""A host name, an IPv4 or an IPv6 address (ssh, the health check, the proxy)."""

USER = matching(
    r"^[A-Za-z_][A-Za-z0-9_.-]{0,31}$",
    "must be a login name: a letter or '_', then letters, digits, '_', '.' or '-' (at most 32)",
    256,
)

_COMPONENT = r"[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*"
_REGISTRY = r"([A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*(:[0-9]+)?/)?"
IMAGE = matching(
    rf"^{_REGISTRY}{_COMPONENT}(/{_COMPONENT})*(:[A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}})?(@[a-z0-9]+([+._-][a-z0-9]+)*:[0-9a-fA-F]{{32,}})?$",
    "must be an image reference such as ghcr.io/acme/api:1.4 or python:3.11-slim (lower-case name, optional tag and digest)",
    255,
)

GIT_REF = matching(
    r"^[A-Za-z0-9_][A-Za-z0-9_./+-]*$",
    "must be a branch, tag or commit: letters, digits, '_', '.', '/', '+' or '-', not beginning with '-' and without '..'",
    255,
    no_dot_dot=True,
)

COMMIT = matching(r"^[0-9a-f]{4,64}$", "must be a commit SHA (4 to 64 lower-case hex digits)", 64)

RELATIVE_PATH = matching(
    r"^[A-Za-z0-9_.@+][A-Za-z0-9_.@+/-]*$",
    "must be a relative path inside the repository: letters, digits and _ . @ + / -, not beginning "
    "with '/' or '-', without '..'",
    1024,
    no_dot_dot=True,
)

CONTAINER_PATH = matching(
    r"^/[A-Za-z0-9_.@+/-]*$",
    "must be an absolute path inside the container: '/' then letters, digits and _ . @ + / -",
    1024,
)

URL_PATH = matching(
    r"^/[A-Za-z0-9._~%/+=&?:@,-]*$",
    "must be a URL path: '/' then letters, digits and . _ ~ % / + = & ? : @ , -",
    2048,
)

HTTP_URL = matching(
    r"^https?://[A-Za-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9._~%/+=&?:@,-]*)?$",
    "must be an http:// or https:// URL (host, optional port and path, no spaces or quotes)",
    2048,
)

EMAIL = matching(
    r"^[A-Za-z0-9_][A-Za-z0-9._%+-]*@[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$",
    "must be an e-mail address such as ops@example.com",
    254,
)

HOST_KEY = matching(
    r"^(ssh|ecdsa|sk)-[a-z0-9@.-]+ [A-Za-z0-9+/]+={0,3}( [ -~]*)?$",
    "must be one OpenSSH public key line: `ssh-ed25519 AAAA...` (one line, printable characters)",
    16384,
)

NAME = matching(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
    "must be a lower-case DNS label: letters, digits and '-', beginning and ending with a letter or digit",
    63,
)
"""Service, template and network names."""

OBJECT_NAME = matching(
    r"^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$",
    "must be a Kubernetes object name: lower-case letters, digits, '-' and '.'",
    253,
)

_GIT_URL_FORMS = (r"^(https?|ssh|git|file)://[^\s]+$", r"^[A-Za-z0-9._][A-Za-z0-9._-]*@[A-Za-z0-9][A-Za-z0-9.-]*:[^\s]+$")
_OPTION_AFTER = r"(://|@|:)-"


def _is_git_url(value: str) -> bool:
    return any(re.fullmatch(form, value) for form in _GIT_URL_FORMS) and not re.search(_OPTION_AFTER, value)


GIT_URL = StringCheck(
    "(" + " || ".join(f"self.matches({cel_string(form)})" for form in _GIT_URL_FORMS) + ")"
    + f" && !self.matches({cel_string(_OPTION_AFTER)})",
    "must be an https://, http://, ssh://, git://, file:// or user@host:path Git URL, without spaces and with no "
    "part beginning with '-'",
    _is_git_url,
    2048,
)


def _is_cidr(value: str) -> bool:
    """An address range with an explicit prefix length, e.g. 203.0.113.0/24 or 2001:db8::/32."""
    if not re.fullmatch(r"[0-9A-Fa-f:.]+/[0-9]{1,3}", value):
        return False
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True


CIDR = StringCheck(
    "isCIDR(self)",
    "must be an address range in CIDR form, e.g. 203.0.113.0/24, 0.0.0.0/0 or 2001:db8::/32",
    _is_cidr,
    64,
)
