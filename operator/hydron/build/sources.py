"""The source tree kept on the server, so a redeploy sends only what changed.

Each commit's tree (the Application's source archive, unpacked) is kept at
/var/lib/hydron/sources/<app>/<commit>/, the newest few. To add a commit, the operator
compares its archive with the archive of a commit the server already holds (it keeps
a few per app, see hydron.source.artifacts) and sends one gzipped tar over the SSH
connection: the files added or changed, and the list of paths gone. The server
hard-links the old tree into a new one (nothing is copied) and applies the
difference, replacing each changed file rather than writing into it, so the old tree
stays as it was. When the server holds nothing the operator also has, the whole tree
goes: the same stream, against nothing.

Builds read their context from that tree on the server (see hydron.build.image), so
a one-line change costs a few kilobytes on the wire, whatever the repository's size.
Pure apart from `ensure`.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
from dataclasses import dataclass
from pathlib import Path

from hydron.remote.command import Command, observe, shell
from hydron.remote.runner import CommandRunner

ROOT = "/var/lib/hydron/sources"
KEEP = 3
REMOVED = "removed"
TREE = "tree"
BASE_GONE = 5
"""Exit status of `apply` when the base tree vanished on the server meanwhile."""

Entry = tuple[str, int, str]
"""(kind, mode, content digest or link target) of one archive member."""


def tree_path(app: str, commit: str) -> str:
    return f"{ROOT}/{app}/{commit}"


def _safe(name: str) -> str | None:
    name = name.removeprefix("./").rstrip("/")
    parts = name.split("/")
    return None if not name or name.startswith("/") or ".." in parts else name


def manifest(archive: Path) -> dict[str, Entry]:
    """What each path of an archive holds, to tell changed files from the same ones."""
    entries: dict[str, Entry] = {}
    with tarfile.open(archive, mode="r") as tar:
        for member in tar:
            name = _safe(member.name)
            if name is None:
                continue
            if member.isfile():
                digest = hashlib.sha256(tar.extractfile(member).read()).hexdigest()  # type: ignore[union-attr]
                entries[name] = ("file", member.mode, digest)
            elif member.isdir():
                entries[name] = ("dir", member.mode, "")
            elif member.issym():
                entries[name] = ("link", member.mode, member.linkname)
    return entries


@dataclass(frozen=True)
class Delta:
    data: bytes
    """The gzipped tar to send."""
    changed: int
    removed: int


def delta(new: Path, base: Path | None) -> Delta:
    """What turns `base`'s tree into `new`'s (everything when there is no base)."""
    before = manifest(base) if base is not None else {}
    after = manifest(new)
    gone = sorted(name for name in before if name not in after)
    # A path gone whose parent is gone too needs no removal of its own.
    gone = [n for n in gone if not any(n.startswith(g + "/") for g in gone if g != n)]
    out = io.BytesIO()
    changed = 0
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, compresslevel=1) as zipped, \
            tarfile.open(fileobj=zipped, mode="w") as sent, tarfile.open(new, mode="r") as source:
        listing = "\0".join(gone).encode()
        info = tarfile.TarInfo(REMOVED)
        info.size = len(listing)
        sent.addfile(info, io.BytesIO(listing))
        for member in source:
            name = _safe(member.name)
            if name is None or name not in after or before.get(name) == after[name]:
                continue
            changed += 1
            member.name = f"{TREE}/{name}"
            sent.addfile(member, source.extractfile(member) if member.isfile() else None)
    return Delta(out.getvalue(), changed, len(gone))


def listing(app: str) -> Command:
    """The commits whose tree the server holds for `app`, newest first."""
    return observe("sh", "-c", 'cd -- "$1" 2>/dev/null && ls -1t | grep -v "\\.partial" || true', "sh", f"{ROOT}/{app}")


_APPLY = f"""set -e
dir="$1/$2"; new="$dir/$3"; work="$new.partial"
rm -rf -- "$work" "$work.delta"; mkdir -p -- "$dir" "$work.delta"
if [ -n "$4" ]; then
  [ -d "$dir/$4" ] || {{ echo "the tree of $4 is gone from the server" >&2; exit {BASE_GONE}; }}
  cp -al -- "$dir/$4" "$work"
else
  mkdir -- "$work"
fi
tar -xzf - -C "$work.delta"
if [ -s "$work.delta/{REMOVED}" ]; then (cd -- "$work" && xargs -0 rm -rf -- < "$work.delta/{REMOVED}"); fi
if [ -d "$work.delta/{TREE}" ]; then cp -a --remove-destination -- "$work.delta/{TREE}/." "$work/"; fi
rm -rf -- "$work.delta" "$new"
mv -- "$work" "$new"
touch -- "$new"
cd -- "$dir" && ls -1t | grep -v '\\.partial' | tail -n +{KEEP + 1} | while read -r old; do rm -rf -- "$old"; done
"""


def apply(app: str, commit: str, base: str | None) -> Command:
    """Make the server's tree of `commit` from the tree of `base` and the delta on stdin."""
    return shell(_APPLY, ROOT, app, commit, base or "", mutates=True, ok_exit={0})


@dataclass(frozen=True)
class Sent:
    """What `ensure` did: the tree's path on the server, the base it used, bytes sent."""

    path: str
    base: str | None
    sent: int


async def ensure(run: CommandRunner, app: str, commit: str, archive: Path) -> Sent:
    """The server holds the tree of `commit`; send what it lacks."""
    held = (await run.run(listing(app))).stdout.split()
    if commit in held:
        return Sent(tree_path(app, commit), commit, 0)
    local = archive.parent
    base = next((c for c in held if (local / f"{c}.tar").is_file() and c != commit), None)
    for attempt in (base, None) if base else (None,):
        change = delta(archive, local / f"{attempt}.tar" if attempt else None)
        result = await run.run(apply(app, commit, attempt), input=change.data, check=attempt is None)
        if result.exit_status == 0:
            return Sent(tree_path(app, commit), attempt, len(change.data))
    raise AssertionError("unreachable: the full transfer raises on failure")


DOCKER_SOCKET = "/var/run/docker.sock"
CONTEXT_MISSING = 6
"""Exit status of `build` when the context folder is not in the tree."""

# $1 context folder, $2 build API query, $3 generated Dockerfile name ("" for none; its text on stdin).
_BUILD = f"""[ -d "$1" ] || {{ echo "build context is not a directory in the source" >&2; exit {CONTEXT_MISSING}; }}
extra=""
if [ -n "$3" ]; then
  extra=$(mktemp -d); trap 'rm -rf -- "$extra"' EXIT; cat > "$extra/$3"
  tar -c -f - -C "$1" --anchored --exclude="./$3" . -C "$extra" "$3"
else
  tar -c -f - -C "$1" .
fi | curl -sS -N --fail-with-body --max-time 3600 --unix-socket {DOCKER_SOCKET} -X POST -T - \\
  -H 'Content-Type: application/x-tar' "http://docker/build?$2"
"""


def build(tree: str, context: str, query: str, generated: str | None) -> Command:
    """Stream the context from the server's tree into the engine's build API there; the
    engine's JSON lines come back on stdout."""
    folder = tree if context in (".", "") else f"{tree}/{context}"
    return shell(_BUILD, folder, query, generated or "", mutates=True, ok_exit={0})
