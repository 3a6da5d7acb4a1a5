"""The web view's server: a JSON API over the four Hydron resources, server-sent events
for live updates and logs, and the built frontend.

It acts with one kubeconfig identity (the plugin's `Session`): it reads and patches
through the API server and keeps nothing of its own, so RBAC decides what a person
sees and may do, and a refusal comes back as the API server's message. Every error is
JSON `{"error": message}` with the fitting HTTP status.

It binds loopback only; requests must name a loopback Host (no DNS rebinding), and a
change must come as JSON from the page itself (no cross-site form posts), because
whoever reaches it acts as the kubeconfig's user.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from hydron.cli.plugin_actions import deployment_for, patch_plan, plan_for
from hydron.cli.plugin_deploy import choose_release, describe_release, rollback_patch
from hydron.cli.plugin_kube import PluginError, Session
from hydron.cli.plugin_plan import PlanRefused, approval_patch, change_request_patch
from hydron.cli.plugin_status import deployment_name, plan_name, server_name
from hydron.cli.render import utcnow
from hydron.web.events import events_view
from hydron.web.incluster import COOKIE, GuardedSession, Logins, TooManyRejections
from hydron.web.logs import stream_log
from hydron.web.views import RevisionNotKept, detail_view, list_view, revision_diff
from hydron.web.watch import Hub

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
KEEPALIVE_SECONDS = 20.0
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")

SESSION: web.AppKey[Session] = web.AppKey("session", Session)
HUB: web.AppKey[Hub] = web.AppKey("hub", Hub)
IDENTITY: web.AppKey[dict[str, str]] = web.AppKey("identity", dict)
ALL_NAMESPACES: web.AppKey[bool] = web.AppKey("all_namespaces", bool)
LOGINS: web.AppKey[Logins | None] = web.AppKey("logins", object)  # type: ignore[arg-type]
"""Set in the cluster only (hydron.web.incluster): who is logged in."""
OPEN_PATHS = ("/api/login", "/api/logout")
NAMESPACE_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")

MISSING_ASSETS = """<!doctype html><meta charset="utf-8"><title>Hydron</title>
<body style="font-family:sans-serif;max-width:40em;margin:3em auto">
<h1>Hydron's web view is not built</h1>
<p>The API is running (try <a href="/api/apps">/api/apps</a>), but the page itself was not
built into this installation. Build it with <code>hack/ui-build.sh</code> (needs Node.js and npm),
or run Vite's dev server in <code>ui/</code> with <code>npm run dev</code> against this backend.</p>
</body>"""


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error_response(status: int, message: str) -> web.Response:
    return web.json_response({"error": message, "status": status}, status=status)


def status_for(error: PluginError) -> int:
    """A plugin failure as an HTTP status: the API server's, else 500 (ours)."""
    return error.status if isinstance(error.status, int) and 400 <= error.status <= 599 else 500


