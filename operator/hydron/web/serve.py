"""Run the web view on loopback until interrupted: pick the port, say the URL, open a
browser when this machine has one."""

from __future__ import annotations

import asyncio
import os
import sys
import webbrowser
from collections.abc import Awaitable, Callable
from typing import TextIO

from aiohttp import web

from hydron.cli.plugin_kube import PluginError, Session
from hydron.web.app import make_app
from hydron.web.incluster import Logins, Reviews

HOST = "127.0.0.1"


def has_browser(environ: dict[str, str] | os._Environ = os.environ, platform: str = sys.platform) -> bool:
    """A desktop to open a page on: macOS and Windows always, elsewhere a display or $BROWSER."""
    if platform in ("darwin", "win32"):
        return True
    return any(environ.get(k) for k in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER"))


async def start(session: Session, port: int, all_namespaces: bool = False, host: str = HOST,
                logins: Logins | None = None) -> tuple[web.AppRunner, str]:
    """Serve on host:port (0: a free port) and return the runner and the URL."""
    runner = web.AppRunner(make_app(session, all_namespaces=all_namespaces, logins=logins), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError as error:
        await runner.cleanup()
        raise PluginError(f"cannot listen on {host}:{port}: {error.strerror or error}; pick another with --port.") from None
    bound = runner.addresses[0][1]
    return runner, f"http://{host}:{bound}/"


def serve(session: Session, port: int, open_browser: bool, out: TextIO,
          opener: Callable[[str], object] = webbrowser.open, all_namespaces: bool = False) -> int:
    """`all_namespaces`: the list shows every namespace the user may list apps in."""
    async def main() -> None:
        runner, url = await start(session, port, all_namespaces)
        where = "all namespaces you may read" if all_namespaces else f"namespace {session.namespace}"
        out.write(f"Hydron's web view for {where} is at {url}\n"
                  f"(acting as your kubeconfig user; Ctrl-C stops it)\n")
        out.flush()
        if open_browser and has_browser():
            opener(url)
        await _until_stopped(runner)

    return _run(main)


def serve_in_cluster(session: Session, host: str, port: int, all_namespaces: bool, out: TextIO) -> int:
    """The web view in the cluster: each person logs in with a bearer token, and each call
    made for them is checked by the API server (hydron.web.incluster)."""
    async def main() -> None:
        runner, url = await start(session, port, all_namespaces, host, Logins(Reviews(session.api_client)))
        where = "all namespaces" if all_namespaces else f"namespace {session.namespace}"
        out.write(f"Hydron's web view for {where} is at {url} (log in with a Kubernetes bearer token)\n")
        out.flush()
        await _until_stopped(runner)

    return _run(main)


async def _until_stopped(runner: web.AppRunner) -> None:
    """Serve until the process is stopped, then close the listener and open streams."""
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def _run(main: Callable[[], Awaitable[None]]) -> int:
    """Run the server's loop; Ctrl-C is the normal way out (exit status 0)."""
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
    return 0
