"""Files on the server: read, write atomically (content on stdin), remove.

Writes go to a temporary name and are renamed into place, so a reader (sshd, nft,
dockerd) never sees half a file, even if the connection drops mid-write.
"""

from __future__ import annotations

from dataclasses import replace

from hydron.remote.command import Command, mutate, shell

MISSING = 3
"""Exit status of `read` when the file does not exist."""

_READ = 'if [ -e "$1" ]; then cat -- "$1"; else exit 3; fi'
_WRITE = 'umask 077; mkdir -p -- "$(dirname -- "$1")" && cat > "$1.hydron-new" && chmod "$2" "$1.hydron-new" && mv -f -- "$1.hydron-new" "$1"'


def read(path: str) -> Command:
    """cat the file; exit 3 (accepted) when it is absent."""
    return shell(_READ, path, ok_exit=(0, MISSING))


def read_sensitive(path: str) -> Command:
    """`read` for a file that holds secrets: its content is kept out of logs and errors."""
    return replace(read(path), sensitive=True)


def write(path: str, mode: str = "0644") -> Command:
    """Replace the file with stdin, atomically, with this mode."""
    return shell(_WRITE, path, mode, mutates=True)


def remove(*paths: str) -> Command:
    return mutate("rm", "-f", "--", *paths)
