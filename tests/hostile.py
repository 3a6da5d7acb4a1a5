"""Values an attacker puts into resource fields that reach a command line, and a valid
resource of each kind to put them in. Shared by the model tests (tests/unit) and the
admission tests against the real API server (tests/integration)."""

from __future__ import annotations

import copy
from typing import Any

OPTION_SHAPED = ("-oProxyCommand=sh -c 'touch /tmp/pwned'", "--help")
SHELL_SHAPED = ("$(touch /tmp/x)", "a;b")
HOSTILE = OPTION_SHAPED + SHELL_SHAPED

VALID: dict[str, dict[str, Any]] = {
    "Server": {
        "address": "203.0.113.7",
        "user": "deploy",
        "publicAddress": "app.example.com",
        "hostKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHiZ3Ck5zXW7v0AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "sshKeySecretRef": {"name": "fra-1-ssh", "key": "ssh-privatekey"},
        "baseImages": ["python:3.11-slim"],
        "firewall": [{"port": 5432, "source": "203.0.113.0/24"}],
        "proxy": {"acmeCa": "https://acme.example.com/dir", "acmeEmail": "ops@example.com"},
    },
    "Application": {
        "source": {"git": {"url": "https://git.example.com/acme/shop.git", "ref": "main", "path": "apps/web"}},
        "domains": ["shop.example.com"],
        "services": [{"name": "web", "healthCheckPath": "/healthz"}],
        "planning": {"serverRef": {"name": "fra-1"}},
        "dns": {"rfc2136": {"nameserver": "ns1.example.com", "zone": "example.com", "tsigKeyName": "hydron",
                            "tsigSecretSecretRef": {"name": "dns-tsig", "key": "secret"}}},
    },
    "Deployment": {
        "serverRef": {"name": "fra-1"},
        "sourceRevision": "0123456789abcdef0123456789abcdef01234567",
        "services": [
            {"name": "web", "build": {"context": "apps/web"}, "dependsOn": ["db"], "volumes": ["/data"]},
            {"name": "db", "image": "postgres:16"},
        ],
        "dns": {"externalDNS": {"resolver": "ns1.example.com"}},
    },
    "InfraPlan": {
        "applicationRef": {"name": "shop"},
        "services": [{"name": "web", "image": "nginx:1.27", "context": "web", "healthCheck": {"path": "/up"},
                      "dependsOn": ["db"], "volumes": [{"name": "data", "path": "/var/lib/data"}]}],
        "firewall": [{"port": 5432, "source": "10.0.0.0/8"}],
        "routes": [{"domain": "shop.example.com", "path": "/", "service": "web", "port": 80}],
    },
}

# (kind, path into the spec, the words of the API server's and the model's message)
FIELDS: list[tuple[str, tuple[Any, ...], str]] = [
    ("Server", ("address",), "must be a host name or an IP address"),
    ("Server", ("user",), "must be a login name"),
    ("Server", ("publicAddress",), "must be a host name or an IP address"),
    ("Server", ("hostKey",), "must be one OpenSSH public key line"),
    ("Server", ("baseImages", 0), "must be an image reference"),
    ("Server", ("firewall", 0, "source"), "must be an address range in CIDR form"),
    ("Server", ("proxy", "acmeCa"), "must be an http:// or https:// URL"),
    ("Server", ("proxy", "acmeEmail"), "must be an e-mail address"),
    ("Application", ("source", "git", "url"), "must be an https://, http://, ssh://, git://, file:// or user@host:path Git URL"),
    ("Application", ("source", "git", "ref"), "must be a branch, tag or commit"),
    ("Application", ("source", "git", "path"), "must be a relative path inside the repository"),
    ("Application", ("services", 0, "name"), "must be a lower-case DNS label"),
    ("Application", ("services", 0, "healthCheckPath"), "must be a URL path"),
    ("Application", ("planning", "serverRef", "name"), "must be a Kubernetes object name"),
    ("Application", ("dns", "rfc2136", "nameserver"), "must be a host name or an IP address"),
    ("Deployment", ("serverRef", "name"), "must be a Kubernetes object name"),
    ("Deployment", ("sourceRevision",), "must be a commit SHA"),
    ("Deployment", ("services", 0, "build", "context"), "must be a relative path inside the repository"),
    ("Deployment", ("services", 0, "dependsOn", 0), "must be a lower-case DNS label"),
    ("Deployment", ("services", 0, "volumes", 0), "must be an absolute path inside the container"),
    ("Deployment", ("services", 1, "image"), "must be an image reference"),
    ("Deployment", ("dns", "externalDNS", "resolver"), "must be a host name or an IP address"),
    ("InfraPlan", ("services", 0, "image"), "must be an image reference"),
    ("InfraPlan", ("services", 0, "context"), "must be a relative path inside the repository"),
    ("InfraPlan", ("services", 0, "healthCheck", "path"), "must be a URL path"),
    ("InfraPlan", ("services", 0, "dependsOn", 0), "must be a lower-case DNS label"),
    ("InfraPlan", ("services", 0, "volumes", 0, "path"), "must be an absolute path inside the container"),
    ("InfraPlan", ("firewall", 0, "source"), "must be an address range in CIDR form"),
    ("InfraPlan", ("routes", 0, "path"), "must be a URL path"),
]
"""Every spec field whose value is handed to ssh, git, docker, curl, nft or a shell."""

# Whole source forms: an image or a template instead of the Git source.
SOURCE_FIELDS: list[tuple[str, dict[str, Any], tuple[Any, ...], str]] = [
    ("Application", {"image": {"name": "nginx:1.27"}}, ("source", "image", "name"), "must be an image reference"),
    ("Application", {"template": {"name": "ghost"}}, ("source", "template", "name"), "must be a lower-case DNS label"),
]

BAD_CIDRS = ("10.0.0.0/33", "everyone; flush ruleset", "10.0.0.0", "10.0.0.0/255.0.0.0", "0.0.0.0/0 ip saddr")


def with_value(kind: str, path: tuple[Any, ...], value: Any, source: dict[str, Any] | None = None) -> dict[str, Any]:
    """The valid spec of `kind` with the field at `path` set to `value`."""
    spec = copy.deepcopy(VALID[kind])
    if source is not None:
        spec["source"] = copy.deepcopy(source)
    node: Any = spec
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return spec


def cases() -> list[tuple[str, dict[str, Any], str]]:
    """(case id, spec, expected message words) for every field and every hostile value."""
    out = []
    for kind, path, words in FIELDS:
        for value in HOSTILE:
            out.append((f"{kind}.{'.'.join(map(str, path))}={value}", with_value(kind, path, value), words))
    for kind, source, path, words in SOURCE_FIELDS:
        for value in HOSTILE:
            out.append((f"{kind}.{'.'.join(map(str, path))}={value}", with_value(kind, path, value, source), words))
    return out
