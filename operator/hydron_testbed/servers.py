"""Fresh servers on the local Docker engine (with the local base images).

A fresh server is a container from ``hydron-testbed/server:bookworm``: Debian with
sshd and nothing else, which provisioning then turns into a Hydron server. It is
reached over real SSH on a random loopback port, with a client key made for it and
the server's own host key pinned:

    client = ensure_docker()                        # TestBedUnavailable without an engine
    ensure_base_images()
    servers = FreshServers(client)
    (server,) = servers.start(1)                    # or servers.hosts(1): with its container
    async with server.connect() as conn:            # host key pinned
        await conn.run("id -u", check=True)
    servers.close()

The test suite's fixtures (tests/conftest.py) wrap this; there a missing engine skips
a test on a developer's machine and fails it under CI=true.
"""

from __future__ import annotations

import io
import ipaddress
import os
import socket
import tarfile
import subprocess
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import asyncssh
import docker
import docker.errors
import docker.types

from hydron.api.server import Server
from hydron_testbed import REPO, TestBedUnavailable
from hydron_testbed.ports import free_port

DOCKER_UP = REPO / "hack" / "docker-up.sh"
BASE_IMAGES = REPO / "hack" / "base-images.sh"

SERVER_IMAGE = "hydron-testbed/server:bookworm"
NETWORK = "hydron-testbed"
TEST_LABEL = "hydron.test"
OWNER_LABEL = "hydron.test.owner-pid"

# What a container needs to run sshd, its own dockerd and nftables on these machines
# (--privileged fails here; see ENVIRONMENT.md). SYS_PTRACE: root on a real server has
# it, and runc needs it to `docker exec` into a container whose process runs as another
# user (a database's health command in its postgres-user container); without it the
# exec fails with "error executing setns process".
SERVER_CAPS = ["SYS_ADMIN", "NET_ADMIN", "NET_RAW", "MKNOD", "AUDIT_WRITE", "SYS_PTRACE"]
SERVER_SECURITY_OPT = ["seccomp=unconfined", "apparmor=unconfined"]

SSHD_DEADLINE_S = 60.0


class ServerStartFailed(RuntimeError):
    """The engine is there, but a server container stopped or its sshd never answered."""


def _run_script(script: Path, timeout: float) -> str:
    try:
        proc = subprocess.run(
            ["bash", str(script)], capture_output=True, text=True, timeout=timeout
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise TestBedUnavailable(f"docker test bed: hack/{script.name}: {exc}") from exc
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-20:])
        raise TestBedUnavailable(f"docker test bed: hack/{script.name} exited {proc.returncode}:\n{tail}")
    return proc.stdout


def ensure_docker() -> docker.DockerClient:
    """Start the engine if needed (hack/docker-up.sh) and return an SDK client."""
    try:
        _run_script(DOCKER_UP, timeout=600)
        client = docker.from_env(timeout=300)
        client.ping()
        return client
    except docker.errors.DockerException as exc:
        raise TestBedUnavailable(
            f"docker test bed: no Docker engine answers ({exc}); install docker.io and run hack/docker-up.sh"
        ) from exc


def ensure_base_images() -> str:
    """Build or reuse the local images (hack/base-images.sh); returns its report.
    TestBedUnavailable (naming the script and its last output lines) when they cannot be made."""
    return _run_script(BASE_IMAGES, timeout=3600)


@dataclass
class FreshServer:
    """One fresh server container, as a test reaches it: over SSH on loopback."""

    name: str  # container name; also its host name on the `hydron-testbed` network
    address: str
    port: int
    user: str
    private_key_pem: str  # OpenSSH format, authorised for `user`
    public_key: str
    host_key: str  # "ssh-ed25519 AAAA..." read from the server: pin it
    container_id: str

    def known_hosts_line(self) -> str:
        """The known_hosts line that pins this server's host key at address:port."""
        return f"[{self.address}]:{self.port} {self.host_key}\n"

    def known_hosts(self) -> asyncssh.SSHKnownHosts:
        return asyncssh.import_known_hosts(self.known_hosts_line())

    @cached_property
    def client_key(self) -> asyncssh.SSHKey:
        return asyncssh.import_private_key(self.private_key_pem)

    def connect(self, **kwargs) -> asyncssh.SSHClientConnection:
        """asyncssh.connect with the pinned host key; use as `async with`."""
        options = dict(
            host=self.address,
            port=self.port,
            username=self.user,
            client_keys=[self.client_key],
            known_hosts=self.known_hosts(),
            agent_path=None,
            config=[],
            connect_timeout=30,
        )
        options.update(kwargs)
        return asyncssh.connect(**options)


