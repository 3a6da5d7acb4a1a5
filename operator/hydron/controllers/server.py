"""Server controller: reach the machine over SSH, provision it, keep it repaired.

Plain async functions, no kopf (hydron.main wires them), each `(server, generation,
deps) -> Outcome` like every controller:

- `reconcile` connects (host key pinned, or recorded at first contact), reads the
  facts, runs the provisioning steps (or only observes them under ObserveOnly) and
  returns the new status with Reachable, Provisioned and Ready;
- `repair` is the same pass for the drift timer: it reports (and emits events for)
  what it had to put back, and steps aside (`busy`) while a reconcile holds the server;
- `usage` reads CPU, memory and disk use cheaply, for the usage timer;
- `forget` closes the server's connection when the resource goes away;
- `release` deletes a machine Hydron ordered, under deletionPolicy Delete.

A Server whose `provider` is not byo first goes through the ordering stage
(hydron.providers.ordering): the machine is ordered, or found again, until it answers
SSH with the host key Hydron gave it; from then on it is provisioned like any other.

Every failure ends as a condition, never as an exception: `Outcome.retry` tells the
caller whether to retry with backoff or to wait for a person (the timers keep
looking). Events and the live progress table go out through `deps.emit` as the pass
runs. The private key lives only in memory, as an asyncssh key object: it is never
logged, stored in status or put in a message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from hydron.api.conditions import ORDERED, PROVISIONED, REACHABLE, now, set_condition
from hydron.api.server import ResourceUsage, Server, ServerSpec, ServerStatus
from hydron.controllers.common import Emit, Event, LiveStatus, Outcome, PatchSpec, Retry, conclude, emit, with_condition
from hydron.providers import Provider, ProviderError, connect, lifecycle, ordering
from hydron.providers.ordering import OrderSettings, Owner
from hydron.provisioning import engine, progress, steps
from hydron.provisioning.facts import HostFacts, parse_docker_version, parse_facts
from hydron.provisioning.facts import probe_command as facts_probe
from hydron.provisioning.failures import DISK_FULL
from hydron.provisioning.osprofile import OsProfile, UnsupportedOs, profile_for
from hydron.provisioning.settings import ProvisioningSettings
from hydron.provisioning.step import Step, StepContext
from hydron.provisioning.usage import parse_usage
from hydron.provisioning.usage import probe_command as usage_probe
from hydron.remote import hostkeys, keys
from hydron.remote.builders import docker as docker_cmd
from hydron.remote.builders.services import manager_for
from hydron.remote.connect import Target
from hydron.remote.errors import KeyUnavailable, RemoteError
from hydron.remote.keys import ReadSecret
from hydron.remote.pool import ConnectionPool
from hydron.remote.runner import CommandLog, CommandRunner
from hydron.remote.servers import open_session, target_of
from hydron.remote.session import LineCallback, Session

log = logging.getLogger(__name__)

CONDITIONS = {PROVISIONED: "Waiting to reach the server."}
DEPENDS_ON = [REACHABLE, PROVISIONED]
READY_MESSAGE = "The server is reachable and provisioned."


@dataclass
class ServerDeps:
    """What a Server pass needs from outside: the key reader, the operator's connection
    pool (and the per-server locks in it), provisioning settings, and where effects go."""

    read_secret: ReadSecret | None = None
    read_config_map: ReadSecret | None = None
    """read_config_map(name, key): people's SSH keys may come from a ConfigMap."""
    emit: Emit | None = None
    pool: ConnectionPool = field(default_factory=ConnectionPool)
    settings: ProvisioningSettings = field(default_factory=ProvisioningSettings)
    steps: Sequence[Step] = steps.ALL
    on_output: LineCallback | None = None
    """Every output line of every command as it arrives, ("stdout" | "stderr", line)."""
    owner: Owner | None = None
    """The Server resource itself (namespace, name, uid): what an ordered machine is labelled with."""
    providers: Callable[[str, str], Provider] = connect
    """providers(name, token): the provider API a Server's spec.provider names."""
    ordering: OrderSettings = field(default_factory=OrderSettings)


