"""A fresh server provisioned end to end, then left alone, inspected, broken by hand
and repaired. One server is provisioned once for the whole module (it takes a while);
the tests run in file order on it."""

from __future__ import annotations

import asyncio
import contextvars
import json
from dataclasses import replace

import asyncssh
import pytest

from hydron.api.infraplan import FirewallRule, SshHardening
from hydron.api.server import Server
from hydron.controllers.common import parse
from hydron.controllers.server import ServerDeps, reconcile, repair, usage
from hydron.provisioning import steps
from hydron.provisioning.steps.ssh_hardening import DROP_IN
from hydron.remote import hostkeys
from hydron.remote.connect import Target
from hydron_testbed.polling import eventually
from hydron_testbed.reconcile import Events, changed_steps, condition, make_runtime, run_reconcile, step, with_status

pytestmark = pytest.mark.docker

OPEN_PORT = 8081
CLOSED_PORT = 8080
BASE_IMAGE = "debian:bookworm-slim"
HELLO_SERVER = (
    'perl -MIO::Socket::INET -e \'$s = IO::Socket::INET->new(LocalPort => 80, Listen => 5, ReuseAddr => 1) or die; '
    'while ($c = $s->accept) { print $c "HTTP/1.0 200 OK\\r\\n\\r\\nhello\\n"; close $c }\''
)


class Provisioned:
    """The module's server and what its first reconcile did."""

    def __init__(self, host, server, runtime: ServerDeps, first, events: Events) -> None:
        self.host, self.server, self.runtime, self.first, self.events = host, server, runtime, first, events


@pytest.fixture(scope="module")
async def provisioned(server_factory, docker_client):
    (host,) = server_factory.hosts(1)
    runtime = make_runtime(docker_client, compose=True)  # the suite's one server with Compose (slow to install)
    server = host.server(baseImages=[BASE_IMAGE], firewall=[FirewallRule(port=OPEN_PORT).to_api()])
    events = Events()
    first = await run_reconcile(host, server, runtime, events)
    yield Provisioned(host, with_status(server, first), runtime, first, events)
    await runtime.pool.close()
    server_factory.remove(host)


async def test_a_fresh_server_is_provisioned_to_ready(provisioned):
    result, host = provisioned.first, provisioned.host
    assert condition(result, "Ready").status == "True", result.status.conditions
    assert condition(result, "Reachable").reason == "Connected"
    assert condition(result, "Provisioned").reason == "AllStepsSucceeded"
    assert [(s.name, s.state) for s in result.status.steps] == [(n, "Succeeded") for n in steps.NAMES]
    assert all(step(result, n).changed for n in ("docker-engine", "firewall", "ssh-hardening", "reverse-proxy", "monitoring-agent"))
    assert all(s.started_at and s.finished_at and s.started_at <= s.finished_at for s in result.status.steps)
    assert not result.retryable and result.commands.mutations

    # Trust on first use recorded the server's own ed25519 key.
    assert result.status.host_key == hostkeys.normalize(host.fresh.host_key)
    assert result.status.host_key_fingerprint == hostkeys.fingerprint(host.fresh.host_key)
    facts = result.status.facts
    assert (facts.os, facts.os_version) == ("debian", "12")
    assert facts.cpus >= 1 and facts.memory_mi_b > 0 and facts.disk_gi_b > 0 and facts.kernel
    assert facts.docker_version and facts.docker_version.startswith("20.10")

    # Each step really did its job, checked on the machine itself.
    assert "20.10" in host.sh("docker info --format '{{.ServerVersion}}'")
    assert BASE_IMAGE in host.sh("docker image ls --format '{{.Repository}}:{{.Tag}}'")
    daemon_json = json.loads(host.sh("cat /etc/docker/daemon.json"))
    assert daemon_json["log-driver"] == "json-file" and daemon_json["log-opts"]["max-size"] == "10m"
    assert "json-file" in host.sh("docker info --format '{{.LoggingDriver}}'")
    table = host.sh("nft list table inet hydron")
    assert "policy drop" in table and "tcp dport 22 accept" in table
    effective = host.sh("sshd -T")
    assert "passwordauthentication no" in effective and "kbdinteractiveauthentication no" in effective
    assert "permitrootlogin without-password" in effective or "permitrootlogin prohibit-password" in effective
    assert json.loads(host.sh("curl -sS localhost:2019/config/"))["apps"]["http"]["servers"]["hydron"]["listen"] == [":80", ":443"]
    assert "node_cpu_seconds_total" in host.sh("curl -sS localhost:9100/metrics")
    assert host.sh("cat /proc/sys/net/ipv4/tcp_migrate_req").strip() == "1"  # Caddy reloads keep waiting connections
    assert "net.ipv4.tcp_migrate_req = 1" in host.sh("cat /etc/sysctl.d/60-hydron-proxy.conf")
    assert host.sh("ls /var/lib/hydron/steps/") == "", "no pending marker is left behind"
    assert "No security updates pending" in step(result, "security-updates").message or step(result, "security-updates").changed

    # Progress was announced as it happened.
    reasons = provisioned.events.reasons()
    assert reasons[0] == "HostKeyRecorded"
    assert reasons.count("StepSucceeded") == len(result.changes)


