"""Server controller: reach the machine over SSH, provision it, keep it repaired.

Plain async functions, no kopf (hydron.main wires them):

- `reconcile` connects (host key pinned, or recorded at first contact), reads the
  facts, runs the provisioning steps (or only observes them under ObserveOnly) and
  returns the new status with Reachable, Provisioned and Ready;
- `repair` is the same pass for the drift timer: it reports (and posts events for)
  what it had to put back, and steps aside while a reconcile holds the server;
- `usage` reads CPU, memory and disk use cheaply, for the usage timer;
- `forget` closes the server's connection when the resource goes away.

Every failure ends as a condition, never as an exception: `ReconcileResult.retryable`
tells the caller whether to retry with backoff (kopf.TemporaryError) or to wait for
a person (the timers keep looking). The private key lives only in memory, as an
asyncssh key object: it is never logged, stored in status or put in a message.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace

from hydron.api.conditions import now, set_condition, summarize_ready
from hydron.api.server import ResourceUsage, Server, ServerSpec, ServerStatus
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
from hydron.remote.session import LineCallback, Session

log = logging.getLogger(__name__)

REACHABLE, PROVISIONED = "Reachable", "Provisioned"
DEPENDS_ON = [REACHABLE, PROVISIONED]

PostEvent = Callable[[str, str, str], Awaitable[None] | None]
"""post_event(type, reason, message): type is Normal or Warning."""
StatusSink = Callable[[ServerStatus], Awaitable[None] | None]


@dataclass
class ServerRuntime:
    """What lives as long as the operator: connections, locks, settings."""

    pool: ConnectionPool = field(default_factory=ConnectionPool)
    settings: ProvisioningSettings = field(default_factory=ProvisioningSettings)
    steps: Sequence[Step] = steps.ALL


_default_runtime: ServerRuntime | None = None


def default_runtime() -> ServerRuntime:
    global _default_runtime
    if _default_runtime is None:
        _default_runtime = ServerRuntime()
    return _default_runtime


@dataclass
class ReconcileResult:
    status: ServerStatus
    retryable: bool = False
    """The failure can heal on its own: retry with backoff (kopf.TemporaryError)."""
    message: str = ""
    """The failure, for the retry's log line ("" when all went well)."""
    changed: list[tuple[str, str]] = field(default_factory=list)
    """(step, what was done) for every step that changed the server."""
    commands: CommandLog = field(default_factory=CommandLog)
    """What ran: the count of reads and every changing command."""
    busy: bool = False
    """repair only: skipped because another operation held the server."""

    def to_api(self) -> dict:
        """The status as the API stores it, so a generic handler that writes
        `result.to_api()` keeps working before the Secret reader is wired."""
        return self.status.to_api()


def target_of(spec: ServerSpec) -> Target:
    return Target(spec.address, spec.port, spec.user)


async def _maybe(value):
    return await value if inspect.isawaitable(value) else value


async def reconcile(
    server: Server,
    generation: int | None,
    *,
    read_secret: ReadSecret | None = None,
    post_event: PostEvent | None = None,
    runtime: ServerRuntime | None = None,
    on_progress: StatusSink | None = None,
    on_output: LineCallback | None = None,
) -> ReconcileResult:
    """Bring the server in line with its spec and return the status to write.

    Optional live views: `on_progress` receives the status whenever a step starts or
    ends a change (the progress table); `on_output` receives every output line of
    every command as it arrives, ("stdout" | "stderr", line).
    """
    runtime = runtime or default_runtime()
    async with runtime.pool.lock(target_of(server.spec)):
        return await _pass(server, generation, read_secret, post_event, runtime, on_progress, on_output, repairing=False)


async def repair(
    server: Server,
    generation: int | None = None,
    *,
    read_secret: ReadSecret,
    post_event: PostEvent | None = None,
    runtime: ServerRuntime | None = None,
) -> ReconcileResult:
    """Re-observe every step and put back what drifted (a stopped proxy, a deleted
    firewall table); `result.changed` lists what was repaired, each also posted as a
    DriftRepaired event. Skipped (`busy`) while another operation holds the server."""
    runtime = runtime or default_runtime()
    lock = runtime.pool.lock(target_of(server.spec))
    if lock.locked():
        return ReconcileResult(status=server.status or ServerStatus(), busy=True)

    async def post(type_: str, reason: str, message: str) -> None:
        if reason != "StepStarted":
            await _post(post_event, type_, "DriftRepaired" if reason == "StepSucceeded" else reason, message)

    async with lock:
        return await _pass(server, generation, read_secret, post, runtime, None, None, repairing=True)


