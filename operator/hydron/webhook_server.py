"""The push webhook's HTTP side: POST /hooks/git on its own port (`hydron run
--webhook-port`), verified with the shared secret, answering which Applications it
refreshed. The decisions live in hydron.webhook.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from aiohttp import web

from hydron.webhook import MAX_BODY, PING_EVENTS, PUSH_EVENTS, WebhookError, event_of, follows, parse_push, verify

log = logging.getLogger(__name__)
PATH = "/hooks/git"


@dataclass(frozen=True)
class Tracked:
    """An Application following a Git branch."""

    namespace: str
    name: str
    url: str
    ref: str | None


Refresh = Callable[[str, str], Awaitable[None]]
"""refresh(namespace, name): ask that Application to look at its branch now."""


def make_app(secret: str, tracked: Callable[[], Iterable[Tracked]], refresh: Refresh) -> web.Application:
    async def hook(request: web.Request) -> web.Response:
        body = await request.content.read(MAX_BODY + 1)
        try:
            if len(body) > MAX_BODY:
                raise WebhookError(413, f"the payload is larger than {MAX_BODY} bytes")
            verify(request.headers, body, secret)
            event = event_of(request.headers)
            if event in PING_EVENTS:
                return web.json_response({"refreshed": [], "message": "pong"})
            if event not in PUSH_EVENTS:
                return web.json_response({"refreshed": [], "message": f"{event} is not a push: nothing to do"})
            push = parse_push(body)
        except WebhookError as error:
            log.info("webhook refused (%s): %s", error.status, error.message)
            return web.json_response({"error": error.message}, status=error.status)
        names = []
        for app in tracked():
            if follows(push, app.url, app.ref):
                await refresh(app.namespace, app.name)
                names.append(f"{app.namespace}/{app.name}")
        log.info("push to %s on %s: refreshed %s", ", ".join(sorted(push.branches)) or "no branch", sorted(push.urls)[0], names or "nothing")
        return web.json_response({"refreshed": names}, status=202 if names else 200)

    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_post(PATH, hook)
    return app


async def serve(port: int, address: str, secret: str, tracked: Callable[[], Iterable[Tracked]], refresh: Refresh) -> web.AppRunner:
    runner = web.AppRunner(make_app(secret, tracked, refresh), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, address, port).start()
    return runner