async def reconcile(server: Server, generation: int | None, deps: ServerDeps) -> Outcome:
    """Bring the server in line with its spec and return the status to write. The
    progress table goes out as LiveStatus effects whenever a step starts or ends."""
    if server.spec.provider != "byo":
        ordered = await _order(server, generation, deps)
        if isinstance(ordered, Outcome):
            return ordered
        server = ordered
    async with deps.pool.lock(target_of(server.spec)):
        outcome = await _pass(server, generation, deps, repairing=False)
    if server.spec.provider != "byo":  # the address the provider gave, for everyone who reads the spec
        outcome.effects.append(PatchSpec({"address": server.spec.address}))
    return outcome


async def repair(server: Server, generation: int | None, deps: ServerDeps) -> Outcome:
    """Re-observe every step and put back what drifted (a stopped proxy, a deleted
    firewall table); `changes` lists what was repaired, each also emitted as a
    DriftRepaired event. Skipped (`busy`) while another operation holds the server."""
    if not server.spec.address:  # ordered, not handed over yet: the reconcile is on it
        return Outcome(status=server.status or ServerStatus(), busy=True)
    lock = deps.pool.lock(target_of(server.spec))
    if lock.locked():
        return Outcome(status=server.status or ServerStatus(), busy=True)

    async def drift_events(effect) -> None:
        if isinstance(effect, LiveStatus):
            return
        if isinstance(effect, Event) and effect.reason == "StepStarted":
            return
        if isinstance(effect, Event) and effect.reason == "StepSucceeded":
            effect = Event(effect.type, "DriftRepaired", effect.message)
        await emit(deps.emit, effect)

    async with lock:
        return await _pass(server, generation, replace(deps, emit=drift_events), repairing=True)


async def usage(server: Server, deps: ServerDeps) -> ResourceUsage:
    """CPU, memory and disk use, from /proc and df in one unprivileged command. Takes
    no lock: it only reads, so it may run beside a reconcile. Raises RemoteError
    (with `.retryable`) when the server cannot be reached."""
    spec = server.spec
    session = await open_session(spec, server.status, deps.read_secret, deps.pool)
    result = await CommandRunner(session, spec.user).output(usage_probe())
    measured = parse_usage(result)
    load = measured.load or (None, None, None)
    return ResourceUsage(
        cpu_percent=measured.cpu_percent,
        memory_used_mi_b=measured.memory_used_mib,
        memory_total_mi_b=measured.memory_total_mib,
        disk_used_percent=measured.disk_used_percent,
        load1=load[0], load5=load[1], load15=load[2],
        source=measured.source,
        observed_at=now(),
    )


DISK_PRESSURE, MEMORY_PRESSURE = "DiskPressure", "MemoryPressure"
DISK_NEARLY_FULL_PERCENT = 90.0
MEMORY_PRESSURE_PERCENT = 90.0


def pressure_conditions(status: ServerStatus, usage: ResourceUsage, generation: int | None) -> ServerStatus:
    """DiskPressure and MemoryPressure from the latest usage, as a node's are in Kubernetes:
    alerts a person acts on, not part of Ready (the server still serves)."""
    conditions = status.conditions
    disk = usage.disk_used_percent
    if disk is not None:
        full = disk >= DISK_NEARLY_FULL_PERCENT
        conditions = set_condition(
            conditions, DISK_PRESSURE, "True" if full else "False", "DiskNearlyFull" if full else "DiskOK",
            f"The root disk is {disk:g}% full" + (
                ": free space (docker image prune, old logs) or grow the disk before deploys fail." if full else "."),
            generation)
    used, total = usage.memory_used_mi_b, usage.memory_total_mi_b
    if used is not None and total:
        percent = round(100.0 * used / total, 1)
        high = percent >= MEMORY_PRESSURE_PERCENT
        conditions = set_condition(
            conditions, MEMORY_PRESSURE, "True" if high else "False", "MemoryPressure" if high else "MemoryOK",
            f"{percent:g}% of {total} MiB memory in use" + (
                ": services may be killed; lower their limits or move to a larger server." if high else "."),
            generation)
    return status.model_copy(update={"conditions": conditions, "usage": usage})


