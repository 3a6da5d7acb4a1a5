"""`kubectl hydron ssh SERVER [-- COMMAND]`: a shell on a server with the key and the
pinned host key Hydron already holds, so nobody copies private keys around.

The key goes to a 0600 file in a private temporary directory that is removed when
ssh exits; host key checking is strict against the pinned key only.

Nothing from the Server reaches ssh as an option: the user is the value of `-l`, the
port of `-p`, the address comes after `--`, and each is checked with the CRD's own
rule first (a Server admitted before the rule existed is refused here too). The remote
command is one shell-quoted line, so the server runs exactly the words given.
"""

from __future__ import annotations

import base64
import os
import shlex
import subprocess
from collections.abc import Sequence
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hydron.api.checks import HOST, HOST_KEY, USER, StringCheck
from hydron.cli.plugin_kube import PluginError, Session


def known_hosts_line(address: str, port: int, host_key: str) -> str:
    """OpenSSH's known_hosts form: a non-default port goes in brackets."""
    host = address if port == 22 else f"[{address}]:{port}"
    return f"{host} {host_key.strip()}\n"


def _checked(server: dict[str, Any], field: str, value: Any, check: StringCheck) -> str:
    if not isinstance(value, str) or not check(value):
        name = server.get("metadata", {}).get("name", "?")
        raise PluginError(f"Server {name}: spec.{field} {check.message}; refusing to run ssh with it")
    return value


def _port(server: dict[str, Any]) -> int:
    port = server["spec"].get("port", 22)
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        raise PluginError(f"Server {server['metadata']['name']}: spec.port must be a number from 1 to 65535")
    return port


def ssh_argv(server: dict[str, Any], key_file: Path, known_hosts: Path, command: Sequence[str]) -> list[str]:
    """The ssh command line: this key only, the pinned host key only, the Server's values
    only as option values or after `--`. `command` holds command lines for the remote
    shell (already quoted; see remote_line)."""
    spec = server["spec"]
    user = _checked(server, "user", spec.get("user", "root"), USER)
    address = _checked(server, "address", spec.get("address"), HOST)
    return [
        "ssh", "-i", str(key_file),
        "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
        "-o", f"UserKnownHostsFile={known_hosts}", "-o", "GlobalKnownHostsFile=/dev/null",
        "-o", "StrictHostKeyChecking=yes",
        "-l", user, "-p", str(_port(server)),
        "--", address,
        *command,
    ]


def remote_line(words: Sequence[str]) -> list[str]:
    """`kubectl hydron ssh SERVER -- WORDS`: ssh joins its words with spaces for the remote
    shell, so each word is quoted and arrives as it was typed, metacharacters included
    (for a pipeline, say so: `-- sh -c 'a | b'`). No words: an interactive shell."""
    return [shlex.join(words)] if words else []


def pinned_host_key(server: dict[str, Any]) -> str:
    """The pinned key, one line only: it is written into a known_hosts file, where a
    second line could trust another key."""
    key = server["spec"].get("hostKey") or (server.get("status") or {}).get("hostKey")
    if not key:
        name = server["metadata"]["name"]
        raise PluginError(
            f"Server {name} has no pinned host key yet: wait until it is Reachable "
            f"(kubectl wait --for=condition=Reachable server/{name}) or set spec.hostKey."
        )
    return _checked(server, "hostKey", key.strip(), HOST_KEY)


def _private_key(session: Session, server: dict[str, Any]) -> str:
    ref = server["spec"]["sshKeySecretRef"]
    data = session.secret_data(ref["name"])
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
        argv = ssh_argv(server, key_file, known_hosts, command)
        known_hosts.write_text(known_hosts_line(spec["address"], _port(server), host_key))
        os.chmod(scratch, 0o700)
        yield argv


def run_ssh(session: Session, server: str | dict[str, Any], command: list[str]) -> int:
    """Open ssh to the server (a name, or the Server already read); returns ssh's exit status."""
    with ssh_command(session, server, command) as argv:
        return subprocess.call(argv)
