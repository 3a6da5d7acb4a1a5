"""The suite's check that Secret values stay in their Secrets (issue: secrets never reach
logs, events, status or the server's state folder).

Pure part: which strings of a Secret count as its secret (`secret_needles`) and where
they occur in a text (`find_needles`). I/O part: `SecretLedger` lists the Secrets of the
session's control plane, greps a test-bed server's /var/lib/hydron before the server
is removed, and keeps what it found until the suite's final scan reads it.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import tarfile
from dataclasses import dataclass, field

from kubernetes import client, config

# Shorter values ("true", a port, a user name) occur everywhere by chance.
MIN_NEEDLE = 10
# Keys that hold public material by convention (certificates, public keys, known hosts).
PUBLIC_KEY_SUFFIXES = (".crt", ".pub", ".pem.pub", "known_hosts", "ca.crt", "publickey")
PUBLIC_LINE_PREFIXES = ("-----", "ssh-ed25519 ", "ssh-rsa ", "ecdsa-sha2-", "sk-ssh-", "sk-ecdsa-")
# Secret types Kubernetes itself writes: tokens of service accounts are not ours to police.
IGNORED_TYPES = ("kubernetes.io/service-account-token", "helm.sh/release.v1")
SERVER_STATE_DIR = "/var/lib/hydron"
PATTERNS_PATH = "/tmp/.hydron-secret-needles"


@dataclass(frozen=True)
class Hit:
    """A secret found somewhere it should not be: where, and whose (never the value)."""

    where: str
    secret: str


def secret_needles(secret: dict) -> dict[str, str]:
    """{needle: "namespace/name[key]"} for one Secret object (as the API returns it).
    A multi-line value (a private key, a dotenv file) gives one needle per line."""
    if secret.get("type") in IGNORED_TYPES:
        return {}
    meta = secret.get("metadata") or {}
    owner = f"{meta.get('namespace')}/{meta.get('name')}"
    needles: dict[str, str] = {}
    for key, encoded in (secret.get("data") or {}).items():
        if key.endswith(PUBLIC_KEY_SUFFIXES):
            continue
        text = _decode(encoded)
        for line in (text or "").splitlines():
            line = line.strip()
            if len(line) >= MIN_NEEDLE and not line.startswith(PUBLIC_LINE_PREFIXES):
                needles[line] = f"{owner}[{key}]"
    return needles


def _decode(encoded: str) -> str | None:
    try:
        return base64.b64decode(encoded).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def find_needles(text: str, needles: dict[str, str], where: str) -> list[Hit]:
    """Every needle that occurs in `text`, as hits attributed to `where`."""
    return [Hit(where, owner) for needle, owner in needles.items() if needle in text]


def grep_output_hits(output: str, needles: dict[str, str], server: str) -> list[Hit]:
    """Hits from `grep -rHoF` output lines (`path:match`)."""
    hits = set()
    for line in output.splitlines():
        path, _, match = line.partition(":")
        owner = needles.get(match)
        if owner:
            hits.add(Hit(f"{server}:{path}", owner))
    return sorted(hits, key=lambda hit: (hit.where, hit.secret))


@dataclass
class SecretLedger:
    """What the session's servers held at removal, for the final scan."""

    kubeconfig: str | None = None
    hits: list[Hit] = field(default_factory=list)
    servers_scanned: int = 0

    def needles(self) -> dict[str, str]:
        """The secret strings of every Secret on the session's control plane (none before it starts)."""
        if self.kubeconfig is None:
            return {}
        api = config.new_client_from_config(config_file=self.kubeconfig)
        try:
            listing = client.CoreV1Api(api).list_secret_for_all_namespaces(_preload_content=False)
            items = json.loads(listing.data).get("items", [])
        finally:
            api.close()
        needles: dict[str, str] = {}
        for secret in items:
            needles.update(secret_needles(secret))
        return needles

    def scan_server(self, container, needles: dict[str, str] | None = None) -> None:
        """Grep a server's state folder for secret values before the container goes.
        A stopped or already removed server is skipped: there is nothing left to leak."""
        needles = self.needles() if needles is None else needles
        if not needles:
            return
        try:
            container.reload()
            if container.status != "running":
                return
            container.put_archive("/", _patterns_tar("\n".join(needles) + "\n"))
            result = container.exec_run(["grep", "-rHoF", "-f", PATTERNS_PATH, SERVER_STATE_DIR])
        except Exception:  # the server is going anyway; a failed scan is not a leak
            return
        self.servers_scanned += 1
        self.hits.extend(grep_output_hits(result.output.decode("utf-8", "replace"), needles, container.name))


def _patterns_tar(text: str) -> bytes:
    buffer = io.BytesIO()
    data = text.encode()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo(PATTERNS_PATH.lstrip("/"))
        info.size, info.mode = len(data), 0o600
        tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()
