"""Pure parts of the registries step: what the engine's configuration should hold for
the Server's `spec.registries`. No I/O, so the merging rules are tested directly."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from hydron.api.server import RegistrySource
from hydron.remote.dockerconfig import LoginMissing, login_for  # noqa: F401 - used through this module


def mirror_urls(registries: Iterable[RegistrySource]) -> list[str]:
    """`registry-mirrors` entries, in the Server's order."""
    return [f"https://{r.host}" for r in registries if r.mirror]


def merged_mirrors(current: Sequence[str], ours_before: Sequence[str], wanted: Sequence[str]) -> list[str]:
    """The engine's mirror list: the ones someone else put there are kept (after ours),
    the ones Hydron wrote earlier and no longer wants are dropped."""
    dropped = {_norm(m) for m in ours_before} | {_norm(m) for m in wanted}
    kept = [m for m in current if _norm(m) not in dropped]
    return [*wanted, *kept]


def same_mirrors(a: Sequence[str], b: Sequence[str]) -> bool:
    """`docker info` lists `https://host/` for `https://host` in daemon.json."""
    return [_norm(m) for m in a] == [_norm(m) for m in b]


def _norm(url: str) -> str:
    return url.rstrip("/")


def config_differs(current: dict[str, Any], logins: dict[str, dict[str, str]]) -> list[str]:
    """Hosts whose login in root's Docker config is not the wanted one."""
    auths = current.get("auths") if isinstance(current.get("auths"), dict) else {}
    return sorted(host for host, login in logins.items() if (auths.get(host) or {}).get("auth") != login["auth"])


def merged_config(current: dict[str, Any], logins: dict[str, dict[str, str]]) -> dict[str, Any]:
    """Root's Docker config with Hydron's logins set; everything else kept."""
    auths = dict(current.get("auths") or {}) if isinstance(current.get("auths"), dict) else {}
    for host, login in logins.items():
        auths[host] = {**(auths.get(host) or {}), **login}
    return {**current, "auths": auths}