async def forget(server: Server, pool: ConnectionPool) -> None:
    """Close the server's connections (the resource is being deleted). Nothing on the
    machine is removed, whatever the policy: apps go with their Deployments."""
    await pool.forget(target_of(server.spec))


async def release(server: Server, deps: ServerDeps) -> str:
    """deletionPolicy Delete on an ordered server: delete the machine through the
    provider's API (also one ordered but never recorded, found by its label). Raises
    ProviderError when it cannot be done yet, so the deletion waits rather than leaks."""
    spec, machine = server.spec, (server.status.machine if server.status else None)
    if spec.provider == "byo" or spec.order is None:
        return "The machine is left as it is (not ordered by Hydron)."
    if spec.deletion_policy != "Delete":
        return f"deletionPolicy Orphan: machine {machine.id if machine else '(none)'} is left running at the provider."
    ref = spec.order.account_secret_ref
    provider = deps.providers(spec.provider, await keys.read(deps.read_secret, ref.name, ref.key))
    ids = [machine.id] if machine is not None and machine.id else []
    if not ids and deps.owner is not None:
        found = await provider.find_by_label(ordering.OWNER_LABEL, deps.owner.uid)
        ids = [found.id] if found is not None else []
    for id_ in ids:
        await provider.delete(id_)
    done = getattr(provider, "released", "Deleted machine")
    return f"{done} {', '.join(ids)} at {spec.provider}." if ids else "No machine was ordered; nothing to delete."


# --- ordering --------------------------------------------------------------------


async def _order(server: Server, generation: int | None, deps: ServerDeps) -> Server | Outcome:
    """The server with the machine's address and pinned host key once it answered SSH;
    else the Outcome saying why not (Ordered False with the provider's reason)."""
    spec = server.spec
    status = server.status or ServerStatus()
    if not ordering.handed_over(status.machine, status.steps):
        if deps.owner is None:
            raise ValueError("ordering a machine needs deps.owner (the Server's namespace, name and uid)")

        def with_machine(machine, rows, host_key) -> ServerStatus:
            kept = [s for s in status.steps if s.name not in ordering.STEPS]
            update = {"machine": machine, "steps": [*rows, *kept]}
            if host_key:
                update |= {"host_key": host_key, "host_key_fingerprint": hostkeys.fingerprint(host_key)}
            return status.model_copy(update=update)

        async def save(machine, rows, host_key, durable: bool) -> None:
            await emit(deps.emit, LiveStatus(with_machine(machine, rows, host_key), durable=durable))

        async def probe(address: str, host_key: str | None) -> None:
            session = await open_session(spec.model_copy(update={"address": address}),
                                         status.model_copy(update={"host_key": host_key}), deps.read_secret, deps.pool)
            await session.connect()

        ref = spec.order.account_secret_ref
        try:
            provider = deps.providers(spec.provider, await keys.read(deps.read_secret, ref.name, ref.key))
            login = await keys.client_key(deps.read_secret, spec.ssh_key_secret_ref.name, spec.ssh_key_secret_ref.key)
        except RemoteError as error:  # a Secret missing or unreadable
            status = with_condition(status, ORDERED, "False", error.reason, error.message, generation)
            return _not_ordered(status, generation, Retry(error.message) if error.retryable else None)
        result = await ordering.ensure_machine(
            spec.order, deps.owner, status.machine, status.steps, status.host_key, provider,
            login.export_public_key("openssh").decode().strip(), probe, save, deps.ordering,
        )
        status = with_machine(result.machine, result.steps, result.host_key)
        if result.note:
            await emit(deps.emit, Event("Warning" if result.host_key is None else "Normal", "OrderRecovered", result.note))
        if result.failure is not None:
            error = result.failure
            await emit(deps.emit, Event("Warning", error.reason, error.message))
            status = with_condition(status, ORDERED, "False", error.reason, error.message, generation)
            retry = Retry(error.message, getattr(error, "delay", 30.0)) if error.retryable else None
            return _not_ordered(status, generation, retry)
    changed = await _change_machine(server, status, generation, deps)
    if isinstance(changed, Outcome):
        return changed
    status = changed
    machine = status.machine
    message = f"{spec.provider} {machine.offer} in {machine.location}, id {machine.id}, at {machine.ipv4 or machine.ipv6}."
    status = with_condition(status, ORDERED, "True", "MachineRunning", message, generation)
    address = spec.address or machine.ipv4 or machine.ipv6
    return server.model_copy(update={"spec": spec.model_copy(update={"address": address}), "status": status})


