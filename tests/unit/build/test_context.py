"""The build context: the tree at the pinned commit, never the working copy or .git."""

from __future__ import annotations

import io
import subprocess
import tarfile

import pytest

from hydron.build.context import GENERATED_DOCKERFILE, ContextError, build_context, dockerfile_text, is_dockerfile_text
from hydron.build.image import build_digest, image_tag


def git(path, *args) -> str:
    return subprocess.run(["git", "-C", str(path), *args], capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def repo(tmp_path):
    git(tmp_path, "init", "-q")
    git(tmp_path, "config", "user.email", "t@example.test")
    git(tmp_path, "config", "user.name", "t")
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "app.py").write_text("v1\n")
    (tmp_path / "README.md").write_text("readme\n")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "one")
    first = git(tmp_path, "rev-parse", "HEAD")
    (tmp_path / "api" / "app.py").write_text("v2\n")
    git(tmp_path, "commit", "-qam", "two")
    (tmp_path / "api" / "app.py").write_text("uncommitted\n")
    return tmp_path, first


def files(data: bytes) -> dict[str, str]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return {m.name: tar.extractfile(m).read().decode() for m in tar.getmembers() if m.isfile()}


def test_the_context_is_the_tree_at_the_commit(repo):
    path, first = repo
    data, dockerfile = build_context(path, first)
    assert files(data) == {"api/app.py": "v1\n", "README.md": "readme\n"}
    assert dockerfile == "Dockerfile"


def test_a_subdirectory_context_and_generated_dockerfile(repo):
    path, first = repo
    data, dockerfile = build_context(path, first, "api", "FROM python:3.11-slim\nCOPY . .\n")
    assert dockerfile == GENERATED_DOCKERFILE
    assert files(data) == {"app.py": "v1\n", GENERATED_DOCKERFILE: "FROM python:3.11-slim\nCOPY . .\n"}


def test_a_checkout_without_git_is_tarred_without_git(tmp_path):
    (tmp_path / "app.js").write_text("x")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text("secret-ish")
    data, _ = build_context(tmp_path, None)
    assert files(data) == {"app.js": "x"}


@pytest.mark.parametrize("context", ["../elsewhere", "/etc"])
def test_a_context_outside_the_repository_is_refused(repo, context):
    path, first = repo
    with pytest.raises(ContextError):
        build_context(path, first, context)


def test_an_unknown_commit_is_a_context_error(repo):
    path, _ = repo
    with pytest.raises(ContextError, match="git archive"):
        build_context(path, "0" * 40)


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


def test_the_dockerfile_is_read_at_the_pinned_commit_so_its_base_images_are_known_before_the_build(repo):
    path, first = repo
    (path / "api" / "Dockerfile").write_text("FROM python:3.12-slim\n")
    git(path, "add", "-A")
    git(path, "commit", "-qm", "dockerfile")
    pinned = git(path, "rev-parse", "HEAD")
    (path / "api" / "Dockerfile").write_text("FROM python:3.9-slim\n")  # uncommitted: not what is built
    assert dockerfile_text(path, pinned, "api") == "FROM python:3.12-slim\n"
    assert dockerfile_text(path, None, "api") == "FROM python:3.9-slim\n"
    assert dockerfile_text(path, pinned, "api", "FROM node:18-slim\nCMD x\n") == "FROM node:18-slim\nCMD x\n"
    with pytest.raises(ContextError):
        dockerfile_text(path, first, "api")
    with pytest.raises(ContextError):
        dockerfile_text(path, pinned, "api", "../../etc/passwd")
