"""The ordering stage: from a spec.order to a running machine that answers SSH with the
host key Hydron chose for it. Four rows in the progress table: order, install-os, boot,
first-ssh; each is observed first and done only when not done yet.

Never twice: before the create call a pending marker (name, time, the host key's public
half) is saved, durably, and every order first looks for a machine carrying the
Server's label. A crash between create and recording is then healed by the lookup,
which finds the machine, and by the marker, which still knows its host key."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from hydron.api.conditions import now
from hydron.api.server import MachineOrder, MachineStatus, PendingOrder, ProvisioningStep
from hydron.providers import cloudinit
from hydron.providers.base import Machine, MachineNotBooting, Provider, ProviderError
from hydron.remote.errors import AuthenticationFailed, RemoteError

ORDER, INSTALL_OS, BOOT, FIRST_SSH = "order", "install-os", "boot", "first-ssh"
STEPS: tuple[str, ...] = (ORDER, INSTALL_OS, BOOT, FIRST_SSH)
OWNER_LABEL = "hydron.dev/server-uid"
"""The label an order is found by again: the Server's uid (a new Server, a new machine)."""


@dataclass(frozen=True)
class Owner:
    """The Server a machine is ordered for."""

    namespace: str
    name: str
    uid: str

    def machine_name(self) -> str:
        """A valid, project-unique host name: namespace-name, cut to fit, and the uid's start."""
        base = re.sub(r"[^a-z0-9-]+", "-", f"{self.namespace}-{self.name}".lower()).strip("-")[:54].rstrip("-")
        return f"{base}-{self.uid[:8]}"

    def labels(self) -> dict[str, str]:
        def value(text: str) -> str:
            return re.sub(r"[^A-Za-z0-9_.-]", "-", text)[:63].strip("-_.")

        return {OWNER_LABEL: self.uid, "hydron.dev/namespace": value(self.namespace), "hydron.dev/name": value(self.name)}


@dataclass(frozen=True)
class OrderSettings:
    boot_timeout: float = 600.0
    """Seconds from the order until the provider reports the machine running."""
    ssh_timeout: float = 300.0
    """Seconds from running until sshd answers with the pinned key and lets Hydron in."""
    ssh_retry_interval: float = 2.0


Save = Callable[[MachineStatus, list[ProvisioningStep], str | None, bool], Awaitable[None]]
"""save(machine, rows, host_key, durable): write the progress now; durable for the pending marker."""
Probe = Callable[[str, str | None], Awaitable[None]]
"""probe(address, pinned host key): log in once over SSH, or raise RemoteError."""


@dataclass
class Ordered:
    machine: MachineStatus
    steps: list[ProvisioningStep]
    host_key: str | None
    failure: ProviderError | RemoteError | None = None
    note: str | None = None
    """Something a person should hear about (a recovered order, a host key not pinned)."""


def rows_of(steps: Sequence[ProvisioningStep]) -> list[ProvisioningStep]:
    """The ordering rows of a progress table (none for a server not ordered)."""
    return [s for s in steps if s.name in STEPS]


def handed_over(machine: MachineStatus | None, steps: Sequence[ProvisioningStep]) -> bool:
    """The machine is recorded and answered SSH once: nothing left to order or wait for."""
    done = {s.name for s in steps if s.state == "Succeeded"}
    return machine is not None and machine.id is not None and done >= set(STEPS)


def _fresh_rows(steps: Sequence[ProvisioningStep]) -> list[ProvisioningStep]:
    """Succeeded rows stay (with their times); the rest start again as Pending."""
    before = {s.name: s for s in steps if s.name in STEPS and s.state == "Succeeded"}
    return [before.get(n) or ProvisioningStep(name=n, state="Pending", message="Waiting to run.") for n in STEPS]


def _start(rows: Sequence[ProvisioningStep], name: str, message: str = "Running.") -> list[ProvisioningStep]:
    return [s.model_copy(update={"state": "Running", "started_at": now(), "finished_at": None, "message": message})
            if s.name == name else s for s in rows]


def _finish(rows: Sequence[ProvisioningStep], name: str, state: str, changed: bool, message: str) -> list[ProvisioningStep]:
    at = now()
    return [s.model_copy(update={"state": state, "started_at": s.started_at or at, "finished_at": at,
                                 "changed": changed, "message": message})
            if s.name == name else s for s in rows]


def _block_rest(rows: Sequence[ProvisioningStep], because: str) -> list[ProvisioningStep]:
    return [s.model_copy(update={"message": f"Blocked: {because}."}) if s.state == "Pending" else s for s in rows]


def _record(machine: MachineStatus, found: Machine, order: MachineOrder) -> MachineStatus:
    return machine.model_copy(update={
        "pending_order": None, "id": found.id, "name": found.name, "offer": found.offer or order.offer,
        "location": found.location or order.location, "ipv4": found.ipv4, "ipv6": found.ipv6, "state": found.state,
        "ordered_at": machine.ordered_at or now(),
    })


