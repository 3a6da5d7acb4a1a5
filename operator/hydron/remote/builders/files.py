"""Files on the server: read, write atomically (content on stdin), remove.

A write goes to a temporary name and is renamed into place only once the server has
counted the bytes it received and hashed them: a sender that dies (or a stream that
ends) midway leaves the old file as it was and no temporary file behind, never half
a new file. So a reader (sshd, nft, dockerd) only ever sees the old or the new file.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

from hydron.remote.command import Command, mutate, shell
from hydron.remote.errors import IncompleteWrite

MISSING = 3
"""Exit status of `read` when the file does not exist."""
INCOMPLETE = 4
"""Exit status of `write` when fewer bytes, or other bytes, arrived than were sent."""
TEMPORARY_SUFFIX = ".hydron-new"

_READ = 'if [ -e "$1" ]; then cat -- "$1"; else exit 3; fi'
# $1 path, $2 mode, $3 length, $4 sha256. The length and hash travel in argv, the
# content on stdin; a file holding a secret is written `sensitive`, so its argv (the
# hash says something about the content) is never logged or put in an error.
_WRITE = f"""umask 077
tmp="$1{TEMPORARY_SUFFIX}"
mkdir -p -- "$(dirname -- "$1")" || exit 1
if ! cat > "$tmp"; then rm -f -- "$tmp"; exit 1; fi
size=$(wc -c < "$tmp"); sum=$(sha256sum < "$tmp")
if [ "$size" -ne "$3" ] || [ "${{sum%% *}}" != "$4" ]; then
  rm -f -- "$tmp"
  echo "received $size of $3 bytes (sha256 ${{sum%% *}}, sent $4): the stream ended early; $1 was left as it was" >&2
  exit {INCOMPLETE}
fi
chmod "$2" "$tmp" && mv -f -- "$tmp" "$1"
"""


def read(path: str) -> Command:
    """cat the file; exit 3 (accepted) when it is absent."""
    return shell(_READ, path, ok_exit=(0, MISSING))


def read_sensitive(path: str) -> Command:
    """`read` for a file that holds secrets: its content is kept out of logs and errors."""
    return replace(read(path), sensitive=True)


def write(path: str, content: bytes, mode: str = "0644", sensitive: bool = False) -> Command:
    """Replace the file with `content` (sent on stdin), atomically, with this mode; the
    server checks length and sha256 before the rename (IncompleteWrite otherwise).
    `sensitive`: the content is a secret (a registry login), so neither the command's
    arguments nor its output reach logs or errors."""
    digest = hashlib.sha256(content).hexdigest()
    command = shell(_WRITE, path, mode, str(len(content)), digest, mutates=True)
    return Command(command.argv, mutates=True, stdin=content, failures=((INCOMPLETE, IncompleteWrite),),
                   sensitive=sensitive)


def remove(*paths: str) -> Command:
    return mutate("rm", "-f", "--", *paths)
