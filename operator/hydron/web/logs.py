"""A service's or a build's log, read on the server over ssh exactly as `kubectl hydron
logs` reads it, handed out line by line as it arrives."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from hydron.cli.plugin_actions import deployment_for
from hydron.cli.plugin_deploy import NO_CONTAINER, app_label, build_logs_command, pick_service, service_logs_command
from hydron.cli.plugin_kube import Session
from hydron.cli.plugin_ssh import ssh_command

SSH_FAILED = 255
NON_INTERACTIVE = ["-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "ServerAliveInterval=15"]
"""No prompt can be answered from a browser; a dead server must end the stream."""


def log_command(deployment: dict[str, Any], server: dict[str, Any], service: str | None, *, build: bool,
                follow: bool, tail: int | None) -> list[str]:
    """The remote command for the log wanted (the plugin's, with the same defaults)."""
    name = pick_service(deployment, service)
    user = server["spec"].get("user", "root")
    if build:
        return build_logs_command(app_label(deployment), name, follow=follow, tail=tail, user=user)
    return service_logs_command(app_label(deployment), name, follow=follow, tail=tail, since=None,
                                timestamps=False, user=user)


def end_message(code: int, stderr: str, server: str) -> str:
    """Why the stream ended, for a person."""
    if code == 0:
        return "end of log"
    if code == NO_CONTAINER:
        return stderr.strip() or "nothing to show yet"
    if code == SSH_FAILED:
        return f"server {server} is unreachable over ssh: {stderr.strip() or 'connection failed'}"
    return f"reading the log failed (exit {code}): {stderr.strip()}"


async def stream_log(session: Session, app: str, service: str | None, *, build: bool, follow: bool,
                     tail: int | None) -> AsyncIterator[dict[str, Any]]:
    """Events {"line": ...} while the log runs, then one {"end": message, "code": n}."""

    def prepare() -> tuple[dict[str, Any], list[str]]:
        deployment = deployment_for(session, app)
        server = session.get("Server", deployment["spec"]["serverRef"]["name"])
        return server, log_command(deployment, server, service, build=build, follow=follow, tail=tail)

    server, command = await asyncio.to_thread(prepare)
    files = ssh_command(session, server, command)
    argv = await asyncio.to_thread(files.__enter__)
    try:
        argv = [argv[0], *NON_INTERACTIVE, *argv[1:]]
        # docker logs writes the container's stderr to stderr: both are the log.
        process = await asyncio.create_subprocess_exec(*argv, stdin=asyncio.subprocess.DEVNULL,
                                                       stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        try:
            assert process.stdout is not None
            last = ""
            async for raw in process.stdout:
                last = raw.decode(errors="replace").rstrip("\n")
                yield {"line": last}
            code = await process.wait()
            yield {"end": end_message(code, last if code else "", server["metadata"]["name"]), "code": code}
        finally:
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
    finally:
        files.__exit__(None, None, None)
