"""Symlink sanitising and measuring on real directory trees."""

from __future__ import annotations

import os
from pathlib import Path

from hydron.source.tree import disk_usage, escapes, measure, sanitize


def make(root: Path, links: dict[str, str], files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    for rel, target in links.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, root / rel)


def test_escape_rules(tmp_path: Path) -> None:
    root = tmp_path / "co"
    make(
        root,
        {
            "abs": "/etc/passwd",
            "abs-inside": str(root / "a.txt"),  # absolute, even into the checkout: not after the move
            "up": "..",
            "sub/ok": "../a.txt",
            "sub/dir-ok": "..",
            "sub/out": "../../x",
            "through": "sub/out/y",
            "sibling": f"../{root.name}/a.txt",  # resolves inside now, climbs out lexically
            "dangling-inside": "nope/missing",
            "loop1": "loop2",
            "loop2": "loop1",
        },
        {"a.txt": b"a"},
    )
    verdict = {rel: escapes(root, root / rel) for rel in
               ["abs", "abs-inside", "up", "sub/ok", "sub/dir-ok", "sub/out", "through", "sibling",
                "dangling-inside", "loop1"]}
    assert verdict == {
        "abs": True, "abs-inside": True, "up": True, "sub/ok": False, "sub/dir-ok": False, "sub/out": True,
        "through": True, "sibling": True, "dangling-inside": False, "loop1": False,
    }


def test_sanitize_removes_and_counts(tmp_path: Path) -> None:
    root = tmp_path / "co"
    make(root, {"etc": "/etc", "keep": "a.txt", "d/esc": "../../.."}, {"a.txt": b"12345", "d/b.bin": b"xy"})
    (root / ".git").mkdir()
    (root / ".git" / "big").write_bytes(b"0" * 1000)  # git's own files are not counted
    report = sanitize(root)
    assert sorted((r.path, r.target) for r in report.removed) == [("d/esc", "../../.."), ("etc", "/etc")]
    assert not os.path.lexists(root / "etc") and os.path.islink(root / "keep")
    assert report.files == 3  # a.txt, d/b.bin, keep
    assert report.bytes == 5 + 2 + len("a.txt")


def test_sanitize_does_not_follow_directory_links(tmp_path: Path) -> None:
    """A link to / must not make the walk count (or delete) anything out there."""
    outside = tmp_path / "outside"
    make(outside, {"evil": "/etc/passwd"}, {"f": b"x"})
    root = tmp_path / "co"
    make(root, {"out": str(outside)}, {"a": b"a"})
    report = sanitize(root)
    assert [r.path for r in report.removed] == ["out"]
    assert os.path.islink(outside / "evil") and report.files == 1


def test_measure_and_disk_usage(tmp_path: Path) -> None:
    make(tmp_path, {"l": "f1"}, {"f1": b"abc", "s/f2": b"defg"})
    assert measure(tmp_path) == (3, 3 + 4 + 2)
    assert disk_usage(tmp_path) == 7  # regular files only
    assert disk_usage(tmp_path / "missing") == 0
