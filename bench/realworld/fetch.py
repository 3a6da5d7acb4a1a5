"""Materialise the real-world corpus: one checkout per truth file, at the pinned commit, outside the repo.

Two sources, both giving a plain directory tree (no .git) at DIR/<app name>:

    # a machine with internet: shallow-fetch each pinned commit from GitHub
    python3 bench/realworld/fetch.py --checkouts ~/hydron-realworld

    # bare git directories already on disk, one per repository, as <owner>+<name>/repo under MIRRORS
    python3 bench/realworld/fetch.py --checkouts ~/hydron-realworld --mirrors /path/to/mirrors

Blobs a mirror lacks (snapshots may drop files of several MiB) are skipped and counted: the
analysis never reads files that large anyway. Existing checkouts are left alone unless --force.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from truth import load_all


def materialise(git_dir: Path, commit: str, dest: Path) -> int:
    """Write the tree of commit from git_dir into dest; returns how many blobs were missing."""
    listing = subprocess.run(
        ["git", f"--git-dir={git_dir}", "ls-tree", "-r", "-z", "--full-tree", commit],
        check=True, capture_output=True,
    ).stdout.split(b"\0")
    entries = []
    for row in filter(None, listing):
        meta, _, name = row.partition(b"\t")
        mode, kind, sha = meta.split()
        if kind == b"blob":
            entries.append((mode, sha, name.decode("utf-8", "surrogateescape")))
    missing = 0
    batch = subprocess.Popen(
        ["git", f"--git-dir={git_dir}", "cat-file", "--batch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    for mode, sha, name in entries:
        batch.stdin.write(sha + b"\n")
        batch.stdin.flush()
        header = batch.stdout.readline().split()
        if header[1:2] == [b"missing"]:
            missing += 1
            continue
        content = batch.stdout.read(int(header[2]))
        batch.stdout.read(1)
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if mode == b"120000":
            target.unlink(missing_ok=True)
            target.symlink_to(content.decode("utf-8", "surrogateescape"))
        else:
            target.write_bytes(content)
            if mode == b"100755":
                target.chmod(0o755)
    batch.stdin.close()
    batch.wait()
    return missing


def clone_commit(repo: str, commit: str, scratch: Path) -> Path:
    """A bare git dir holding just the pinned commit, fetched shallowly from GitHub."""
    git_dir = scratch / "repo.git"
    subprocess.run(["git", "init", "-q", "--bare", str(git_dir)], check=True)
    subprocess.run(
        ["git", f"--git-dir={git_dir}", "fetch", "-q", "--depth", "1", f"https://github.com/{repo}", commit],
        check=True,
    )
    return git_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkouts", required=True, type=Path, help="folder to put one checkout per app in")
    parser.add_argument("--mirrors", type=Path, help="folder of <owner>+<name>/repo bare git dirs (no network)")
    parser.add_argument("--suite", default="apps", help="truth folder under bench/realworld (apps or nixpacks)")
    parser.add_argument("--only", action="append", help="app name (repeatable)")
    parser.add_argument("--force", action="store_true", help="replace existing checkouts")
    args = parser.parse_args(argv)
    failures, done = 0, set()
    for app in load_all(args.suite, args.only):
        if app.checkout in done:
            continue  # several apps of one repository (the nixpacks examples) share one checkout
        done.add(app.checkout)
        dest = args.checkouts / app.checkout
        if dest.exists() and not args.force:
            continue
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        try:
            with tempfile.TemporaryDirectory() as scratch:
                if args.mirrors:
                    git_dir = args.mirrors / app.repo.replace("/", "+") / "repo"
                else:
                    git_dir = clone_commit(app.repo, app.commit, Path(scratch))
                missing = materialise(git_dir, app.commit, dest)
        except (subprocess.CalledProcessError, OSError) as error:
            print(f"{app.name}: failed: {error}", file=sys.stderr)
            shutil.rmtree(dest, ignore_errors=True)
            failures += 1
            continue
        note = f" ({missing} large blobs absent)" if missing else ""
        print(f"{app.name}: {app.repo}@{app.commit[:12]}{note}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
