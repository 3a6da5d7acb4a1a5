"""The test bed itself: fresh servers answer real SSH with pinned host keys, are truly
fresh, and the local stand-in base images run. Every later integration test builds on
these facts, so they are checked here first."""

from __future__ import annotations

import asyncssh
import pytest

from hydron_testbed.secret_scan import Hit, SecretLedger

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def two_servers(server_factory):
    """Two fresh servers the module's tests only log in to and look at."""
    servers = server_factory.start(2)
    yield servers
    for server in servers:
        server_factory.remove(server)


async def test_two_servers_answer_ssh_as_root_with_pinned_host_key(two_servers):
    """Provisioning logs in as root over SSH and must verify the host key it pinned."""
    assert len(two_servers) == 2
    for server in two_servers:
        async with server.connect() as conn:
            result = await conn.run("id -u", check=True)
            assert result.stdout.strip() == "0"


async def test_each_server_has_its_own_host_key(two_servers):
    """Host keys are made per container; a key baked into the image would be shared."""
    a, b = two_servers
    assert a.host_key.startswith("ssh-ed25519 ")
    assert a.host_key != b.host_key


async def test_wrong_pinned_host_key_is_refused(two_servers):
    """Pinning must mean something: a different key is a man in the middle."""
    server = two_servers[0]
    impostor = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode()
    wrong = asyncssh.import_known_hosts(f"[{server.address}]:{server.port} {impostor}")
    with pytest.raises(asyncssh.HostKeyNotVerifiable):
        async with server.connect(known_hosts=wrong):
            pass


async def test_fresh_server_has_no_docker_but_cached_debs(two_servers):
    """Fresh means Docker is not installed; its .deb files only wait in apt's cache."""
    async with two_servers[0].connect() as conn:
        for binary in ("docker", "dockerd"):
            which = await conn.run(f"command -v {binary}")
            assert which.exit_status != 0, which.stdout
        dpkg = await conn.run("dpkg-query -W -f='${Status}' docker.io")
        assert "install ok installed" not in dpkg.stdout
        debs = await conn.run("ls /var/cache/apt/archives/", check=True)
        for package in ("docker.io_", "nftables_", "caddy_", "pebble_", "curl_"):
            assert package in debs.stdout, package


async def test_servers_reach_each_other_by_name(two_servers):
    """Servers share a Docker network, so one can reach another by name (e.g. pebble)."""
    a, b = two_servers
    async with a.connect() as conn:
        result = await conn.run(f"getent hosts {b.name}", check=True)
        assert b.name in result.stdout


def test_python_stand_in_runs_python_with_ssl(docker_client, base_images):
    """Generated Dockerfiles say FROM python:3.11-slim; the local stand-in must run."""
    out = docker_client.containers.run(
        "python:3.11-slim",
        ["python", "-c", "import ssl,sys; print(sys.version)"],
        remove=True,
    )
    assert out.decode().startswith("3.11.")
    pip = docker_client.containers.run("python:3.11-slim", ["pip", "--version"], remove=True)
    assert b"python 3.11" in pip


def test_node_stand_in_runs_node_and_has_node_user(docker_client, base_images):
    """FROM node:18-slim must resolve locally and behave like the official image."""
    out = docker_client.containers.run(
        "node:18-slim", ["node", "-e", "console.log(1)"], remove=True
    )
    assert out == b"1\n"
    uid = docker_client.containers.run("node:18-slim", ["id", "-u", "node"], remove=True)
    assert uid.strip() == b"1000"
    npm = docker_client.containers.run("node:18-slim", ["npm", "--version"], remove=True)
    assert npm.strip()


def test_secret_left_in_a_servers_state_folder_is_reported_by_name(hosts):
    """The suite's secret scan greps each server before it goes: a leak is named by its
    Secret and file, and the value itself is never printed."""
    host = hosts(1)[0]
    host.container.exec_run(["sh", "-c", "mkdir -p /var/lib/hydron/logs && echo 'login with correct-horse-battery' "
                                         "> /var/lib/hydron/logs/build-web.log"])
    ledger = SecretLedger()
    ledger.scan_server(host.container, needles={"correct-horse-battery": "t-1/db[password]",
                                                "never-written-anywhere": "t-1/db[token]"})
    assert ledger.servers_scanned == 1
    assert ledger.hits == [Hit(f"{host.container.name}:/var/lib/hydron/logs/build-web.log", "t-1/db[password]")]