async def test_a_second_reconcile_runs_no_changing_command(provisioned):
    events = Events()
    again = await run_reconcile(provisioned.host, provisioned.server, provisioned.runtime, events)
    assert again.commands.mutations == []
    assert again.commands.observed > 0
    assert condition(again, "Ready").status == "True"
    assert [s.changed for s in again.status.steps] == [False] * len(steps.NAMES)
    assert events == [], "nothing changed, nothing to announce"


async def test_published_container_ports_stay_closed_unless_the_spec_opens_them(provisioned, hosts):
    server, (neighbour,) = provisioned.host, hosts(1)
    server.sh(
        f"docker run -d --name hello -p {CLOSED_PORT}:80 -p {OPEN_PORT}:80 {BASE_IMAGE} {HELLO_SERVER}"
    )

    def get(from_host, address: str, port: int) -> str:
        script = (
            f"timeout 5 bash -c 'exec 3<>/dev/tcp/{address}/{port} && cat <&3' "
            "2>&1; echo \"exit=$?\""
        )
        return from_host.sh(script, check=False)

    await eventually(lambda: "hello" in get(server, "127.0.0.1", CLOSED_PORT), timeout=30)
    # From another host on the same network: the opened port answers, the other does not.
    assert "hello" in get(neighbour, server.ip, OPEN_PORT)
    blocked = get(neighbour, server.ip, CLOSED_PORT)
    assert "hello" not in blocked and "exit=0" not in blocked, blocked
    server.sh("docker rm -f hello")


async def test_drift_is_repaired_and_reported(provisioned):
    host = provisioned.host
    host.sh("start-stop-daemon --stop --retry TERM/10/KILL/5 --pidfile /run/hydron/caddy.pid --remove-pidfile")
    host.sh("nft delete table inet hydron")
    assert host.sh("curl -s -o /dev/null -w '%{http_code}' localhost:2019/config/", check=False) == "000"

    events = Events()
    repaired = await repair(provisioned.server, None, replace(provisioned.runtime, read_secret=host.read_secret, emit=events))
    assert changed_steps(repaired) == ["firewall", "reverse-proxy"]
    assert [r for r in events.reasons()] == ["DriftRepaired", "DriftRepaired"]
    assert "firewall" in events[0][2] and "reverse-proxy" in events[1][2]
    assert "policy drop" in host.sh("nft list table inet hydron")
    assert json.loads(host.sh("curl -sS localhost:2019/config/"))["apps"]["http"]["servers"]["hydron"]["listen"] == [":80", ":443"]
    assert condition(repaired, "Ready").status == "True"

    quiet = await repair(provisioned.server, None, replace(provisioned.runtime, read_secret=host.read_secret))
    assert quiet.changes == [] and quiet.commands.mutations == []


async def test_a_rule_deleted_inside_the_table_is_drift_too(provisioned):
    host = provisioned.host
    handle = next(
        line.rsplit("# handle ", 1)[1] for line in host.sh("nft -a list chain inet hydron input").splitlines()
        if "reverse proxy" in line
    )
    host.sh(f"nft delete rule inet hydron input handle {handle}")
    repaired = await repair(provisioned.server, None, replace(provisioned.runtime, read_secret=host.read_secret))
    assert changed_steps(repaired) == ["firewall"]
    assert "reverse proxy" in host.sh("nft list chain inet hydron input")