async def _change_machine(server: Server, status: ServerStatus, generation: int | None,
                          deps: ServerDeps) -> ServerStatus | Outcome:
    """A handed-over machine made to match the spec again: reinstalled once per new
    spec.reinstall value, or resized in place when spec.order.offer changed. What is
    being done (and the stop a resize needs) is in the Ordered condition meanwhile."""
    spec, machine = server.spec, status.machine
    reinstall = spec.reinstall is not None and spec.reinstall != machine.reinstalled
    resize = spec.order.offer != machine.offer
    if not (reinstall or resize):
        return status
    reason = "Reinstalling" if reinstall else "Resizing"
    current = status

    async def say(message: str) -> None:
        nonlocal current
        current = with_condition(current, ORDERED, "Unknown", reason, message, generation)
        await emit(deps.emit, Event("Normal", reason, message))
        await emit(deps.emit, LiveStatus(current))

    ref = spec.order.account_secret_ref
    try:
        provider = deps.providers(spec.provider, await keys.read(deps.read_secret, ref.name, ref.key))
        if reinstall:
            login = await keys.client_key(deps.read_secret, spec.ssh_key_secret_ref.name, spec.ssh_key_secret_ref.key)
            machine, host_key = await lifecycle.reinstall(provider, machine, spec.order.image,
                                                          login.export_public_key("openssh").decode().strip(), say,
                                                          deps.ordering.boot_timeout)
            await deps.pool.forget(target_of(spec))  # the old installation's connection
            kept = [s for s in status.steps if s.name in ordering.STEPS]
            return status.model_copy(update={
                "machine": machine.model_copy(update={"reinstalled": spec.reinstall}), "steps": kept, "facts": None,
                "host_key": host_key, "host_key_fingerprint": hostkeys.fingerprint(host_key)})
        machine = await lifecycle.resize(provider, machine, spec.order.offer, say, deps.ordering.boot_timeout)
        await emit(deps.emit, Event("Normal", "Resized", f"Machine {machine.id} is now {machine.offer}."))
        return status.model_copy(update={"machine": machine})
    except (ProviderError, RemoteError) as error:
        await emit(deps.emit, Event("Warning", error.reason, error.message))
        failed = with_condition(current, ORDERED, "False", error.reason, f"{reason}: {error.message}", generation)
        return _not_ordered(failed, generation, Retry(error.message, getattr(error, "delay", 30.0)) if error.retryable else None)


def _not_ordered(status: ServerStatus, generation: int | None, retry: Retry | None) -> Outcome:
    pending = {**CONDITIONS, REACHABLE: "Waiting for the machine to be ordered."}
    return Outcome(conclude(status, generation, pending, READY_MESSAGE, [ORDERED, *DEPENDS_ON]), retry=retry)


# --- one pass ---------------------------------------------------------------------