@dataclass
class Host:
    """A fresh server and the container behind it: a person's own hand on the machine
    (to set it up, break it, inspect it), and the `Server` resource that points at it."""

    fresh: FreshServer
    container: docker.models.containers.Container

    def sh(self, script: str, check: bool = True) -> str:
        """Run a shell script in the container (not through Hydron's SSH)."""
        code, out = self.container.exec_run(["sh", "-c", script])
        text = out.decode(errors="replace")
        if check and code != 0:
            raise AssertionError(f"`{script}` exited {code}: {text}")
        return text

    @property
    def ip(self) -> str:
        """Its address on the test bed's network, where users (and other servers) reach it."""
        self.container.reload()
        return self.container.attrs["NetworkSettings"]["Networks"][NETWORK]["IPAddress"]

    @property
    def name(self) -> str:
        return self.fresh.name

    def read_secret(self, name: str, key: str) -> str:
        """The controllers' secret reader: every Secret holds this server's SSH key."""
        return self.fresh.private_key_pem

    def server(self, **spec) -> Server:
        """A Server resource for this machine; `spec` adds or overrides fields."""
        base = {
            "address": self.fresh.address,
            "port": self.fresh.port,
            "publicAddress": self.ip,  # SSH comes through a mapped port; users reach the container
            "user": self.fresh.user,
            "sshKeySecretRef": {"name": "server-ssh", "key": "ssh-privatekey"},
        }
        return Server.model_validate({"spec": {**base, **spec}})


