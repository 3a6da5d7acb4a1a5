"""What differs between the distributions Hydron supports, as data.

Debian 12 (bookworm), Ubuntu 22.04 (jammy) and Ubuntu 24.04 (noble):
- Docker: `docker.io` on all three (Debian main; Ubuntu universe, enabled on
  Ubuntu's cloud images). Compose: Ubuntu packages the `docker compose` CLI plugin
  (`docker-compose-v2`); Debian 12 only the standalone Compose v1 (`docker-compose`
  1.29), which Hydron makes answer to `docker compose` as well.
- Caddy: in Debian 12 and Ubuntu 24.04 (universe); Ubuntu 22.04 has none, so the
  proxy step stops there with what to do instead of installing something else.
- nftables: same package everywhere; Ubuntu may also run ufw, whose iptables-nft
  tables coexist with Hydron's own table (a packet must pass both).
- sshd: unit `ssh` everywhere; Ubuntu 24.04 socket-activates it (`ssh.socket`),
  hence reloads use try-reload-or-restart.
- Security updates come from the `<codename>-security` suite on all three.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OsProfile:
    """Package names and service facts for one distribution release."""

    id: str
    version: str
    codename: str
    docker_package: str = "docker.io"
    compose_package: str = "docker-compose-v2"
    """Docker Compose: the CLI plugin where the release packages it."""
    caddy_package: str | None = "caddy"
    nftables_package: str = "nftables"
    node_exporter_package: str = "prometheus-node-exporter"
    ssh_unit: str = "ssh"
    curl_package: str = "curl"

    @property
    def label(self) -> str:
        return f"{self.id.capitalize()} {self.version} ({self.codename})"


KNOWN = {
    ("debian", "12"): OsProfile("debian", "12", "bookworm", compose_package="docker-compose"),
    ("ubuntu", "22.04"): OsProfile("ubuntu", "22.04", "jammy", caddy_package=None),
    ("ubuntu", "24.04"): OsProfile("ubuntu", "24.04", "noble"),
}

CADDY_MISSING_HINT = (
    "Caddy is not packaged for {label}; add Caddy's own apt repository on the server "
    "(see caddyserver.com/docs/install) or use Debian 12 or Ubuntu 24.04"
)


class UnsupportedOs(ValueError):
    """A distribution or release Hydron does not provision."""


def profile_for(os_id: str | None, version: str | None) -> OsProfile:
    """The profile of a supported release; UnsupportedOs names the supported ones."""
    profile = KNOWN.get(((os_id or "").lower(), version or ""))
    if profile is None:
        supported = ", ".join(p.label for p in KNOWN.values())
        raise UnsupportedOs(f"{os_id or 'unknown OS'} {version or ''}".strip() + f" is not supported; Hydron provisions {supported}")
    return profile