async def _pass(server: Server, generation: int | None, deps: ServerDeps, repairing: bool) -> Outcome:
    spec = server.spec
    status = (server.status or ServerStatus()).model_copy(update={"observed_generation": generation})
    commands = CommandLog()

    def done(status: ServerStatus, retry: Retry | None = None, changed=()) -> Outcome:
        status = conclude(status, generation, CONDITIONS, READY_MESSAGE, DEPENDS_ON)
        return Outcome(status, retry=retry, changes=[f"{step}: {what}" for step, what in changed], commands=commands)

    async def post(type_: str, reason: str, message: str) -> None:
        await emit(deps.emit, Event(type_, reason, message))

    try:
        session = await open_session(spec, status, deps.read_secret, deps.pool)
        await session.connect()
    except hostkeys.InvalidHostKey as error:
        return done(_unreachable(status, "InvalidHostKey", f"spec.hostKey: {error}", generation))
    except KeyUnavailable as error:
        # Not tried yet, so not known to be unreachable: Unknown, until the Secret exists.
        status = _unreachable(status, error.reason, error.message, generation, value="Unknown")
        return done(status, Retry(error.message))
    except RemoteError as error:
        await post("Warning", error.reason, error.message)
        return done(_unreachable(status, error.reason, error.message, generation), _retry(error))

    status = await _record_host_key(status, session, spec, post)
    status = status.model_copy(update={"conditions": set_condition(
        status.conditions, REACHABLE, "True", "Connected",
        f"Connected to {session.target}; host key {hostkeys.fingerprint(session.host_key)}.", generation,
    )})
    observe_only = spec.management == "ObserveOnly"
    runner = CommandRunner(session, spec.user, observe_only=observe_only, record=commands, on_line=_line_logger(session.target, deps.on_output))
    records = [*ordering.rows_of(status.steps), *progress.plan(steps.NAMES, status.steps)]
    records = progress.start(records, steps.FACTS, now())
    try:
        facts = await gather_facts(runner)
    except RemoteError as error:
        return done(_unreachable(status, error.reason, error.message, generation), _retry(error))
    records = progress.finish(records, steps.FACTS, "Succeeded", now(), changed=False, message=describe_facts(facts))
    status = status.model_copy(update={"facts": facts.to_status(), "steps": records})

    blocked = _blocker(facts, spec, deps.settings, observe_only)
    if blocked is not None:
        reason, message = blocked
        await post("Warning", reason, message)
        status = _provisioned(status, "False", reason, message, generation, progress.block_rest(records, message.rstrip(".")))
        return done(status)
    os = profile_for(facts.os_id, facts.os_version) if not observe_only else _profile_or_default(facts)

    try:
        acme_root = await _acme_root(spec, deps.read_secret)
    except KeyUnavailable as error:
        status = _provisioned(status, "False", "SecretNotFound", error.message, generation, progress.block_rest(records, error.message.rstrip(".")))
        return done(status, Retry(error.message))

    ctx = StepContext(
        run=runner, facts=facts, os=os, services=manager_for(facts.systemd), spec=spec, settings=deps.settings,
        check_new_login=session.probe_new_connection, acme_root_pem=acme_root, read_secret=deps.read_secret,
        read_config_map=deps.read_config_map,
    )

    async def publish(records) -> None:
        await emit(deps.emit, LiveStatus(status.model_copy(update={"steps": records})))

    outcome = await engine.run_steps(
        ctx, deps.steps, records, observe_only=observe_only, post_event=post, on_progress=publish
    )
    status = status.model_copy(update={"facts": ctx.facts.to_status(), "steps": outcome.steps})
    if outcome.failure is not None:
        f = outcome.failure
        status = _provisioned(status, "False", f.reason, f.message, generation)
        if f.reason in ("HostUnreachable", "Timeout"):
            status = status.model_copy(update={"conditions": set_condition(status.conditions, REACHABLE, "False", f.reason, f.message, generation)})
        return done(status, Retry(f.message) if f.retryable else None, outcome.changed)
    if observe_only:
        differs = "; ".join(f"{name}: {detail}" for name, detail in outcome.differs)
        message = "Observe only: nothing is changed." + (f" Differs from Hydron's setup: {differs}." if differs else "")
        status = _provisioned(status, "True", "ObserveOnly", message, generation)
    else:
        message = f"All {len(deps.steps) + 1} steps succeeded"
        message += f"; {'repaired' if repairing else 'changed'}: {', '.join(n for n, _ in outcome.changed)}." if outcome.changed else "."
        status = _provisioned(status, "True", "AllStepsSucceeded", message, generation)
    return done(status, changed=outcome.changed)


