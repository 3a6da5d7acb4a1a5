"""`kubectl hydron ssh SERVER [-- COMMAND]`: a shell on a server with the key and the
pinned host key Hydron already holds, so nobody copies private keys around.

The key goes to a 0600 file in a private temporary directory that is removed when
ssh exits; host key checking is strict against the pinned key only.
"""

from __future__ import annotations

import base64
import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hydron.cli.plugin_kube import PluginError, Session


def known_hosts_line(address: str, port: int, host_key: str) -> str:
    """OpenSSH's known_hosts form: a non-default port goes in brackets."""
    host = address if port == 22 else f"[{address}]:{port}"
    return f"{host} {host_key.strip()}\n"


def ssh_argv(server: dict[str, Any], key_file: Path, known_hosts: Path, command: list[str]) -> list[str]:
    """The ssh command line: this key only, the pinned host key only."""
    spec = server["spec"]
    return [
        "ssh", "-i", str(key_file),
        "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
        "-o", f"UserKnownHostsFile={known_hosts}", "-o", "GlobalKnownHostsFile=/dev/null",
        "-o", "StrictHostKeyChecking=yes",
        "-p", str(spec.get("port", 22)),
        f"{spec.get('user', 'root')}@{spec['address']}",
        *command,
    ]


def pinned_host_key(server: dict[str, Any]) -> str:
    key = server["spec"].get("hostKey") or (server.get("status") or {}).get("hostKey")
    if not key:
        name = server["metadata"]["name"]
        raise PluginError(
            f"Server {name} has no pinned host key yet: wait until it is Reachable "
            f"(kubectl wait --for=condition=Reachable server/{name}) or set spec.hostKey."
        )
    return key


def _private_key(session: Session, server: dict[str, Any]) -> str:
    from kubernetes import client

    ref = server["spec"]["sshKeySecretRef"]
    try:
        secret = client.CoreV1Api(session.api_client).read_namespaced_secret(ref["name"], session.namespace)
    except Exception as error:  # noqa: BLE001 - said plainly below
        raise PluginError(f"cannot read Secret {session.namespace}/{ref['name']}: {getattr(error, 'reason', error)}") from None
    data = secret.data or {}
    if ref["key"] not in data:
        raise PluginError(f"Secret {session.namespace}/{ref['name']} has no key {ref['key']!r}")
    return base64.b64decode(data[ref["key"]]).decode()


@contextmanager
def ssh_command(session: Session, server: str | dict[str, Any], command: list[str]) -> Iterator[list[str]]:
    """The ssh argv for the server (a name, or the Server already read), valid inside the
    block: the key file and the pinned known_hosts exist until it ends."""
    if isinstance(server, str):
        server = session.get("Server", server)
    host_key = pinned_host_key(server)
    private_key = _private_key(session, server)
    with tempfile.TemporaryDirectory(prefix="hydron-ssh-") as scratch:
        key_file = Path(scratch) / "key"
        key_file.touch(mode=0o600)
        key_file.write_text(private_key if private_key.endswith("\n") else private_key + "\n")
        known_hosts = Path(scratch) / "known_hosts"
        spec = server["spec"]
        known_hosts.write_text(known_hosts_line(spec["address"], spec.get("port", 22), host_key))
        os.chmod(scratch, 0o700)
        yield ssh_argv(server, key_file, known_hosts, command)


def run_ssh(session: Session, server: str | dict[str, Any], command: list[str]) -> int:
    """Open ssh to the server (a name, or the Server already read); returns ssh's exit status."""
    with ssh_command(session, server, command) as argv:
        return subprocess.call(argv)