async def usage(server: Server, *, read_secret: ReadSecret, runtime: ServerRuntime | None = None) -> ResourceUsage:
    """CPU, memory and disk use, from /proc and df in one unprivileged command. Takes
    no lock: it only reads, so it may run beside a reconcile. Raises RemoteError
    (with `.retryable`) when the server cannot be reached."""
    runtime = runtime or default_runtime()
    spec = server.spec
    session = await open_session(spec, server.status or ServerStatus(), read_secret, runtime)
    result = await CommandRunner(session, spec.user).output(usage_probe())
    measured = parse_usage(result)
    return ResourceUsage(
        cpu_percent=measured.cpu_percent,
        memory_used_mi_b=measured.memory_used_mib,
        disk_used_percent=measured.disk_used_percent,
        observed_at=now(),
    )


async def forget(server: Server, runtime: ServerRuntime | None = None) -> None:
    """Close the server's connections (the resource is being deleted). The machine is
    left as it is: deletionPolicy Delete concerns the apps, which deployments remove."""
    await (runtime or default_runtime()).pool.forget(target_of(server.spec))


# --- one pass ---------------------------------------------------------------------


async def _pass(
    server: Server,
    generation: int | None,
    read_secret: ReadSecret,
    post_event: PostEvent | None,
    runtime: ServerRuntime,
    on_progress: StatusSink | None,
    on_output: LineCallback | None,
    repairing: bool,
) -> ReconcileResult:
    spec = server.spec
    status = (server.status or ServerStatus()).model_copy(update={"observed_generation": generation})
    commands = CommandLog()

    def conclude(status: ServerStatus, **kwargs) -> ReconcileResult:
        conditions = [c.model_copy(update={"observed_generation": generation}) for c in status.conditions]
        if not any(c.type == PROVISIONED for c in conditions):
            conditions = set_condition(conditions, PROVISIONED, "Unknown", "Pending", "Waiting to reach the server.", generation)
        conditions = summarize_ready(conditions, DEPENDS_ON, generation, "The server is reachable and provisioned.")
        return ReconcileResult(status=status.model_copy(update={"conditions": conditions}), commands=commands, **kwargs)

    try:
        session = await open_session(spec, status, read_secret, runtime)
        await session.connect()
    except hostkeys.InvalidHostKey as error:
        return conclude(_unreachable(status, "InvalidHostKey", f"spec.hostKey: {error}", generation))
    except KeyUnavailable as error:
        # Not tried yet, so not known to be unreachable: Unknown, until the Secret exists.
        status = _unreachable(status, error.reason, error.message, generation, value="Unknown")
        return conclude(status, retryable=True, message=error.message)
    except RemoteError as error:
        await _post(post_event, "Warning", error.reason, error.message)
        return conclude(_unreachable(status, error.reason, error.message, generation), retryable=error.retryable, message=error.message)

    status = await _record_host_key(status, session, spec, post_event)
    status = status.model_copy(update={"conditions": set_condition(
        status.conditions, REACHABLE, "True", "Connected",
        f"Connected to {session.target}; host key {hostkeys.fingerprint(session.host_key)}.", generation,
    )})
    observe_only = spec.management == "ObserveOnly"
    runner = CommandRunner(session, spec.user, observe_only=observe_only, record=commands, on_line=_line_logger(session.target, on_output))
    records = progress.plan(steps.NAMES, status.steps)
    records = progress.start(records, steps.FACTS, now())
    try:
        facts = await gather_facts(runner)
    except RemoteError as error:
        return conclude(_unreachable(status, error.reason, error.message, generation), retryable=error.retryable, message=error.message)
    records = progress.finish(records, steps.FACTS, "Succeeded", now(), changed=False, message=describe_facts(facts))
    status = status.model_copy(update={"facts": facts.to_status(), "steps": records})

    blocked = _blocker(facts, spec, runtime.settings, observe_only)
    if blocked is not None:
        reason, message = blocked
        await _post(post_event, "Warning", reason, message)
        status = _provisioned(status, "False", reason, message, generation, progress.block_rest(records, message.rstrip(".")))
        return conclude(status, message=message)
    os = profile_for(facts.os_id, facts.os_version) if not observe_only else _profile_or_default(facts)

    try:
        acme_root = await _acme_root(spec, read_secret)
    except KeyUnavailable as error:
        status = _provisioned(status, "False", "SecretNotFound", error.message, generation, progress.block_rest(records, error.message.rstrip(".")))
        return conclude(status, retryable=True, message=error.message)

    ctx = StepContext(
        run=runner, facts=facts, os=os, services=manager_for(facts.systemd), spec=spec, settings=runtime.settings,
        check_new_login=session.probe_new_connection, acme_root_pem=acme_root, read_secret=read_secret,
    )

    async def publish(records) -> None:
        if on_progress is not None:
            await _maybe(on_progress(status.model_copy(update={"steps": records})))

    outcome = await engine.run_steps(
        ctx, runtime.steps, records, observe_only=observe_only, post_event=post_event, on_progress=publish
    )
    status = status.model_copy(update={"facts": ctx.facts.to_status(), "steps": outcome.steps})
    if outcome.failure is not None:
        f = outcome.failure
        status = _provisioned(status, "False", f.reason, f.message, generation)
        if f.reason in ("HostUnreachable", "Timeout"):
            status = status.model_copy(update={"conditions": set_condition(status.conditions, REACHABLE, "False", f.reason, f.message, generation)})
        return conclude(status, retryable=f.retryable, message=f.message, changed=outcome.changed)
    if observe_only:
        differs = "; ".join(f"{name}: {detail}" for name, detail in outcome.differs)
        message = "Observe only: nothing is changed." + (f" Differs from Hydron's setup: {differs}." if differs else "")
        status = _provisioned(status, "True", "ObserveOnly", message, generation)
    else:
        message = f"All {len(runtime.steps) + 1} steps succeeded"
        message += f"; {'repaired' if repairing else 'changed'}: {', '.join(n for n, _ in outcome.changed)}." if outcome.changed else "."
        status = _provisioned(status, "True", "AllStepsSucceeded", message, generation)
    return conclude(status, changed=outcome.changed)


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


