"""A local stand-in of the Hetzner Cloud API at the network edge, on loopback.

It implements the subset Hydron uses, with the request and response shapes of the
public Hetzner Cloud API reference, API v1 (https://docs.hetzner.cloud/reference/cloud),
as the official `hcloud` Python library 2.27 sends and parses them; that library drives
it unchanged:

    GET    /v1/server_types?name=         GET /v1/locations?name=   GET /v1/images?name=&type=
    POST   /v1/servers                     GET /v1/servers?label_selector=&name=
    GET    /v1/servers/{id}                DELETE /v1/servers/{id}
    POST   /v1/servers/{id}/actions/change_type                   GET /v1/actions/{id}
    POST   /v1/servers/{id}/actions/poweroff   .../poweron        .../rebuild

Its "machines" are fresh-server containers of the test bed (`FreshServers`): the order's
cloud-init user data is read as a real machine's cloud-init would read it, and root's
authorized key and the ed25519 host key it names are written into the container before
sshd first starts. A machine is `initializing` for `latencies.install` seconds,
`starting` until its sshd answers and `latencies.boot` seconds have passed, then
`running`; its public IPv4 is the container's address on the test bed's network.

Errors are the API's error objects `{"error": {"code", "message", "details"}}` with the
reference's error codes (the client decides on `code` alone; the HTTP statuses are the
reference's where it names one): a wrong token (401 unauthorized), the rate limit (429
rate_limit_exceeded, with RateLimit-* headers), a server type out of stock at a
location (resource_unavailable), a location that cannot place it (placement_error), the
project's server limit (403 resource_limit_exceeded), an unknown type, location or
image (400 invalid_input) and a taken name (409 uniqueness_error).

    api = HetznerApi(FreshServers(client), token="t0ken")
    api.start()                        # api.endpoint -> http://127.0.0.1:PORT/v1
    hcloud.Client("t0ken", api_endpoint=api.endpoint).servers.get_all()
    api.stop()                         # removes every machine it made
"""

from __future__ import annotations

import asyncio
import itertools
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import yaml
from aiohttp import web

from hydron_testbed.servers import NETWORK, FreshServers


@dataclass(frozen=True)
class Latencies:
    """Seconds a machine spends installing its image and booting, beyond the container's own start."""

    install: float = 0.0
    boot: float = 0.0


TYPICAL = Latencies(install=10.0, boot=8.0)
"""An assumption, stated: Hetzner documents no figure for how long a server takes (it
advertises servers "ready in seconds"); reports of `hcloud server create` put create to
running at some 10-20 s for a shared-vCPU type from a system image. The stand-in uses
10 s installing and 8 s booting on top of the container's own start; this is what
bench/bench_ordering.py runs with."""

SERVER_TYPES = {
    "cx23": (2, 4.0, 40), "cx33": (4, 8.0, 80), "cx43": (8, 16.0, 160), "cx53": (16, 32.0, 320),
    "cax11": (2, 4.0, 40), "cpx22": (2, 4.0, 80),
}
LOCATIONS = {"fsn1": ("Falkenstein", "DE", "eu-central"), "nbg1": ("Nuremberg", "DE", "eu-central"),
             "hel1": ("Helsinki", "FI", "eu-central"), "ash": ("Ashburn, VA", "US", "us-east")}
IMAGES = {"debian-12": ("Debian 12", "debian", "12"), "ubuntu-24.04": ("Ubuntu 24.04", "ubuntu", "24.04")}

STATUS = {"server_not_stopped": 409, "unauthorized": 401, "forbidden": 403, "rate_limit_exceeded": 429, "resource_unavailable": 412,
          "placement_error": 412, "resource_limit_exceeded": 403, "invalid_input": 400, "uniqueness_error": 409,
          "not_found": 404}


