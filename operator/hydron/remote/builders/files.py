"""Files on the server: read, write atomically (content on stdin), remove.

A write goes to a temporary name and is renamed into place only once the server has
counted the bytes it received and hashed them: a sender that dies (or a stream that
ends) midway leaves the old file as it was and no temporary file behind, never half
a new file. So a reader (sshd, nft, dockerd) only ever sees the old or the new file.
"""

from __future__ import annotations

import hashlib

from hydron.remote.command import Command, mutate, shell
from hydron.remote.errors import IncompleteWrite

MISSING = 3
"""Exit status of `read` when the file does not exist."""
INCOMPLETE = 4
"""Exit status of `write` when fewer bytes, or other bytes, arrived than were sent."""
TEMPORARY_SUFFIX = ".hydron-new"

_READ = 'if [ -e "$1" ]; then cat -- "$1"; else exit 3; fi'
# $1 path, $2 mode, $3 length, $4 sha256. The length and hash travel in argv, the
# content on stdin: only these few config files are written this way, none a secret.
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


def write(path: str, content: bytes, mode: str = "0644") -> Command:
    """Replace the file with `content` (sent on stdin), atomically, with this mode; the
    server checks length and sha256 before the rename (IncompleteWrite otherwise)."""
    digest = hashlib.sha256(content).hexdigest()
    command = shell(_WRITE, path, mode, str(len(content)), digest, mutates=True)
    return Command(command.argv, mutates=True, stdin=content, failures=((INCOMPLETE, IncompleteWrite),))


def remove(*paths: str) -> Command:
    return mutate("rm", "-f", "--", *paths)
