"""The source artifact: the pinned commit's tree as a tar file, handed from the
Application stage to the Deployment's build.

The Application writes it once per commit, from its checkout (the tree only: no
.git, symlinks that escaped the repository already removed, spec.source.git.path
applied, so build contexts are relative to the app's own folder). The Deployment
reads it by commit and never looks into the Application's work directory. A few are
kept per app, so a redeploy of the previous commit still finds its source.
"""

from __future__ import annotations

import os
import tarfile
import tempfile
from pathlib import Path

KEEP_ARTIFACTS = 3


def artifact_path(workdir: Path, namespace: str, app: str, commit: str) -> Path:
    return workdir / "artifacts" / namespace / app / f"{commit}.tar"


def artifacts_dir(workdir: Path, namespace: str, app: str) -> Path:
    return workdir / "artifacts" / namespace / app


def write_artifact(tree: Path, dest: Path) -> Path:
    """Tar `tree` (.git excluded, in a stable order) to `dest`, atomically: a reader
    never sees half an archive. Does nothing when `dest` exists (one per commit)."""
    if dest.exists():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".partial-", suffix=".tar")
    try:
        with os.fdopen(fd, "wb") as out, tarfile.open(fileobj=out, mode="w") as tar:
            for path in sorted(tree.rglob("*")):
                rel = path.relative_to(tree)
                if ".git" in rel.parts:
                    continue
                tar.add(path, arcname=str(rel), recursive=False)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return dest


def prune(directory: Path, keep: int = KEEP_ARTIFACTS, current: Path | None = None) -> list[Path]:
    """Remove all but the `keep` newest archives (never `current`); returns what went."""
    if not directory.is_dir():
        return []
    archives = sorted(directory.glob("*.tar"), key=lambda p: p.stat().st_mtime, reverse=True)
    gone = [p for p in archives[keep:] if p != current]
    for path in gone:
        path.unlink(missing_ok=True)
    return gone