async def open_session(spec: ServerSpec, status: ServerStatus, read_secret: ReadSecret, runtime: ServerRuntime) -> Session:
    """The server's pooled session, host key pinned; Deployments use it too."""
    pinned = spec.host_key or status.host_key
    if pinned:
        pinned = hostkeys.normalize(pinned)
    ref = spec.ssh_key_secret_ref
    key = await keys.client_key(read_secret, ref.name, ref.key)
    return await runtime.pool.session(target_of(spec), key, pinned)


async def _acme_root(spec: ServerSpec, read_secret: ReadSecret | None) -> str | None:
    ref = spec.proxy.acme_ca_root_secret_ref
    return None if ref is None else await keys.read(read_secret, ref.name, ref.key)


async def _record_host_key(status: ServerStatus, session: Session, spec: ServerSpec, post_event) -> ServerStatus:
    """Trust on first use: the first key seen is recorded (and pinned from then on)."""
    seen = session.host_key
    if not seen or status.host_key == seen:
        return status
    if not spec.host_key and not status.host_key:
        await _post(post_event, "Normal", "HostKeyRecorded", f"Pinned host key {hostkeys.fingerprint(seen)} seen at first contact.")
    return status.model_copy(update={"host_key": seen, "host_key_fingerprint": hostkeys.fingerprint(seen)})


async def _post(post_event: PostEvent | None, type_: str, reason: str, message: str) -> None:
    if post_event is not None:
        await _maybe(post_event(type_, reason, message))


def _line_logger(target: Target, also: LineCallback | None) -> LineCallback:
    def line(stream: str, text: str) -> None:
        log.debug("%s %s| %s", target, stream, text)
        if also is not None:
            also(stream, text)

    return line
