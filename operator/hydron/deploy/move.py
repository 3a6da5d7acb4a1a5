"""Moving an app to another server, data included.

A data volume goes as a tar stream from the old server's Docker volume to a volume
of the same name on the new one, through the operator (the two servers need not
reach each other, and no key is copied to either). The old container that writes
the volume is stopped first, so the copy is consistent; the old volume itself is
kept until a person removes it, so nothing is ever lost by a move.
"""

from __future__ import annotations

from hydron.remote.command import shell
from hydron.remote.runner import CommandRunner

COPY_TIMEOUT = 6 * 3600.0
"""Large volumes take long; the stream fails loudly if a side goes away."""


def pack_volume(volume: str):
    """The volume's files as a tar stream on stdout (owners and modes kept)."""
    return shell('d=$(docker volume inspect --format "{{.Mountpoint}}" "$1") && exec tar -C "$d" -cf - .', volume)


def unpack_volume(volume: str):
    """A fresh volume of that name, filled from the tar stream on stdin. Emptied
    first, so a copy interrupted earlier cannot leave stale files behind."""
    return shell(
        'docker volume create "$1" >/dev/null && d=$(docker volume inspect --format "{{.Mountpoint}}" "$1") '
        '&& find "$d" -mindepth 1 -delete && exec tar -C "$d" -xpf -',
        volume, mutates=True,
    )


async def copy_volume(volume: str, source: CommandRunner, target: CommandRunner) -> None:
    """Stream one volume from `source`'s server to `target`'s."""
    await target.run(unpack_volume(volume), input=source.stream(pack_volume(volume)), timeout=COPY_TIMEOUT)
