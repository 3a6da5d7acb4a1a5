"""What happens to an ordered machine after the order: a bigger (or other) type in
place, and a fresh operating system. Each says what it does, before it does it,
through `say`, so the stop a resize needs is in the status while it lasts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from hydron.api.server import MachineStatus
from hydron.providers import cloudinit
from hydron.providers.base import Machine, Provider

Say = Callable[[str], Awaitable[None]]


def _seen(machine: MachineStatus, running: Machine) -> MachineStatus:
    return machine.model_copy(update={"offer": running.offer or machine.offer, "state": running.state,
                                      "ipv4": running.ipv4 or machine.ipv4, "ipv6": running.ipv6 or machine.ipv6})


async def resize(provider: Provider, machine: MachineStatus, offer: str, say: Say, boot_timeout: float) -> MachineStatus:
    """Change the machine's type to `offer`, stopping it first where the provider must."""
    id_ = machine.id or ""
    if provider.resize_needs_stop:
        await say(f"Stopping machine {id_} to change its type {machine.offer} -> {offer}: {provider.name} changes the "
                  "type only while it is off, so the apps on it are down until it runs again.")
        await provider.stop(id_)
    await say(f"Changing the type of machine {id_} {machine.offer} -> {offer}.")
    await provider.resize(id_, offer)
    if provider.resize_needs_stop:
        await say(f"Starting machine {id_} again as {offer}.")
        await provider.start(id_)
    running = await provider.wait_running(id_, None, boot_timeout)
    return _seen(machine, running).model_copy(update={"offer": offer})


async def reinstall(provider: Provider, machine: MachineStatus, image: str, ssh_public_key: str, say: Say,
                    boot_timeout: float) -> tuple[MachineStatus, str]:
    """Install the operating system again with a new host key Hydron generated (passed
    with the install, so it is pinned before the first connection); returns the machine
    and the new host public key."""
    id_ = machine.id or ""
    private, public = cloudinit.host_key()
    await say(f"Reinstalling {image} on machine {id_}: everything on its disk is erased; a new host key is pinned.")
    await provider.rebuild(id_, image, ssh_public_key, private)
    del private
    running = await provider.wait_running(id_, None, boot_timeout)
    return _seen(machine, running), public