async def ensure_machine(
    order: MachineOrder, owner: Owner, machine: MachineStatus | None, steps: Sequence[ProvisioningStep],
    host_key: str | None, provider: Provider, ssh_public_key: str, probe: Probe, save: Save,
    settings: OrderSettings = OrderSettings(),
) -> Ordered:
    """Bring the order as far as a machine that let Hydron in over SSH. Failures come
    back in `Ordered.failure` with the row that failed marked so."""
    state = Ordered(machine or MachineStatus(), _fresh_rows(steps), host_key)
    current = ORDER
    try:
        if state.machine.id is None:
            await _order(state, order, owner, provider, ssh_public_key, save)
        current = INSTALL_OS
        if not _succeeded(state.steps, BOOT):
            await _boot(state, provider, save, settings)
        current = FIRST_SSH
        if not _succeeded(state.steps, FIRST_SSH):
            await _first_ssh(state, probe, save, settings)
    except (ProviderError, RemoteError) as error:
        running = next((s.name for s in state.steps if s.state == "Running"), current)
        state.steps = _block_rest(_finish(state.steps, running, "Failed", False, error.message), error.message.rstrip("."))
        state.failure = error
    return state


def _succeeded(steps: Sequence[ProvisioningStep], name: str) -> bool:
    return any(s.name == name and s.state == "Succeeded" for s in steps)


async def _order(state: Ordered, order: MachineOrder, owner: Owner, provider: Provider, ssh_public_key: str,
                 save: Save) -> None:
    state.steps = _start(state.steps, ORDER, f"Looking for a machine labelled {OWNER_LABEL}={owner.uid}.")
    found = await provider.find_by_label(OWNER_LABEL, owner.uid)
    if found is not None:
        pending = state.machine.pending_order
        state.host_key = pending.host_key if pending is not None and pending.name == found.name else state.host_key
        state.machine = _record(state.machine, found, order)
        state.note = f"Found machine {found.id} ({found.name}) ordered earlier but not recorded; not ordering again."
        if state.host_key is None:
            state.note += " Its host key was not recorded: it is trusted on first use."
        message = f"Found {found.name} (id {found.id}) already ordered."
    else:
        await provider.check(order.offer, order.location, order.image)
        private, public = cloudinit.host_key()
        name = owner.machine_name()
        state.machine = state.machine.model_copy(update={
            "pending_order": PendingOrder(name=name, requested_at=now(), host_key=public)})
        await save(state.machine, state.steps, state.host_key, True)
        created = await provider.create(name, order.offer, order.location, order.image, ssh_public_key, private,
                                        owner.labels())
        del private
        state.host_key = public
        state.machine = _record(state.machine, created, order)
        message = f"Ordered {order.offer} in {order.location} as {created.name} (id {created.id})."
    state.steps = _finish(state.steps, ORDER, "Succeeded", found is None, message)
    await save(state.machine, state.steps, state.host_key, False)


async def _boot(state: Ordered, provider: Provider, save: Save, settings: OrderSettings) -> None:
    async def seen(machine: Machine) -> None:
        rows = state.steps
        if machine.state == "installing" and not _started(rows, INSTALL_OS):
            rows = _start(rows, INSTALL_OS, "Installing the operating system.")
        if machine.state in ("booting", "running"):
            rows = _done(rows, INSTALL_OS, "Operating system installed.")
            if not _started(rows, BOOT):
                rows = _start(rows, BOOT, "Booting.")
        if machine.state == "running":
            rows = _done(rows, BOOT, f"Running at {machine.address}.")
        state.machine = state.machine.model_copy(update={
            "state": machine.state, "ipv4": machine.ipv4 or state.machine.ipv4, "ipv6": machine.ipv6 or state.machine.ipv6})
        if rows != state.steps:
            state.steps = rows
            await save(state.machine, state.steps, state.host_key, False)

    running = await provider.wait_running(state.machine.id, seen, settings.boot_timeout)
    await seen(running)


def _started(rows: Sequence[ProvisioningStep], name: str) -> bool:
    return any(s.name == name and s.state != "Pending" for s in rows)


def _done(rows: list[ProvisioningStep], name: str, message: str) -> list[ProvisioningStep]:
    row = next(s for s in rows if s.name == name)
    if row.state in ("Succeeded", "Failed", "Skipped"):
        return rows
    if row.state == "Pending":
        rows = _start(rows, name)
    return _finish(rows, name, "Succeeded", True, message)


async def _first_ssh(state: Ordered, probe: Probe, save: Save, settings: OrderSettings) -> None:
    address = state.machine.ipv4 or state.machine.ipv6
    if not address:
        raise MachineNotBooting("the provider reports no public address for the machine.")
    pinned = "the pinned host key" if state.host_key else "a host key trusted on first use"
    state.steps = _start(state.steps, FIRST_SSH, f"Waiting for sshd at {address} with {pinned}.")
    await save(state.machine, state.steps, state.host_key, False)
    deadline = time.monotonic() + settings.ssh_timeout
    while True:
        try:
            await probe(address, state.host_key)
            break
        except RemoteError as error:
            # sshd may be up before cloud-init installed the key: a refused login is waited out too.
            waitable = error.retryable or type(error) is AuthenticationFailed
            if not waitable or time.monotonic() > deadline:
                raise
        await asyncio.sleep(settings.ssh_retry_interval)  # sshd is not up yet; look again shortly
    state.steps = _finish(state.steps, FIRST_SSH, "Succeeded", False, f"Logged in at {address} with {pinned}.")