def _tar(files: dict[str, tuple[bytes, int]]) -> bytes:
    """A tar archive of absolute paths (with their parents), for `put_archive("/")`."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path, (content, mode) in files.items():
            info = tarfile.TarInfo(path.lstrip("/"))
            info.size, info.mode = len(content), mode
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_containers(client: docker.DockerClient) -> int:
    """Remove test containers whose owning test process is gone (a crashed run).

    Containers of a test session that is still running (another developer's, on the
    same engine) are left alone.
    """
    removed = 0
    for container in client.containers.list(all=True, filters={"label": f"{TEST_LABEL}=1"}):
        owner = container.labels.get(OWNER_LABEL, "")
        if owner.isdigit() and _pid_alive(int(owner)):
            continue
        try:
            container.remove(force=True, v=True)
            removed += 1
        except docker.errors.NotFound:
            pass
    return removed


# Docker lets a container ask for its address (a machine reinstalled in place keeps
# it) only on a network created with a subnet of its own; the first free one is taken.
SUBNETS = ("172.30.0.0/16", "172.29.0.0/16", "10.213.0.0/16", "10.214.0.0/16")
OWN_SUBNET = "hydron.test.subnet"


def _own_subnet(attrs: dict) -> bool:
    """Made by this test bed with a subnet and gateway of its own."""
    configs = (attrs.get("IPAM") or {}).get("Config") or []
    return OWN_SUBNET in (attrs.get("Labels") or {}) and any(c.get("Gateway") for c in configs)


def ensure_network(client: docker.DockerClient) -> None:
    """The user-defined network on which servers reach each other by name. One made
    without a subnet of its own (by an older test bed) is made again while unused."""
    for existing in client.networks.list(names=[NETWORK]):
        existing.reload()
        if _own_subnet(existing.attrs) or existing.containers:
            return
        existing.remove()
    errors = []
    for subnet in SUBNETS:
        gateway = str(next(ipaddress.ip_network(subnet).hosts()))  # named, so inspect shows it
        ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=subnet, gateway=gateway)])
        try:
            client.networks.create(NETWORK, driver="bridge", check_duplicate=True, ipam=ipam,
                                   labels={TEST_LABEL: "1", OWN_SUBNET: subnet})
            return
        except docker.errors.APIError as error:
            if client.networks.list(names=[NETWORK]):  # lost a race: fine if it exists
                return
            errors.append(f"{subnet}: {error.explanation or error}")  # the pool overlaps another network
    raise TestBedUnavailable(f"no subnet free for the test network {NETWORK}: {'; '.join(errors)}")


def _wait_for_sshd(container, deadline: float) -> int:
    """Poll until sshd sends its banner through the published port; return the port.

    docker's port proxy accepts TCP before sshd listens, so the banner is the signal.
    """
    last = "no attempt"
    while True:
        container.reload()
        if container.status not in ("created", "running"):
            logs = container.logs(tail=30).decode(errors="replace")
            raise ServerStartFailed(
                f"{container.name} stopped ({container.status}) before sshd answered:\n{logs}"
            )
        bindings = (container.attrs["NetworkSettings"]["Ports"] or {}).get("22/tcp") or []
        if bindings:
            port = int(bindings[0]["HostPort"])
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
                    sock.settimeout(2)
                    banner = sock.recv(256)
                if banner.startswith(b"SSH-"):
                    return port
                last = f"banner {banner!r}"
            except OSError as exc:
                last = str(exc)
        if time.monotonic() > deadline:
            raise ServerStartFailed(f"sshd in {container.name} did not answer: {last}")
        time.sleep(0.2)  # poll interval


def _delete(container) -> None:
    try:
        container.remove(force=True, v=True)
    except docker.errors.NotFound:
        pass


class FreshServers:
    """Starts fresh servers (``start(n)``, or ``hosts(n)`` with their containers) and
    removes them one by one (``remove``) or all at once (``close``)."""

    def __init__(self, client: docker.DockerClient, image: str = SERVER_IMAGE, labels: dict[str, str] | None = None):
        self.client = client
        self.image = image
        # The demo (hack/up.sh) passes its own labels so test runs never reap its server.
        self.labels = labels if labels is not None else {TEST_LABEL: "1", OWNER_LABEL: str(os.getpid())}
        self.run_id = uuid.uuid4().hex[:6]
        self._count = 0
        self._containers: dict[str, object] = {}
        # Called with each container just before it is removed (the suite's secret scan).
        self.before_remove: list[Callable[[object], None]] = []
        self._deleter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="server-deletion")
        self._deletions: list[Future] = []

    def start(self, n: int = 1, rebootable: bool = False) -> list[FreshServer]:
        """Start n servers and wait for their sshd; ServerStartFailed if one never answers.
        A `rebootable` server's SSH port is chosen here, not by Docker, so it stays the
        same when the container restarts (see `reboot`)."""
        keys = [asyncssh.generate_private_key("ssh-ed25519") for _ in range(n)]
        started = [(self._start(key, ssh_port=free_port() if rebootable else None), key) for key in keys]
        deadline = time.monotonic() + SSHD_DEADLINE_S
        return [self._ready(container, key, deadline) for container, key in started]

    def _start(self, key: asyncssh.SSHKey, files: dict[str, tuple[bytes, int]] | None = None,
               ssh_port: int | None = None):
        return self.start_container(key.export_public_key().decode().strip(), files, ssh_port=ssh_port)

    def start_container(self, authorized_keys: str, files: dict[str, tuple[bytes, int]] | None = None,
                        ipv4: str | None = None, ssh_port: int | None = None):
        """Start one server container with root's authorized_keys and `files` ({path: (content,
        mode)}) written before sshd first starts (a provider's cloud-init does that on a real
        machine), at address `ipv4` when given. The caller waits for its sshd with `wait_for_sshd`; `close` removes it."""
        self._count += 1
        name = f"hydron-test-{self.run_id}-{self._count}"
        container = self.client.containers.create(
            self.image,
            name=name,
            hostname=name,
            labels=self.labels,
            environment={"SSH_AUTHORIZED_KEYS": authorized_keys},
            init=True,
            # Its own cgroup namespace, so the entrypoint can remount the hierarchies
            # writable for the Docker engine provisioning installs.
            cgroupns="private",
            cap_add=SERVER_CAPS,
            security_opt=SERVER_SECURITY_OPT,
            device_cgroup_rules=["a *:* rwm"],
            tmpfs={"/run": ""},
            # Anonymous volume, so a Docker engine inside can use overlay2.
            mounts=[docker.types.Mount(target="/var/lib/docker", source=None, type="volume")],
            ports={"22/tcp": ("127.0.0.1", ssh_port)},
            network=NETWORK,
        )
        self._containers[container.id] = container
        if ipv4 is not None:  # a machine reinstalled in place keeps its address
            network = self.client.networks.get(NETWORK)
            network.disconnect(container)
            network.connect(container, ipv4_address=ipv4)
        if files:
            container.put_archive("/", _tar(files))
        container.start()
        return container

    def wait_for_sshd(self, container, timeout: float = SSHD_DEADLINE_S) -> int:
        """Wait until the container's sshd sends its banner; its published port."""
        return _wait_for_sshd(container, time.monotonic() + timeout)

    def remove_container(self, container_id: str, wait: bool = True) -> None:
        """Remove the container (a provider stand-in deleting its machine: gone on return).
        With `wait=False` (a test done with its server) it is stopped now, its address and
        ports free at once, and its disk deleted in the background: a provisioned server's
        images take seconds to delete, and the next test need not wait. `close` waits for
        every deletion."""
        container = self._containers.pop(container_id, None)
        if container is None:
            return
        for hook in self.before_remove:
            hook(container)
        if wait:
            return _delete(container)
        try:
            container.kill()
        except docker.errors.NotFound:
            return
        except docker.errors.APIError:  # not running: deleting is all there is to do
            pass
        self._deletions.append(self._deleter.submit(_delete, container))

    def _ready(self, container, key: asyncssh.SSHKey, deadline: float) -> FreshServer:
        port = _wait_for_sshd(container, deadline)
        res = container.exec_run(["cat", "/etc/ssh/ssh_host_ed25519_key.pub"])
        if res.exit_code != 0:
            raise ServerStartFailed(f"no host key in {container.name}: {res.output!r}")
        algorithm, blob = res.output.decode().split()[:2]
        return FreshServer(
            name=container.name,
            address="127.0.0.1",
            port=port,
            user="root",
            private_key_pem=key.export_private_key().decode(),
            public_key=key.export_public_key().decode().strip(),
            host_key=f"{algorithm} {blob}",
            container_id=container.id,
        )

    def hosts(self, n: int = 1, rebootable: bool = False) -> list[Host]:
        """Start n servers, each paired with its container (for setup and inspection)."""
        return [Host(fresh, self._containers[fresh.container_id]) for fresh in self.start(n, rebootable)]

    def reboot(self, host: Host) -> None:
        """Restart the server's container without a shutdown (a power cycle): every
        process and /run go, the disk stays; returns once its sshd answers again. Only
        for servers started `rebootable` (elsewhere the SSH port would change)."""
        host.container.restart(timeout=0)
        port = _wait_for_sshd(host.container, time.monotonic() + SSHD_DEADLINE_S)
        assert port == host.fresh.port, "the server came back on another SSH port: start it rebootable"

    def remove(self, server: FreshServer | Host) -> None:
        """Remove one server (and its anonymous volumes) before the others."""
        fresh = server.fresh if isinstance(server, Host) else server
        self.remove_container(fresh.container_id, wait=False)

    def close(self) -> None:
        for container_id in list(self._containers):
            self.remove_container(container_id, wait=False)
        self._deleter.shutdown(wait=True)
        for deletion in self._deletions:
            deletion.result()  # a deletion that failed says so here, once