async def test_connection_migration_is_repaired_and_a_read_only_proc_sys_is_only_a_caveat(provisioned):
    host = provisioned.host
    host.sh("sysctl -qw net.ipv4.tcp_migrate_req=0")
    repaired = await repair(provisioned.server, None, replace(provisioned.runtime, read_secret=host.read_secret))
    assert changed_steps(repaired) == ["reverse-proxy"]
    assert host.sh("cat /proc/sys/net/ipv4/tcp_migrate_req").strip() == "1"

    # A container-based VPS (LXC, OpenVZ) cannot change it: the server still becomes
    # Ready, and the step says what that costs.
    host.sh("sysctl -qw net.ipv4.tcp_migrate_req=0 && mount -o remount,bind,ro /proc/sys/net")
    try:
        result = await run_reconcile(host, provisioned.server, provisioned.runtime)
    finally:
        host.sh("mount -o remount,bind,rw /proc/sys/net && sysctl -qw net.ipv4.tcp_migrate_req=1")
    assert condition(result, "Ready").status == "True", result.status.conditions
    assert "tcp_migrate_req cannot be set here" in step(result, "reverse-proxy").message
    assert result.commands.mutations == []


async def test_two_operations_on_one_server_never_interleave(provisioned):
    host, runtime, server = provisioned.host, provisioned.runtime, provisioned.server
    spec = server.spec
    target = Target(spec.address, spec.port, spec.user)
    session = await runtime.pool.session(target, asyncssh.import_private_key(host.fresh.private_key_pem), server.status.host_key)
    operation: contextvars.ContextVar[str] = contextvars.ContextVar("operation")
    order: list[str] = []
    original = session.exec

    async def recording(line, **kwargs):
        order.append(operation.get())
        return await original(line, **kwargs)

    async def tagged(name: str, work):
        operation.set(name)  # inherited by the tasks the operation starts
        return await work

    session.exec = recording
    try:
        await asyncio.gather(
            tagged("first", run_reconcile(host, server, runtime)), tagged("second", run_reconcile(host, server, runtime))
        )
        third = asyncio.create_task(tagged("third", run_reconcile(host, server, runtime)))
        await eventually(lambda: runtime.pool.lock(target).locked(), timeout=30, interval=0.01)
        stepped_aside = await repair(server, None, replace(runtime, read_secret=host.read_secret))
        await third
    finally:
        del session.exec
    assert stepped_aside.busy and stepped_aside.commands.observed == 0
    runs = [name for i, name in enumerate(order) if i == 0 or order[i - 1] != name]
    assert runs == ["first", "second", "third"], runs


async def test_usage_is_read_from_proc(provisioned):
    measured = await usage(provisioned.server, replace(provisioned.runtime, read_secret=provisioned.host.read_secret))
    assert 0.0 <= measured.cpu_percent <= 100.0
    assert measured.memory_used_mi_b > 0
    assert 0.0 < measured.disk_used_percent < 100.0
    assert measured.observed_at is not None


