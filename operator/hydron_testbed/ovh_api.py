"""A local stand-in of the OVHcloud API at the network edge, on loopback.

The subset Hydron uses, with the shapes of the public OVHcloud API v1 reference
(https://eu.api.ovh.com/console, /dedicated/server) and the v2 IAM resource tags
(/v2/iam/resource), as the official `ovh` Python library 1.2 sends and parses them;
the library drives it unchanged, request signatures included:

    GET  /1.0/auth/time                                GET  /1.0/dedicated/installationTemplate
    GET  /1.0/dedicated/server                         GET  /1.0/dedicated/server/{name}
    POST /1.0/dedicated/server/{name}/reinstall        POST /1.0/dedicated/server/{name}/terminate
    GET  /1.0/dedicated/server/{name}/task?function=   GET  /1.0/dedicated/server/{name}/task/{id}
    GET  /v2/iam/resource?resourceType=                POST /v2/iam/resource/{urn}/tag

The account holds `delivered` dedicated servers (commercial range, datacenter), each at
a fixed address on the test bed's network. A reinstall starts a fresh-server container
at that address with the order's SSH key, runs the base64 post-installation script in
it (as OVHcloud runs it on the installed system), and the task is `done` once sshd
serves the host key the script installed and `install_seconds` passed. Errors are the API's `{"errorCode", "message"}`
objects: a wrong key or signature (403 INVALID_CREDENTIAL), an unknown template (400),
an unknown server (404) and the rate limit (429).

    api = OvhApi(FreshServers(client), [("KS-LE-B", "rbx8")]).start()
    ovh.Client("ovh-eu", ak, as, ck) with client._endpoint = api.endpoint
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import ipaddress
import itertools
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncssh
from aiohttp import web

from hydron_testbed.servers import NETWORK, FreshServers

TEMPLATES = ["debian12_64", "ubuntu2404-server_64"]
KEYS = ("ak-stand-in", "as-stand-in", "ck-stand-in")


@dataclass
class Dedicated:
    name: str
    commercial_range: str
    datacenter: str
    ip: str
    tags: dict[str, str] = field(default_factory=dict)
    os: str = "none_64"
    container_id: str | None = None
    terminate_requested: bool = False


class ApiError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code


class OvhApi:
    """The stand-in; `rate_limited` and `install_seconds` are knobs a test sets before it acts."""

    def __init__(self, servers: FreshServers, delivered: list[tuple[str, str]], keys: tuple[str, str, str] = KEYS,
                 install_seconds: float = 0.0) -> None:
        self.servers = servers
        self.keys = keys
        self.install_seconds = install_seconds
        self.rate_limited = 0
        self.failing_tags = 0
        """The next this-many tag calls fail with 500 (a crash between install and tag, as the API sees it)."""
        self.requests: list[tuple[str, str]] = []
        self.tasks: dict[int, dict] = {}
        self._task_ids = itertools.count(7001)
        self._installing = threading.Lock()  # one installation at a time: a second waits for the first
        subnet = ipaddress.ip_network(
            servers.client.networks.get(NETWORK).attrs["IPAM"]["Config"][0]["Subnet"])
        base = int(subnet.network_address) + 200 * 256  # far above the addresses Docker hands out in order
        self.machines = {
            f"ns{3100 + i}.ip-stand-in.eu": Dedicated(f"ns{3100 + i}.ip-stand-in.eu", rng, dc,
                                                     str(ipaddress.ip_address(base + 10 + i)))
            for i, (rng, dc) in enumerate(delivered)}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/1.0"

    @property
    def token(self) -> str:
        return ":".join(self.keys)

    def start(self) -> OvhApi:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="ovh-api", daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(timeout=30)
        return self

    def stop(self) -> None:
        if self._loop is None:
            return
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        for machine in self.machines.values():
            if machine.container_id:  # the test is done with them: deleted in the background
                self.servers.remove_container(machine.container_id, wait=False)
        self._loop = None

    async def _serve(self) -> None:
        app = web.Application(middlewares=[self._edge])
        app.router.add_get("/1.0/auth/time", self._time)
        app.router.add_get("/1.0/dedicated/installationTemplate", self._templates)
        app.router.add_get("/1.0/dedicated/server", self._list)
        app.router.add_get("/1.0/dedicated/server/{name}", self._get)
        app.router.add_post("/1.0/dedicated/server/{name}/reinstall", self._reinstall)
        app.router.add_post("/1.0/dedicated/server/{name}/terminate", self._terminate)
        app.router.add_get("/1.0/dedicated/server/{name}/task", self._task_list)
        app.router.add_get("/1.0/dedicated/server/{name}/task/{id}", self._task)
        app.router.add_get("/v2/iam/resource", self._resources)
        app.router.add_post("/v2/iam/resource/{urn}/tag", self._tag)
        # A client that keeps its connection open (the provider SDKs do) would hold the
        # stop for aiohttp's default 60 s drain: a stand-in has nothing to drain.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    # --- the edge: signature, rate limit, error objects ---------------------------------

    @web.middleware
    async def _edge(self, request: web.Request, handler) -> web.StreamResponse:
        try:
            if request.path != "/1.0/auth/time":
                self._check_signature(request, await request.text())
            if self.rate_limited > 0:
                self.rate_limited -= 1
                raise ApiError(429, "Too many requests")
            self.requests.append((request.method, request.path))
            return await handler(request)
        except ApiError as error:
            body = {"message": error.message, **({"errorCode": error.code} if error.code else {})}
            return web.json_response(body, status=error.status)

    def _check_signature(self, request: web.Request, body: str) -> None:
        """The v1 application signature: $1$ + sha1(secret+consumer+METHOD+url+body+timestamp)."""
        key, secret, consumer = self.keys
        stamp = request.headers.get("X-Ovh-Timestamp", "")
        url = f"http://127.0.0.1:{self.port}{request.path_qs}"
        wanted = "$1$" + hashlib.sha1("+".join([secret, consumer, request.method, url, body, stamp]).encode()).hexdigest()
        if request.headers.get("X-Ovh-Application") != key:
            raise ApiError(403, "Invalid application key", "INVALID_KEY")
        if request.headers.get("X-Ovh-Consumer") != consumer or request.headers.get("X-Ovh-Signature") != wanted:
            raise ApiError(403, "This credential does not exist", "INVALID_CREDENTIAL")

    # --- handlers ------------------------------------------------------------------------

    async def _time(self, request: web.Request) -> web.Response:
        return web.json_response(int(time.time()))

    async def _templates(self, request: web.Request) -> web.Response:
        return web.json_response(TEMPLATES)

    def _find(self, request: web.Request) -> Dedicated:
        machine = self.machines.get(request.match_info["name"])
        if machine is None:
            raise ApiError(404, f"The requested object (serviceName = {request.match_info['name']}) does not exist")
        return machine

    async def _list(self, request: web.Request) -> web.Response:
        return web.json_response(sorted(self.machines))

    async def _get(self, request: web.Request) -> web.Response:
        m = self._find(request)
        return web.json_response({
            "name": m.name, "serverId": abs(hash(m.name)) % 10**6, "ip": m.ip, "state": "ok", "datacenter": m.datacenter,
            "commercialRange": m.commercial_range, "os": m.os, "reverse": m.name, "monitoring": True,
            "rack": "S123A01", "rootDevice": None, "linkSpeed": 1000, "bootId": 1, "professionalUse": False,
            "supportLevel": "pro", "powerState": "poweron", "noIntervention": False, "newUpgradeSystem": True,
        })

    def _new_task(self, machine: Dedicated, function: str, status: str) -> dict:
        task = {"taskId": next(self._task_ids), "function": function, "status": status, "comment": None,
                "startDate": datetime.now(UTC).isoformat(), "doneDate": None, "lastUpdate": datetime.now(UTC).isoformat(),
                "_server": machine.name, "_ready_at": float("inf")}
        self.tasks[task["taskId"]] = task
        return task

    async def _reinstall(self, request: web.Request) -> web.Response:
        machine = self._find(request)
        body = await request.json()
        if body.get("operatingSystem") not in TEMPLATES:
            raise ApiError(400, f"Invalid value for operatingSystem: {body.get('operatingSystem')!r}")
        custom = body.get("customizations") or {}
        script = base64.b64decode(custom.get("postInstallationScript") or "").decode()
        task = self._new_task(machine, "reinstallServer", "doing")
        machine.os = body["operatingSystem"]
        asyncio.get_running_loop().run_in_executor(None, self._install, machine, custom.get("sshKey") or "", script, task)
        return web.json_response(_public(task))

    def _install(self, machine: Dedicated, ssh_key: str, script: str, task: dict) -> None:
        """A fresh container at the server's address, then the post-installation script run in it."""
        with self._installing:
            self._install_now(machine, ssh_key, script, task)

    def _install_now(self, machine: Dedicated, ssh_key: str, script: str, task: dict) -> None:
        try:
            if machine.container_id:
                self.servers.remove_container(machine.container_id)
            container = self.servers.start_container(ssh_key, None, machine.ip)
            machine.container_id = container.id
            self.servers.wait_for_sshd(container)
            if script:
                result = container.exec_run(["sh", "-c", script])
                if result.exit_code != 0:
                    raise RuntimeError(result.output.decode()[-300:])
                wanted = container.exec_run(["cat", "/etc/ssh/ssh_host_ed25519_key.pub"]).output.decode().split()[:2]
                _wait_for_host_key(machine.ip, " ".join(wanted))
            task["_ready_at"] = time.monotonic() + self.install_seconds
        except Exception as error:  # noqa: BLE001 - the task says it, as OVHcloud's does
            task.update(status="error", comment=f"installation failed: {error}")

    def _progress(self, task: dict) -> dict:
        if task["status"] == "doing" and time.monotonic() >= task["_ready_at"]:
            task.update(status="done", doneDate=datetime.now(UTC).isoformat())
        return task

    async def _task_list(self, request: web.Request) -> web.Response:
        machine = self._find(request)
        function = request.query.get("function")
        return web.json_response([t["taskId"] for t in self.tasks.values()
                                  if t["_server"] == machine.name and function in (None, t["function"])])

    async def _task(self, request: web.Request) -> web.Response:
        machine = self._find(request)
        task = self.tasks.get(int(request.match_info["id"]))
        if task is None or task["_server"] != machine.name:
            raise ApiError(404, "The requested object (taskId) does not exist")
        return web.json_response(_public(self._progress(task)))

    async def _terminate(self, request: web.Request) -> web.Response:
        machine = self._find(request)
        machine.terminate_requested = True
        return web.json_response(_public(self._new_task(machine, "hardware_terminate", "todo")))

    async def _resources(self, request: web.Request) -> web.Response:
        return web.json_response([
            {"id": m.name, "urn": f"urn:v1:eu:resource:dedicatedServer:{m.name}", "name": m.name, "displayName": m.name,
             "type": "dedicatedServer", "tags": dict(m.tags)}
            for m in self.machines.values() if request.query.get("resourceType") in (None, "dedicatedServer")])

    async def _tag(self, request: web.Request) -> web.Response:
        name = request.match_info["urn"].rsplit(":", 1)[-1]
        machine = self.machines.get(name)
        if machine is None:
            raise ApiError(404, "resource not found")
        if self.failing_tags > 0:
            self.failing_tags -= 1
            raise ApiError(500, "Internal server error")
        body = await request.json()
        machine.tags[body["key"]] = body["value"]
        return web.json_response({"key": body["key"], "value": body["value"]}, status=201)


def _wait_for_host_key(address: str, wanted: str, timeout: float = 60.0) -> None:
    """Until sshd at `address` serves `wanted` (it re-reads its keys after the script's HUP)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            key = asyncio.run(asyncssh.get_server_host_key(address, 22, server_host_key_algs=["ssh-ed25519"]))
            if key is not None and " ".join(key.export_public_key("openssh").decode().split()[:2]) == wanted:
                return
        except (OSError, asyncssh.Error):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"sshd at {address} does not serve the installed host key")
        time.sleep(0.5)  # sshd re-executes itself on HUP; look again shortly


def _public(task: dict) -> dict:
    return {k: v for k, v in task.items() if not k.startswith("_")}