class ApiError(Exception):
    def __init__(self, code: str, message: str, details: dict | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.details = code, message, details or {}


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass
class Machine:
    """One server of the stand-in and the container behind it."""

    id: int
    name: str
    server_type: str
    location: str
    image: str
    labels: dict[str, str]
    created: str
    status: str = "initializing"
    container_id: str | None = None
    ipv4: str | None = None
    started: float = field(default_factory=time.monotonic)
    stuck: bool = False
    config: dict = field(default_factory=dict)
    """The cloud-config it was created with: a rebuild runs it again, as Hetzner's does."""


class HetznerApi:
    """The stand-in; every knob below is a fault or a latency a test sets before it acts."""

    def __init__(self, servers: FreshServers, token: str, latencies: Latencies = Latencies()) -> None:
        self.servers = servers
        self.token = token
        self.latencies = latencies
        self.machines: dict[int, Machine] = {}
        self.actions: dict[int, dict] = {}
        self.requests: list[tuple[str, str]] = []
        """(method, path) of every request that passed the token check, in order."""
        self.rate_limited = 0
        """The next this-many requests get 429 rate_limit_exceeded."""
        self.out_of_stock: set[tuple[str, str]] = set()
        """(server type, location) pairs with nothing left: 412 resource_unavailable."""
        self.full_locations: set[str] = set()
        """Locations that cannot place a server: 412 placement_error."""
        self.server_limit = 10
        self.never_boots = False
        """New machines stay `starting` for ever (a broken image, a host that hangs)."""
        self.after_create: Callable[[Machine], None] | None = None
        """Called once the machine exists, before the answer goes out (a test's crash point)."""
        self._ids = itertools.count(4711)
        self._action_ids = itertools.count(90001)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- lifecycle ------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> HetznerApi:
        """Serve on a free loopback port, from a thread of its own (the client is synchronous)."""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="hetzner-api", daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(timeout=30)
        return self

    def stop(self) -> None:
        if self._loop is None:
            return
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        for machine in list(self.machines.values()):
            if machine.container_id:  # the test is done with them: deleted in the background
                self.servers.remove_container(machine.container_id, wait=False)
        self._loop = None

    async def _serve(self) -> None:
        app = web.Application(middlewares=[self._edge])
        app.router.add_get("/v1/server_types", self._server_types)
        app.router.add_get("/v1/locations", self._locations)
        app.router.add_get("/v1/images", self._images)
        app.router.add_post("/v1/servers", self._create)
        app.router.add_get("/v1/servers", self._list)
        app.router.add_get("/v1/servers/{id}", self._get)
        app.router.add_delete("/v1/servers/{id}", self._delete)
        app.router.add_post("/v1/servers/{id}/actions/change_type", self._change_type)
        app.router.add_get("/v1/actions/{id}", self._get_action)
        app.router.add_post("/v1/servers/{id}/actions/poweroff", self._poweroff)
        app.router.add_post("/v1/servers/{id}/actions/poweron", self._poweron)
        app.router.add_post("/v1/servers/{id}/actions/rebuild", self._rebuild)
        # A client that keeps its connection open (the provider SDKs do) would hold the
        # stop for aiohttp's default 60 s drain: a stand-in has nothing to drain.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    # --- the edge: token, rate limit, error objects -----------------------------------

    @web.middleware
    async def _edge(self, request: web.Request, handler) -> web.StreamResponse:
        try:
            if request.headers.get("Authorization") != f"Bearer {self.token}":
                raise ApiError("unauthorized", "unable to authenticate")
            if self.rate_limited > 0:
                self.rate_limited -= 1
                raise ApiError("rate_limit_exceeded", "limit of 3600 requests per hour reached")
            self.requests.append((request.method, request.path))
            return await handler(request)
        except ApiError as error:
            headers = {"RateLimit-Limit": "3600", "RateLimit-Remaining": "0",
                       "RateLimit-Reset": str(int(time.time()) + 1)} if error.code == "rate_limit_exceeded" else {}
            return web.json_response({"error": {"code": error.code, "message": error.message, "details": error.details}},
                                     status=STATUS.get(error.code, 400), headers=headers)

    # --- catalog ---------------------------------------------------------------------

    @staticmethod
    def _page(key: str, items: list[dict]) -> web.Response:
        pagination = {"page": 1, "per_page": 50, "previous_page": None, "next_page": None, "last_page": 1,
                      "total_entries": len(items)}
        return web.json_response({key: items, "meta": {"pagination": pagination}})

    async def _server_types(self, request: web.Request) -> web.Response:
        name = request.query.get("name")
        return self._page("server_types", [self._server_type(n) for n in SERVER_TYPES if name in (None, n)])

    async def _locations(self, request: web.Request) -> web.Response:
        name = request.query.get("name")
        return self._page("locations", [self._location(n) for n in LOCATIONS if name in (None, n)])

    async def _images(self, request: web.Request) -> web.Response:
        name, types = request.query.get("name"), request.query.getall("type", ["system"])
        found = [self._image(n) for n in IMAGES if name in (None, n)] if "system" in types else []
        return self._page("images", found)

    @staticmethod
    def _server_type(name: str) -> dict:
        cores, memory, disk = SERVER_TYPES[name]
        return {"id": 100 + list(SERVER_TYPES).index(name), "name": name, "description": name.upper(),
                "cores": cores, "memory": memory, "disk": disk, "deprecated": False, "storage_type": "local",
                "cpu_type": "shared", "architecture": "arm" if name.startswith("cax") else "x86", "prices": [],
                "locations": []}

    @staticmethod
    def _location(name: str) -> dict:
        city, country, zone = LOCATIONS[name]
        return {"id": 1 + list(LOCATIONS).index(name), "name": name, "description": f"{city} DC Park 1",
                "country": country, "city": city, "latitude": 50.0, "longitude": 12.0, "network_zone": zone}

    @staticmethod
    def _image(name: str) -> dict:
        description, flavor, version = IMAGES[name]
        return {"id": 200 + list(IMAGES).index(name), "type": "system", "status": "available", "name": name,
                "description": description, "image_size": None, "disk_size": 5, "created": "2023-06-13T06:00:02Z",
                "created_from": None, "bound_to": None, "os_flavor": flavor, "os_version": version,
                "rapid_deploy": True, "protection": {"delete": False}, "deprecated": None, "deleted": None,
                "labels": {}, "architecture": "x86"}

    # --- servers ---------------------------------------------------------------------

    def _new_action(self, command: str, machine: Machine, status: str = "running") -> dict:
        action = {"id": next(self._action_ids), "command": command, "status": status, "progress": 0 if status == "running" else 100,
                  "started": _now(), "finished": None if status == "running" else _now(),
                  "resources": [{"id": machine.id, "type": "server"}], "error": None}
        self.actions[action["id"]] = action
        return action

    def _server(self, machine: Machine) -> dict:
        ipv4 = {"id": machine.id + 10000, "ip": machine.ipv4, "blocked": False,
                "dns_ptr": f"static.{machine.ipv4}.clients.your-server.de"} if machine.ipv4 else None
        return {
            "id": machine.id, "name": machine.name, "status": self._status(machine), "created": machine.created,
            "public_net": {"ipv4": ipv4, "ipv6": None, "floating_ips": [], "firewalls": []},
            "private_net": [], "server_type": self._server_type(machine.server_type),
            "location": self._location(machine.location), "image": self._image(machine.image), "iso": None,
            "rescue_enabled": False, "locked": False, "backup_window": None, "outgoing_traffic": 0,
            "ingoing_traffic": 0, "included_traffic": 21990232555520,
            "protection": {"delete": False, "rebuild": False}, "labels": machine.labels, "volumes": [],
            "load_balancers": [], "primary_disk_size": SERVER_TYPES[machine.server_type][2], "placement_group": None,
        }

    def _status(self, machine: Machine) -> str:
        """The machine's state now: installing, then booting until sshd answers, then running."""
        if machine.status in ("initializing", "starting"):
            age = time.monotonic() - machine.started
            if age >= self.latencies.install:
                machine.status = "starting"
            if machine.status == "starting" and machine.container_id and not machine.stuck \
                    and age >= self.latencies.install + self.latencies.boot and self._sshd_answers(machine):
                machine.status = "running"
                for action in self.actions.values():
                    if action["status"] == "running" and {"id": machine.id, "type": "server"} in action["resources"]:
                        action.update(status="success", progress=100, finished=_now())
        return machine.status

    @staticmethod
    def _sshd_answers(machine: Machine) -> bool:
        """sshd sends its banner on the machine's public address (what "running" means to a user)."""
        try:
            with socket.create_connection((machine.ipv4, 22), timeout=1) as sock:
                sock.settimeout(1)
                return sock.recv(8).startswith(b"SSH-")
        except OSError:
            return False

    async def _create(self, request: web.Request) -> web.Response:
        body = await request.json()
        name, type_, location = body.get("name"), body.get("server_type"), body.get("location") or "fsn1"
        image = body.get("image")
        for field_, value, known in (("server_type", type_, SERVER_TYPES), ("location", location, LOCATIONS),
                                     ("image", image, IMAGES)):
            if value not in known:
                raise ApiError("invalid_input", f"invalid input in field '{field_}'",
                               {"fields": [{"name": field_, "messages": [f"unknown {field_} {value!r}"]}]})
        if any(m.name == name for m in self.machines.values()):
            raise ApiError("uniqueness_error", "server name is already used", {"fields": [{"name": "name"}]})
        if (type_, location) in self.out_of_stock:
            raise ApiError("resource_unavailable", f"server type {type_} is unavailable in {location}")
        if location in self.full_locations:
            raise ApiError("placement_error", "error during placement")
        if len(self.machines) >= self.server_limit:
            raise ApiError("resource_limit_exceeded", "server limit exceeded")
        config = _cloud_config(body.get("user_data") or "")
        machine = Machine(next(self._ids), name, type_, location, image, dict(body.get("labels") or {}), _now(),
                          stuck=self.never_boots, config=config)
        self.machines[machine.id] = machine
        await asyncio.to_thread(self._boot, machine, config)
        action = self._new_action("create_server", machine)
        if self.after_create is not None:
            self.after_create(machine)
        return web.json_response({"server": self._server(machine), "action": action, "next_actions": [],
                                  "root_password": None}, status=201)

    def _boot(self, machine: Machine, config: dict, ipv4: str | None = None) -> None:
        """The container behind the machine, with what its cloud-init would have written."""
        keys = "\n".join(config.get("ssh_authorized_keys") or [])
        files = {}
        host = config.get("ssh_keys") or {}
        if host.get("ed25519_private"):
            files["/etc/ssh/ssh_host_ed25519_key"] = (host["ed25519_private"].encode(), 0o600)
            files["/etc/ssh/ssh_host_ed25519_key.pub"] = (host["ed25519_public"].encode() + b"\n", 0o644)
        container = self.servers.start_container(keys, files, ipv4)
        container.reload()
        machine.container_id = container.id
        machine.ipv4 = container.attrs["NetworkSettings"]["Networks"][NETWORK]["IPAddress"]
        machine.started = time.monotonic()

    def _find(self, request: web.Request) -> Machine:
        machine = self.machines.get(int(request.match_info["id"]))
        if machine is None:
            raise ApiError("not_found", "server not found")
        return machine

    async def _list(self, request: web.Request) -> web.Response:
        wanted = _selector(request.query.get("label_selector", ""))
        name = request.query.get("name")
        found = [m for m in self.machines.values()
                 if all(m.labels.get(k) == v for k, v in wanted.items()) and name in (None, m.name)]
        return self._page("servers", [self._server(m) for m in found])

    async def _get(self, request: web.Request) -> web.Response:
        return web.json_response({"server": self._server(self._find(request))})

    async def _delete(self, request: web.Request) -> web.Response:
        machine = self._find(request)
        del self.machines[machine.id]
        if machine.container_id:
            await asyncio.to_thread(self.servers.remove_container, machine.container_id)
        return web.json_response({"action": self._new_action("delete_server", machine, "success")})

    async def _change_type(self, request: web.Request) -> web.Response:
        machine = self._find(request)
        body = await request.json()
        if body.get("server_type") not in SERVER_TYPES:
            raise ApiError("invalid_input", "invalid input in field 'server_type'")
        if machine.status != "off":  # the reference: the server must be powered off first
            raise ApiError("server_not_stopped", "server must be stopped before changing its type")
        machine.server_type = body["server_type"]
        return web.json_response({"action": self._new_action("change_server_type", machine, "success")}, status=201)

    async def _poweroff(self, request: web.Request) -> web.Response:
        """Off as far as the API says (status off); the container keeps its address."""
        machine = self._find(request)
        machine.status = "off"
        return web.json_response({"action": self._new_action("stop_server", machine, "success")}, status=201)

    async def _poweron(self, request: web.Request) -> web.Response:
        machine = self._find(request)
        machine.status, machine.started = "starting", time.monotonic() - self.latencies.install
        return web.json_response({"action": self._new_action("start_server", machine)}, status=201)

    async def _rebuild(self, request: web.Request) -> web.Response:
        """A fresh container from the same cloud-config (same keys), in place of the old one."""
        machine = self._find(request)
        body = await request.json()
        image = body.get("image")
        if body.get("user_data"):  # new keys for the new installation
            machine.config = _cloud_config(body["user_data"])
        if image not in IMAGES:
            raise ApiError("invalid_input", "invalid input in field 'image'")
        old = machine.container_id
        if old:
            await asyncio.to_thread(self.servers.remove_container, old)
        machine.image, machine.status = image, "rebuilding"
        await asyncio.to_thread(self._boot, machine, machine.config, machine.ipv4)
        machine.status = "initializing"
        return web.json_response({"action": self._new_action("rebuild_server", machine), "root_password": None},
                                 status=201)

    async def _get_action(self, request: web.Request) -> web.Response:
        action = self.actions.get(int(request.match_info["id"]))
        if action is None:
            raise ApiError("not_found", "action not found")
        for resource in action["resources"]:  # a create finishes when its machine runs
            if resource["id"] in self.machines:
                self._status(self.machines[resource["id"]])
        return web.json_response({"action": action})


def _cloud_config(text: str) -> dict[str, Any]:
    if not text:
        return {}
    if not text.startswith("#cloud-config"):
        raise ApiError("invalid_input", "user_data is not a #cloud-config document")
    return yaml.safe_load(text) or {}


def _selector(text: str) -> dict[str, str]:
    """The equality terms of a label selector (`k=v,k2=v2`), the only kind Hydron sends."""
    terms = {}
    for term in filter(None, (t.strip() for t in text.split(","))):
        key, _, value = term.partition("=")
        terms[key] = value.lstrip("=")
    return terms