async def test_the_private_key_never_appears_in_logs_events_status_or_errors(provisioned, caplog):
    host = provisioned.host
    pem = host.fresh.private_key_pem
    secret_lines = [line for line in pem.splitlines() if line and "PRIVATE KEY" not in line]
    caplog.set_level("DEBUG")
    events = Events()
    result = await run_reconcile(host, provisioned.server, provisioned.runtime, events)
    failed = await repair(host.server(), None, replace(provisioned.runtime, read_secret=lambda name, key: pem[: len(pem) // 2]))
    texts = [
        caplog.text,
        json.dumps(result.status.to_api()),
        json.dumps(failed.status.to_api()),
        repr(events), repr(provisioned.events), failed.message,
    ]
    assert condition(failed, "Reachable").reason == "AuthenticationFailed"
    for text in texts:
        for line in secret_lines:
            assert line not in text


async def test_a_stored_firewall_rule_that_is_no_range_is_named_and_stops_no_other_step(provisioned):
    """A Server stored before the CRD checked address ranges: its bad rule is left
    closed and named in the firewall step and the Provisioned condition; the good rule
    stays loaded and the later steps still run (here: ssh-hardening repairs drift)."""
    host = provisioned.host
    host.sh(f"rm {DROP_IN}")
    stored = provisioned.server.spec.to_api()
    stored["firewall"] = [*stored["firewall"], {"port": 5432, "source": "10.0.0.0/33"},
                          {"port": 5433, "source": "everyone; flush ruleset"}]
    server = parse(Server, {"spec": stored}).model_copy(update={"status": provisioned.server.status})
    events = Events()

    result = await run_reconcile(host, server, provisioned.runtime, events)

    firewall = step(result, "firewall")
    assert firewall.state == "Failed"
    assert "spec.firewall[1] (port 5432/tcp from '10.0.0.0/33')" in firewall.message
    assert "spec.firewall[2] (port 5433/tcp from 'everyone; flush ruleset')" in firewall.message
    provisioned_condition = condition(result, "Provisioned")
    assert provisioned_condition.status == "False" and provisioned_condition.reason == "InvalidFirewallRule"
    assert "spec.firewall[1]" in provisioned_condition.message
    later = steps.NAMES[steps.NAMES.index("firewall") + 1:]
    assert [step(result, n).state for n in later] == ["Succeeded"] * len(later)
    assert step(result, "ssh-hardening").changed and host.sh(f"cat {DROP_IN}")
    table = host.sh("nft list table inet hydron")
    assert f"tcp dport {OPEN_PORT} accept" in table and "5432" not in table and "5433" not in table


async def test_the_servers_sshd_settings_from_the_plan_are_enforced_by_sshd(provisioned):
    """spec.ssh (a plan's security.ssh, on a Server made from the plan) becomes sshd's
    effective configuration, checked with a new login before it stays."""
    host = provisioned.host
    planned = provisioned.server.spec.model_copy(update={"ssh": SshHardening(max_auth_tries=2, x11_forwarding=False)})
    server = provisioned.server.model_copy(update={"spec": planned})
    result = await run_reconcile(host, server, provisioned.runtime, Events())
    assert step(result, "ssh-hardening").changed and condition(result, "Ready").status == "True", result.status.conditions
    effective = host.sh("sshd -T")
    assert "maxauthtries 2" in effective and "x11forwarding no" in effective and "passwordauthentication no" in effective
    again = await run_reconcile(host, with_status(server, result), provisioned.runtime, Events())
    assert not step(again, "ssh-hardening").changed


PROJECT = "services:\n  app:\n    image: debian:bookworm-slim\n    command: sleep infinity\n"


async def test_people_ssh_in_use_docker_compose_and_log_in_with_their_own_keys(provisioned):
    host = provisioned.host
    # Compose came with the engine: a person runs a project with `docker compose` over SSH.
    async with host.fresh.connect() as conn:
        up = await conn.run("mkdir -p /root/demo && cat > /root/demo/compose.yaml && cd /root/demo && "
                            "docker compose up -d && docker compose ps", input=PROJECT)
        assert up.exit_status == 0, up.stderr
        running = await conn.run("docker ps --filter label=com.docker.compose.project=demo --format '{{.State}}'")
        assert running.stdout.strip() == "running", running.stdout + running.stderr
        down = await conn.run("cd /root/demo && docker compose down")
        assert down.exit_status == 0, down.stderr
    assert "Docker Compose" in step(provisioned.first, "docker-engine").message

    ann, bob = (asyncssh.generate_private_key("ssh-ed25519") for _ in range(2))
    maps = {}

    def read_config_map(name: str, key: str) -> str:
        return maps[(name, key)]

    async def keys_pass(*keys: asyncssh.SSHKey, listed: bool = True):
        maps[("team", "keys")] = "\n".join(k.export_public_key("openssh").decode().strip() for k in keys)
        spec = provisioned.server.spec.to_api()
        spec["authorizedKeys"] = [{"configMapKeyRef": {"name": "team", "key": "keys"}}] if listed else []
        server = parse(Server, {"spec": spec}).model_copy(update={"status": provisioned.server.status})
        deps = replace(provisioned.runtime, read_secret=host.read_secret, read_config_map=read_config_map)
        return await reconcile(server, 1, deps)

    async def logs_in(key) -> bool:
        try:
            async with host.fresh.connect(client_keys=[key]) as conn:
                return (await conn.run("true")).exit_status == 0
        except asyncssh.PermissionDenied:
            return False

    added = await keys_pass(ann, bob)
    assert step(added, "authorized-keys").changed and "2 person key(s)" in step(added, "authorized-keys").message
    assert await logs_in(ann) and await logs_in(bob)

    removed = await keys_pass(bob)
    assert step(removed, "authorized-keys").changed
    assert not await logs_in(ann) and await logs_in(bob)
    assert await logs_in(host.fresh.client_key)  # Hydron's key stays

    cleared = await keys_pass(listed=False)
    assert step(cleared, "authorized-keys").changed and not await logs_in(bob)
    kept = host.sh("cat /root/.ssh/authorized_keys")
    assert host.fresh.public_key.split()[1] in kept and "Hydron" not in kept
