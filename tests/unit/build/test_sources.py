"""The source tree kept on the server: a redeploy sends only what changed, and the
server's script turns the old tree into the new one without touching the old one.
The script runs here with sh, tar and cp, as it runs on a server."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from hydron.build import sources
from hydron.source.artifacts import write_artifact


def commit(tree: Path, dest: Path, files: dict[str, str | None]) -> Path:
    for name, text in files.items():
        path = tree / name
        if text is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return write_artifact(tree, dest)


def apply_here(root: Path, app: str, commit_id: str, base: str | None, data: bytes) -> subprocess.CompletedProcess:
    argv = list(sources.apply(app, commit_id, base).argv)
    argv[4] = str(root)  # $1: the sources root, here instead of /var/lib/hydron
    return subprocess.run(argv, input=data, capture_output=True)


def test_a_one_line_change_sends_only_that_file_and_the_server_rebuilds_the_tree(tmp_path):
    tree, artifacts, server = tmp_path / "repo", tmp_path / "artifacts", tmp_path / "server"
    big = {f"assets/blob{i}.bin": os.urandom(200_000).hex() for i in range(5)}
    first = commit(tree, artifacts / "c1.tar", {**big, "app.py": "print('one')\n", "old.txt": "bye\n",
                                                "gone/inner.txt": "x\n"})
    full = sources.delta(first, None)
    assert full.changed >= 8 and len(full.data) > 1_000_000
    assert apply_here(server, "shop", "c1", None, full.data).returncode == 0

    (tree / "gone" / "inner.txt").unlink()
    (tree / "gone").rmdir()
    second = commit(tree, artifacts / "c2.tar", {"app.py": "print('two')\n", "old.txt": None, "new.txt": "hi\n"})
    change = sources.delta(second, first)
    assert change.removed == 2 and len(change.data) < 2_000  # whatever the repository's size
    done = apply_here(server, "shop", "c2", "c1", change.data)
    assert done.returncode == 0, done.stderr

    new, old = server / "shop" / "c2", server / "shop" / "c1"
    assert (new / "app.py").read_text() == "print('two')\n" and (new / "new.txt").read_text() == "hi\n"
    assert not (new / "old.txt").exists() and not (new / "gone").exists()
    assert (new / "assets" / "blob3.bin").read_text() == big["assets/blob3.bin"]
    assert (old / "app.py").read_text() == "print('one')\n" and (old / "old.txt").exists()  # the base stays as it was


def test_a_base_gone_from_the_server_is_refused_not_half_applied(tmp_path):
    tree = tmp_path / "repo"
    first = commit(tree, tmp_path / "c1.tar", {"a.txt": "a\n"})
    second = commit(tree, tmp_path / "c2.tar", {"a.txt": "b\n"})
    done = apply_here(tmp_path / "server", "shop", "c2", "c1", sources.delta(second, first).data)
    assert done.returncode == sources.BASE_GONE
    assert not (tmp_path / "server" / "shop" / "c2").exists()


def test_the_engines_json_lines_from_the_server_become_build_lines_and_errors():
    import pytest

    from hydron.build.image import BuildFailed, BuildOutput
    from hydron.build.services import _feed

    lines: list[str] = []
    output = BuildOutput("hydron/shop-web:c2", lines.append)
    for line in ['{"stream":"Step 1/2 : FROM node:18-slim\\n"}\r', '{"aux":{"ID":"sha256:abc"}}', "curl: (7) oops"]:
        _feed(output, line)
    assert lines == ["Step 1/2 : FROM node:18-slim", "curl: (7) oops"] and output.result() == "sha256:abc"
    _feed(output, '{"error":"COPY failed: no such file"}')
    with pytest.raises(BuildFailed, match="COPY failed"):
        output.result()