async def gather_facts(runner: CommandRunner) -> HostFacts:
    """Facts in two concurrent reads: the unprivileged probe and Docker's version."""
    probe_out, docker_out = await asyncio.gather(runner.output(facts_probe()), runner.run(docker_cmd.server_version()))
    facts = parse_facts(probe_out)
    return replace(facts, docker_version=parse_docker_version(docker_out.stdout) if docker_out.ok else None)


def describe_facts(facts: HostFacts) -> str:
    parts = [f"{facts.os_id or 'unknown OS'} {facts.os_version or ''}".strip()]
    if facts.cpus:
        parts.append(f"{facts.cpus} CPUs")
    if facts.memory_mib:
        parts.append(f"{facts.memory_mib // 1024} GiB RAM")
    if facts.disk_gib is not None:
        parts.append(f"{facts.disk_gib} GiB disk ({facts.disk_used_percent}% used)")
    parts.append(f"Docker {facts.docker_version}" if facts.docker_version else "no Docker")
    parts.append("systemd" if facts.systemd else "no systemd")
    return ", ".join(parts) + "."


def _blocker(facts: HostFacts, spec: ServerSpec, settings: ProvisioningSettings, observe_only: bool) -> tuple[str, str] | None:
    """A reason not to start changing the server at all: (reason, message)."""
    if observe_only:
        return None
    try:
        profile_for(facts.os_id, facts.os_version)
    except UnsupportedOs as error:
        return "UnsupportedOS", f"{error}. Use management: ObserveOnly to adopt it without changes."
    if facts.disk_free_mib is not None and facts.disk_free_mib < settings.min_free_disk_mib:
        return DISK_FULL, (
            f"Only {facts.disk_free_mib} MiB free on / (at least {settings.min_free_disk_mib} MiB needed); "
            "free space on the server (old images: `docker system prune`; logs) and Hydron continues."
        )
    return None


def _profile_or_default(facts: HostFacts) -> OsProfile:
    try:
        return profile_for(facts.os_id, facts.os_version)
    except UnsupportedOs:
        return OsProfile(facts.os_id or "unknown", facts.os_version or "", facts.codename or "")


def _unreachable(status: ServerStatus, reason: str, message: str, generation: int | None, value="False") -> ServerStatus:
    return status.model_copy(update={"conditions": set_condition(status.conditions, REACHABLE, value, reason, message, generation)})


def _provisioned(status: ServerStatus, value, reason: str, message: str, generation: int | None, records=None) -> ServerStatus:
    update = {"conditions": set_condition(status.conditions, PROVISIONED, value, reason, message, generation)}
    if records is not None:
        update["steps"] = records
    return status.model_copy(update=update)


async def _acme_root(spec: ServerSpec, read_secret: ReadSecret | None) -> str | None:
    ref = spec.proxy.acme_ca_root_secret_ref
    return None if ref is None else await keys.read(read_secret, ref.name, ref.key)


async def _record_host_key(status: ServerStatus, session: Session, spec: ServerSpec, post) -> ServerStatus:
    """Trust on first use: the first key seen is recorded (and pinned from then on)."""
    seen = session.host_key
    if not seen or status.host_key == seen:
        return status
    if not spec.host_key and not status.host_key:
        await post("Normal", "HostKeyRecorded", f"Pinned host key {hostkeys.fingerprint(seen)} seen at first contact.")
    return status.model_copy(update={"host_key": seen, "host_key_fingerprint": hostkeys.fingerprint(seen)})


def _retry(error: RemoteError) -> Retry | None:
    return Retry(error.message) if error.retryable else None


def _line_logger(target: Target, also: LineCallback | None) -> LineCallback:
    def line(stream: str, text: str) -> None:
        log.debug("%s %s| %s", target, stream, text)
        if also is not None:
            also(stream, text)

    return line