@web.middleware
async def errors(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    """Every failure becomes JSON with a message; nothing ends as a blank page."""
    try:
        return await handler(request)
    except ApiError as error:
        return error_response(error.status, error.message)
    except PlanRefused as error:
        return error_response(409, str(error))
    except PluginError as error:
        return error_response(status_for(error), error.message)
    except web.HTTPException as error:
        if request.path.startswith("/api/"):
            return error_response(error.status, error.reason or "error")
        raise
    except Exception as error:  # noqa: BLE001 (the page says what broke)
        log.exception("web request %s failed", request.path)
        return error_response(500, f"{type(error).__name__}: {error}")


def host_allowed(host: str | None) -> bool:
    name = (host or "").rsplit(":", 1)[0] if not (host or "").startswith("[") else (host or "").split("]")[0] + "]"
    return name in LOOPBACK_HOSTS


@web.middleware
async def same_origin(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    """Only the page served here may use the API (see the module's docstring). In the
    cluster the Host is the Ingress's name: there a login, not the address, says who acts."""
    if request.app[LOGINS] is None and not host_allowed(request.host):
        return error_response(403, f"this server answers only on loopback, not for host {request.host!r}")
    if request.method not in ("GET", "HEAD"):
        origin = request.headers.get("Origin")
        if origin is not None and origin.split("://", 1)[-1] != request.host:
            return error_response(403, "cross-origin changes are refused")
        if request.content_type != "application/json":
            return error_response(415, "send changes as application/json")
    return await handler(request)


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() or None if header.lower().startswith("bearer ") else None


@web.middleware
async def authenticate(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    """In the cluster: every API call needs a logged-in person, and then acts through a
    session that asks the API server whether that person may (hydron.web.incluster)."""
    logins = request.app[LOGINS]
    if logins is None or not request.path.startswith("/api/") or request.path in OPEN_PATHS:
        return await handler(request)
    token, session_id = _bearer(request), request.cookies.get(COOKIE)
    if token:
        try:
            user = await asyncio.to_thread(logins.user_for_token, token)
        except TooManyRejections as error:
            return _too_many(error)
    elif session_id:
        user = await asyncio.to_thread(logins.user_for_session, session_id)
    else:
        user = None
    if user is None:
        return web.json_response({"error": "log in with a Kubernetes bearer token (kubectl create token NAME, or your "
                                           "OIDC id-token)" if not (token or session_id) else
                                           "the login expired or the token is no longer accepted: log in again",
                                  "status": 401, "login": True}, status=401)
    guarded = GuardedSession(request.app[SESSION], user, logins.reviews)
    if request.app[ALL_NAMESPACES] and user.home_namespace:  # a ServiceAccount's default is its own namespace
        guarded = guarded.in_namespace(user.home_namespace)
    request["session"] = guarded
    return await handler(request)


def _too_many(error: TooManyRejections) -> web.Response:
    seconds = max(1, round(error.retry_after))
    return web.json_response({"error": f"too many rejected tokens lately: try again in {seconds} s", "status": 429},
                             status=429, headers={"Retry-After": str(seconds)})


async def login(request: web.Request) -> web.Response:
    """Check a bearer token with the API server (TokenReview); keep it under a session cookie."""
    logins = request.app[LOGINS]
    if logins is None:
        raise ApiError(404, "no login here: this server acts as the kubeconfig user that started it")
    token = (await _body(request)).get("token")
    if not isinstance(token, str) or not token.strip():
        raise ApiError(400, "paste a Kubernetes bearer token: {\"token\": \"...\"}")
    try:
        accepted = await asyncio.to_thread(logins.login, token.strip())
    except TooManyRejections as error:
        return _too_many(error)
    except Exception as error:  # noqa: BLE001 (said to the person logging in)
        raise ApiError(502, f"cannot ask the API server about the token: {getattr(error, 'reason', None) or error}") from None
    if accepted is None:
        raise ApiError(401, "the API server did not accept this token (TokenReview): expired, revoked or not a token")
    session_id, user = accepted
    response = web.json_response({"user": user.name, "message": f"Logged in as {user.name}."})
    secure = request.secure or request.headers.get("X-Forwarded-Proto", "") == "https"
    response.set_cookie(COOKIE, session_id, httponly=True, samesite="Strict", secure=secure, path="/")
    return response


async def logout(request: web.Request) -> web.Response:
    logins = request.app[LOGINS]
    if logins is not None and (session_id := request.cookies.get(COOKIE)):
        logins.logout(session_id)
    response = web.json_response({"message": "Logged out."})
    response.del_cookie(COOKIE, path="/")
    return response


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise ApiError(400, "the request body is not JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "the request body must be a JSON object")
    return body


async def whoami(request: web.Request) -> web.Response:
    return web.json_response(await identity(request))


async def identity(request: web.Request) -> dict[str, Any]:
    """Who acts: the logged-in person in the cluster; else who the API server sees,
    asked once (a kubeconfig's user does not change)."""
    app = request.app
    guarded = request.get("session")
    if isinstance(guarded, GuardedSession):
        return {"user": guarded.user.name, "namespace": guarded.namespace, "context": "in-cluster",
                "allNamespaces": app[ALL_NAMESPACES], "inCluster": True}
    known = app[IDENTITY]
    if not known:
        session = app[SESSION]
        known.update(user=await asyncio.to_thread(session.whoami), namespace=session.namespace,
                     context=session.context or "", allNamespaces=app[ALL_NAMESPACES])
    return known


def session_for(request: web.Request) -> Session:
    """The session for the app's namespace: `?namespace=` (as the list named it), else the default."""
    session = request.get("session") or request.app[SESSION]
    namespace = request.query.get("namespace")
    if not namespace or namespace == session.namespace:
        return session
    if not NAMESPACE_NAME.match(namespace):
        raise ApiError(400, f"{namespace!r} is not a namespace name")
    return session.in_namespace(namespace)


def read_list(session: Session, all_namespaces: bool) -> dict[str, Any]:
    """Every app the user may list: in all namespaces when asked and allowed (RBAC decides),
    else in the session's namespace, saying why."""
    def items(everywhere: bool) -> list[dict[str, Any]]:
        apps, plans, deployments = (session.list(kind, all_namespaces=everywhere)
                                    for kind in ("Application", "InfraPlan", "Deployment"))
        return list_view(apps, plans, deployments, utcnow())

    note = None
    if all_namespaces:
        try:
            return {"namespace": None, "allNamespaces": True, "items": items(True)}
        except PluginError as error:
            if error.status != 403:
                raise
            note = (f"You may not list Hydron's resources in all namespaces, so this shows namespace "
                    f"{session.namespace} (pick another with -n). {error.message}")
    return {"namespace": session.namespace, "allNamespaces": False, "note": note, "items": items(False)}


async def list_apps(request: web.Request) -> web.Response:
    return web.json_response(await asyncio.to_thread(read_list, session_for(request), request.app[ALL_NAMESPACES]))


def read_detail(session: Session, name: str) -> dict[str, Any]:
    """An app with its plan, server and deployment (any of those may not exist yet)."""
    app = session.get("Application", name)
    assert app is not None
    plan = session.get("InfraPlan", plan_name(app), missing_ok=True)
    deployment = session.get("Deployment", deployment_name(app), missing_ok=True)
    server_ = server_name(app, plan, deployment)
    server = session.get("Server", server_, missing_ok=True) if server_ else None
    detail = detail_view(app, plan, server, deployment, utcnow())
    if deployment is not None:
        detail["deployment"]["events"] = events_view(session, "Deployment", deployment["metadata"]["name"])
    return detail


async def get_app(request: web.Request) -> web.Response:
    return web.json_response(await asyncio.to_thread(read_detail, session_for(request), request.match_info["name"]))


async def approve(request: web.Request) -> web.Response:
    """Approve exactly the revision the page showed; a plan that moved since is refused (409)."""
    body = await _body(request)
    revision = body.get("revision")
    if not isinstance(revision, int) or isinstance(revision, bool):
        raise ApiError(400, "say which revision to approve: {\"revision\": N}, the one shown")
    session, who = session_for(request), (await identity(request))["user"]

    def act() -> dict[str, Any]:
        plan = plan_for(session, request.match_info["name"])
        patched = patch_plan(session, plan, lambda p: approval_patch(p, revision, who))
        return {"message": f"Approved revision {revision} of InfraPlan {patched['metadata']['name']} as {who}.",
                "revision": revision, "approvedBy": who}

    return web.json_response(await asyncio.to_thread(act))


async def plan_diff(request: web.Request) -> web.Response:
    """The difference between any two kept revisions: ?from=N&to=M."""
    before, after = _int(request.query.get("from"), "from"), _int(request.query.get("to"), "to")
    if before is None or after is None:
        raise ApiError(400, "say which revisions to compare: ?from=N&to=M")
    session = session_for(request)

    def read() -> dict[str, Any]:
        try:
            return revision_diff(plan_for(session, request.match_info["name"]), before, after)
        except RevisionNotKept as error:
            raise ApiError(404, str(error)) from None

    return web.json_response(await asyncio.to_thread(read))


async def change_request(request: web.Request) -> web.Response:
    body = await _body(request)
    message = body.get("message")
    if not isinstance(message, str):
        raise ApiError(400, "say what to change: {\"message\": \"...\"}")
    session, who = session_for(request), (await identity(request))["user"]

    def act() -> dict[str, Any]:
        plan = plan_for(session, request.match_info["name"])
        patched = patch_plan(session, plan, lambda p: change_request_patch(p, message, who))
        count = len(patched["spec"].get("changeRequests") or [])
        return {"message": f"Asked for changes (request {count}, by {who}); a revised plan follows.",
                "number": count, "author": who}

    return web.json_response(await asyncio.to_thread(act))


async def rollback(request: web.Request) -> web.Response:
    """Run a kept release again ({"release": N}), or follow the commits again ({"release": null})."""
    body = await _body(request)
    wanted = body.get("release")
    if wanted is not None and (not isinstance(wanted, int) or isinstance(wanted, bool)):
        raise ApiError(400, "say which release: {\"release\": N}, or null to follow new commits again")
    session = session_for(request)

    def act() -> dict[str, Any]:
        deployment = deployment_for(session, request.match_info["name"])
        name = deployment["metadata"]["name"]
        if wanted is None:
            session.merge_patch("Deployment", name, rollback_patch(None))
            return {"message": f"{name} follows its Application again; the newest commit rolls out next."}
        release = choose_release(deployment, wanted)
        session.merge_patch("Deployment", name, rollback_patch(release["number"]))
        return {"message": f"Rolling {name} back to {describe_release(release)}.", "release": release["number"]}

    return web.json_response(await asyncio.to_thread(act))


async def _sse_start(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache",
                                           "X-Accel-Buffering": "no"})
    await response.prepare(request)
    return response


async def _send(response: web.StreamResponse, event: str, data: Any) -> None:
    await response.write(f"event: {event}\ndata: {json.dumps(data)}\n\n".encode())


async def events(request: web.Request) -> web.StreamResponse:
    """Server-sent events: one `change` per watch event of the four kinds (the page re-reads
    what it shows), `problem` when a watch is refused."""
    hub = request.app[HUB]
    scope = await asyncio.to_thread(watch_scope, request)
    queue = hub.subscribe()
    response = await _sse_start(request)
    try:
        await _send(response, "hello", {"namespace": scope, "allNamespaces": scope is None})
        while True:
            try:
                event = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
            except TimeoutError:
                await response.write(b": keepalive\n\n")
                continue
            if scope is not None and event.get("namespace") not in (None, scope):
                continue  # a namespace this person may not watch
            await _send(response, "problem" if event.get("type") == "ERROR" else "change", event)
    except ConnectionResetError:  # the page went away
        return response
    finally:
        hub.unsubscribe(queue)


def watch_scope(request: web.Request) -> str | None:
    """The namespace whose changes this page hears of, None for all. In the cluster the
    person must be allowed to watch Applications there (SubjectAccessReview)."""
    session = session_for(request)
    everywhere = request.app[ALL_NAMESPACES]
    if not isinstance(session, GuardedSession):
        return None if everywhere else session.namespace
    if everywhere:
        try:
            session.require("watch", "applications", everywhere=True)
            return None
        except PluginError:
            pass
    session.require("watch", "applications")
    return session.namespace


def _int(value: str | None, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise ApiError(400, f"{name} must be a number") from None


async def logs(request: web.Request) -> web.StreamResponse:
    """A log as server-sent events: `line` per line, `end` with why it ended. Problems
    found before the stream starts (no deployment, no such service) are JSON errors."""
    query = request.query
    stream = stream_log(session_for(request), request.match_info["name"], query.get("service") or None,
                        build=query.get("build") in ("1", "true"), follow=query.get("follow", "1") in ("1", "true"),
                        tail=_int(query.get("tail"), "tail"))
    first = await anext(stream)
    response = await _sse_start(request)
    try:
        event = first
        while True:
            await _send(response, "end" if "end" in event else "line", event)
            if "end" in event:
                break
            event = await anext(stream)
    except (StopAsyncIteration, ConnectionResetError):  # the log ended, or the page went away
        pass
    finally:
        await stream.aclose()
    return response


async def index(request: web.Request) -> web.StreamResponse:
    page = STATIC / "index.html"
    if not page.is_file():
        return web.Response(text=MISSING_ASSETS, content_type="text/html", status=503)
    return web.FileResponse(page, headers={"Cache-Control": "no-cache"})


async def api_not_found(request: web.Request) -> web.Response:
    return error_response(404, f"no API endpoint {request.method} {request.path}")


def make_app(session: Session, hub: Hub | None = None, all_namespaces: bool = False,
             logins: Logins | None = None) -> web.Application:
    """The web application for one session; `hub` None starts the watches with the app.
    `all_namespaces`: list apps in every namespace the user may list them in. `logins`:
    run in the cluster, each person logged in and checked (hydron.web.incluster)."""
    app = web.Application(middlewares=[same_origin, errors, authenticate])
    app[SESSION] = session
    app[IDENTITY] = {}
    app[ALL_NAMESPACES] = all_namespaces
    app[LOGINS] = logins

    async def start_hub(app_: web.Application) -> None:
        app_[HUB] = hub or Hub(session, asyncio.get_running_loop(), all_namespaces)
        if hub is None:
            app_[HUB].start()

    async def stop_hub(app_: web.Application) -> None:
        app_[HUB].stop()

    app.on_startup.append(start_hub)
    app.on_cleanup.append(stop_hub)
    app.router.add_get("/api/whoami", whoami)
    app.router.add_post("/api/login", login)
    app.router.add_post("/api/logout", logout)
    app.router.add_get("/api/apps", list_apps)
    app.router.add_get("/api/apps/{name}", get_app)
    app.router.add_post("/api/apps/{name}/approve", approve)
    app.router.add_post("/api/apps/{name}/change-requests", change_request)
    app.router.add_get("/api/apps/{name}/plan-diff", plan_diff)
    app.router.add_post("/api/apps/{name}/rollback", rollback)
    app.router.add_get("/api/apps/{name}/logs", logs)
    app.router.add_get("/api/events", events)
    app.router.add_route("*", "/api/{tail:.*}", api_not_found)
    app.router.add_get("/", index)
    if (STATIC / "assets").is_dir():
        app.router.add_static("/assets", STATIC / "assets")
    return app
