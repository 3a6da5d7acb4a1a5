"""A Server resource's connection: its SSH target and its pooled, host-key-pinned session.

Servers and Deployments both talk to a Server's machine; this is the one place that
turns the resource into a connection, so neither controller imports the other."""

from __future__ import annotations

from hydron.api.server import ServerSpec, ServerStatus
from hydron.remote import hostkeys, keys
from hydron.remote.connect import Target
from hydron.remote.keys import ReadSecret
from hydron.remote.pool import ConnectionPool
from hydron.remote.session import Session


def target_of(spec: ServerSpec) -> Target:
    return Target(spec.address, spec.port, spec.user)


async def open_session(spec: ServerSpec, status: ServerStatus | None, read_secret: ReadSecret | None,
                       pool: ConnectionPool) -> Session:
    """The server's pooled session, its host key pinned (from the spec, or as recorded
    at first contact)."""
    pinned = spec.host_key or (status.host_key if status else None)
    if pinned:
        pinned = hostkeys.normalize(pinned)
    ref = spec.ssh_key_secret_ref
    key = await keys.client_key(read_secret, ref.name, ref.key)
    return await pool.session(target_of(spec), key, pinned)


def is_ready(status: ServerStatus | None) -> bool:
    """The Server's Ready condition is True: reachable and provisioned."""
    return status is not None and any(c.type == "Ready" and c.status == "True" for c in status.conditions)
