"""The build context: one service's folder of the source archive the Application
handed over (the tree at the pinned commit, never .git or the working copy)."""

from __future__ import annotations

import io
import tarfile

import pytest

from hydron.build.context import GENERATED_DOCKERFILE, ContextError, context_from_archive, is_dockerfile_text
from hydron.build.image import build_digest, image_tag
from hydron.source.artifacts import artifact_path, prune, write_artifact


@pytest.fixture
def archive(tmp_path):
    tree = tmp_path / "tree"
    (tree / "api").mkdir(parents=True)
    (tree / "api" / "app.py").write_text("v1\n")
    (tree / "README.md").write_text("readme\n")
    (tree / ".git").mkdir()
    (tree / ".git" / "config").write_text("[remote] url = https://token@example.test\n")
    return write_artifact(tree, artifact_path(tmp_path / "work", "ns", "shop", "a" * 40))


def files(data: bytes) -> dict[str, str]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return {m.name: tar.extractfile(m).read().decode() for m in tar.getmembers() if m.isfile()}


def test_the_context_is_the_handed_over_tree_without_git(archive):
    data, dockerfile = context_from_archive(archive)
    assert files(data) == {"api/app.py": "v1\n", "README.md": "readme\n"}
    assert dockerfile == "Dockerfile"


def test_a_subdirectory_context_and_generated_dockerfile(archive):
    data, dockerfile = context_from_archive(archive, "api", "FROM python:3.11-slim\nCOPY . .\n")
    assert dockerfile == GENERATED_DOCKERFILE
    assert files(data) == {"app.py": "v1\n", GENERATED_DOCKERFILE: "FROM python:3.11-slim\nCOPY . .\n"}


@pytest.mark.parametrize("context", ["../elsewhere", "/etc"])
def test_a_context_outside_the_repository_is_refused(archive, context):
    with pytest.raises(ContextError):
        context_from_archive(archive, context)


def test_a_folder_that_is_not_in_the_source_is_a_context_error(archive):
    with pytest.raises(ContextError, match="'web' is not a directory"):
        context_from_archive(archive, "web")


def test_an_archive_is_written_once_per_commit_and_old_ones_are_pruned(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "app.js").write_text("one")
    first = write_artifact(tree, artifact_path(tmp_path, "ns", "shop", "1" * 40))
    (tree / "app.js").write_text("two")
    assert write_artifact(tree, first) == first  # the same commit: kept as it was
    data, _ = context_from_archive(first)
    assert files(data) == {"app.js": "one"}
    made = [write_artifact(tree, artifact_path(tmp_path, "ns", "shop", str(n) * 40)) for n in range(2, 6)]
    gone = prune(first.parent, keep=3, current=made[-1])
    assert first in gone and all(p.exists() for p in made[-3:])
    assert not list(first.parent.glob(".partial-*"))


@pytest.mark.parametrize(("value", "text"), [
    ("Dockerfile", False), ("docker/Dockerfile.prod", False), (None, False),
    ("FROM node:18-slim\nCMD node x\n", True), ("ARG V=1\nFROM x\n", True),
])
def test_dockerfile_text_or_path(value, text):
    assert is_dockerfile_text(value) is text


def test_tags_and_build_digests():
    assert image_tag("shop", "web", "0123456789abcdef") == "hydron/shop-web:0123456789ab"
    same = build_digest("abc", ".", "FROM x\n")
    assert same == build_digest("abc", ".", "FROM x\n")
    assert len({same, build_digest("abd", ".", "FROM x\n"), build_digest("abc", "api", "FROM x\n"), build_digest("abc", ".", "FROM y\n")}) == 4


def test_the_plan_says_whether_the_dockerfile_is_text_or_a_path(archive):
    _, name = context_from_archive(archive, ".", "FROM busybox", origin="Generated")
    assert name == GENERATED_DOCKERFILE  # one line of text, still the plan's generated Dockerfile
    _, name = context_from_archive(archive, ".", "api/Dockerfile", origin="Repository")
    assert name == "api/Dockerfile"
