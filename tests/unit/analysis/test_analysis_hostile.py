"""Hostile checkouts: analysis stays inside the root, stays bounded, and says what it skipped."""

from __future__ import annotations

import builtins
import json
import os
from pathlib import Path

import pytest

from hydron.analysis import Limits, analyze, as_document

EXPRESS_APP = {"name": "inside", "scripts": {"start": "node server.js"}, "dependencies": {"express": "^4"}}


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def counts(analysis) -> dict[str, int]:
    return {c.reason: c.count for c in analysis.skipped_counts}


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory next to the checkout holding things that must never be read."""
    secret_app = tmp_path / "outside"
    write(secret_app / "package.json", json.dumps({"name": "outside-app", "dependencies": {"express": "^4"},
                                                   "scripts": {"start": "node index.js"}}))
    write(secret_app / "index.js", "const k = process.env.OUTSIDE_SECRET_NAME;\napp.listen(4444);\n")
    write(secret_app / ".env.example", "LEAKED_FROM_OUTSIDE=value-from-outside\n")
    return secret_app


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    root = tmp_path / "checkout"
    write(root / "package.json", json.dumps(EXPRESS_APP))
    write(root / "server.js", "require('express')().listen(process.env.PORT || 3000);\n")
    return root


@pytest.fixture
def opened_paths(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every path analysis opens or lists, by any route."""
    seen: list[str] = []
    real_open, real_os_open, real_scandir = builtins.open, os.open, os.scandir

    def spy_open(file, *args, **kwargs):
        seen.append(os.fspath(file))
        return real_open(file, *args, **kwargs)

    def spy_os_open(path, *args, **kwargs):
        seen.append(os.fspath(path))
        return real_os_open(path, *args, **kwargs)

    def spy_scandir(path="."):
        seen.append(os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(builtins, "open", spy_open)
    monkeypatch.setattr(os, "open", spy_os_open)
    monkeypatch.setattr(os, "scandir", spy_scandir)
    return seen


def test_symlinks_out_of_the_checkout_are_skipped_and_never_read(
    checkout: Path, outside: Path, opened_paths: list[str]
) -> None:
    (checkout / "passwd").symlink_to("/etc/passwd")
    (checkout / "linked-app").symlink_to(outside, target_is_directory=True)
    write(checkout / "config" / "placeholder.txt", "")
    (checkout / "config" / "up").symlink_to("../../outside", target_is_directory=True)

    analysis = analyze(checkout)

    assert [s.name for s in analysis.services] == ["inside"]
    assert counts(analysis)["symlink-outside-root"] == 3
    assert {s.path for s in analysis.skipped} == {"passwd", "linked-app", "config/up"}
    root = os.path.realpath(checkout)
    assert opened_paths and all(os.path.realpath(p).startswith(root) for p in opened_paths)
    text = json.dumps(as_document(analysis))
    assert "OUTSIDE_SECRET_NAME" not in text and "LEAKED_FROM_OUTSIDE" not in text and "4444" not in text


def test_a_symlink_inside_the_checkout_is_not_followed_either(checkout: Path) -> None:
    write(checkout / "real" / "notes.txt", "")
    (checkout / "alias").symlink_to(checkout / "real", target_is_directory=True)

    analysis = analyze(checkout)

    assert counts(analysis) == {"symlink": 1}


def test_compose_paths_that_climb_out_of_the_checkout_are_ignored(
    checkout: Path, outside: Path, opened_paths: list[str]
) -> None:
    write(checkout / "docker-compose.yml", """
services:
  escape:
    build: ../outside
    env_file: ../outside/.env.example
  absolute:
    build:
      context: /etc
      dockerfile: ../../etc/passwd
""")

    analysis = analyze(checkout)

    assert "escape" not in {s.name for s in analysis.services}
    assert "absolute" not in {s.name for s in analysis.services}
    root = os.path.realpath(checkout)
    assert all(os.path.realpath(p).startswith(root) for p in opened_paths)
    assert "LEAKED_FROM_OUTSIDE" not in json.dumps(as_document(analysis))


def test_a_huge_file_is_skipped_without_being_read_and_the_rest_is_analysed(checkout: Path) -> None:
    write(checkout / "src" / "generated.js", "// " + "x" * (5 * 1024 * 1024) + "\nprocess.env.NEVER_SEEN;\n")
    write(checkout / "src" / "app.js", "const key = process.env.API_KEY;\n")

    analysis = analyze(checkout)

    assert counts(analysis)["too-large"] == 1
    assert {"path": "src/generated.js", "reason": "too-large"} in [s.model_dump() for s in analysis.skipped]
    env = {v.name for v in analysis.services[0].env}
    assert "API_KEY" in env and "NEVER_SEEN" not in env


def test_binary_files_are_skipped(checkout: Path) -> None:
    (checkout / "worker.js").write_bytes(b"\x7fELF\x00\x00process.env.BINARY_VAR\x00")
    (checkout / "Procfile").write_text("web: node server.js\nworker: node worker.js\n")

    analysis = analyze(checkout, limits=Limits())

    assert counts(analysis)["binary"] == 1
    assert all(v.name != "BINARY_VAR" for s in analysis.services for v in s.env)


def test_deep_nesting_stops_at_the_depth_limit(checkout: Path) -> None:
    deep = checkout
    for _ in range(200):
        deep = deep / "d"
    write(deep / "package.json", json.dumps({"name": "too-deep", "scripts": {"start": "node x.js"}}))

    analysis = analyze(checkout, limits=Limits(max_depth=20))

    assert counts(analysis)["too-deep"] == 1
    assert [s.name for s in analysis.services] == ["inside"]


def test_odd_encodings_are_read(checkout: Path) -> None:
    (checkout / ".env.example").write_bytes("# Café settings\nGREETING=h\xe9llo\nAPI_TOKEN=\n".encode("latin-1"))
    write(checkout / "lib" / "placeholder.txt", "")
    (checkout / "lib" / "config.js").write_bytes("const r = process.env.REGION_UTF16;\n".encode("utf-16"))

    analysis = analyze(checkout)

    env = {v.name: v for v in analysis.services[0].env}
    assert env["GREETING"].default == "h\ufffdllo"  # undecodable byte replaced, not a crash
    assert env["API_TOKEN"].secret
    assert "REGION_UTF16" in env


def test_many_files_with_a_low_limit_stop_the_walk_and_say_so(checkout: Path) -> None:
    for index in range(50):
        folder = checkout / "data" / f"batch{index}"
        folder.mkdir(parents=True)
        for number in range(40):
            (folder / f"row{number}.json").write_text("{}")

    analysis = analyze(checkout, limits=Limits(max_files=500))

    assert analysis.truncated
    assert analysis.files_scanned == 500
    assert counts(analysis)["file-limit"] == 1
    assert [s.name for s in analysis.services] == ["inside"]  # the root manifest is seen first
    assert any("stopped at a limit" in w for w in analysis.warnings)


def test_the_directory_limit_ends_the_walk_early(checkout: Path) -> None:
    for index in range(300):
        (checkout / "empty" / f"d{index}").mkdir(parents=True)

    analysis = analyze(checkout, limits=Limits(max_directories=50))

    assert analysis.truncated
    assert counts(analysis)["directory-limit"] == 1
    assert [s.name for s in analysis.services] == ["inside"]


def test_the_files_opened_limit_bounds_the_reads(checkout: Path) -> None:
    for index in range(20):
        write(checkout / "src" / f"m{index}.js", f"process.env.VAR_{index};\n")

    analysis = analyze(checkout, limits=Limits(max_files_opened=5))

    assert analysis.truncated
    assert counts(analysis)["read-budget"] >= 1


def test_the_same_checkout_gives_the_same_analysis_however_slow_the_machine(checkout: Path, monkeypatch) -> None:
    """No bound counts seconds: a clock that jumps an hour per read changes nothing."""
    for index in range(40):
        write(checkout / "src" / f"m{index}.js", f"process.env.VAR_{index};\n")
    before = analyze(checkout)
    import time

    now = [time.monotonic()]

    def crawling() -> float:
        now[0] += 3600
        return now[0]

    monkeypatch.setattr(time, "monotonic", crawling)
    monkeypatch.setattr(time, "time", crawling)

    after = analyze(checkout)

    assert not after.truncated
    assert as_document(after) == as_document(before)


def test_the_read_budget_bounds_total_bytes_read(checkout: Path) -> None:
    for index in range(20):
        write(checkout / "src" / f"m{index}.js", f"process.env.VAR_{index};\n" + "//" * 2000)

    analysis = analyze(checkout, limits=Limits(max_total_read_bytes=20_000))

    assert analysis.truncated
    assert counts(analysis)["read-budget"] >= 1


def test_skipped_examples_are_bounded_but_counts_are_exact(checkout: Path) -> None:
    for index in range(500):
        (checkout / f"link{index}").symlink_to("/etc/hostname")

    analysis = analyze(checkout, limits=Limits(max_skipped_examples=10))

    assert counts(analysis)["symlink-outside-root"] == 500
    assert len(analysis.skipped) == 10


def test_special_files_do_not_block_the_walk(checkout: Path) -> None:
    os.mkfifo(checkout / "pipe")
    os.mkfifo(checkout / "Procfile")  # a reader that opened it would wait forever

    analysis = analyze(checkout)

    assert counts(analysis)["special-file"] == 2
    assert [s.name for s in analysis.services] == ["inside"]


def test_vendored_and_generated_directories_are_pruned(checkout: Path) -> None:
    write(checkout / "node_modules" / "express" / "package.json", json.dumps(EXPRESS_APP | {"name": "express"}))
    write(checkout / ".git" / "config", "[core]\n")
    write(checkout / "vendor" / "composer.json", "{}")

    analysis = analyze(checkout)

    assert counts(analysis)["ignored-directory"] == 3
    assert [s.name for s in analysis.services] == ["inside"]


@pytest.mark.timeout(60)  # a hang guard: an expanded alias bomb took minutes before it was made safe
def test_malformed_and_bomb_manifests_do_not_crash(checkout: Path) -> None:
    write(checkout / "api" / "package.json", "[" * 100_000)
    write(checkout / "py" / "pyproject.toml", "[project\nname = ")
    laughs = ["lol: &a [x, x, x, x, x, x, x, x, x]"]
    laughs += [f"l{i}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
               f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]" for i in range(8)]
    laughs += ["services:", "  bomb:", "    image: alpine", "    ports: *i", "    environment: *i"]
    write(checkout / "docker-compose.yml", "\n".join(laughs) + "\n")

    analysis = analyze(checkout)

    assert "inside" in [s.name for s in analysis.services]


def test_passwords_inlined_in_commands_do_not_reach_the_status(checkout: Path) -> None:
    write(checkout / "Procfile", "web: API_KEY=sk_live_abcdef123456 node server.js --db-password=hunter2\n"
                                 "worker: node worker.js postgres://app:hunter2@db/app\n")

    analysis = analyze(checkout)

    text = json.dumps(as_document(analysis))
    assert "hunter2" not in text and "sk_live_abcdef123456" not in text
    web = {s.name: s for s in analysis.services}["inside"]
    assert web.start_command.value == "API_KEY=<redacted> node server.js --db-password=<redacted>"


def test_the_number_of_services_is_bounded(checkout: Path) -> None:
    for index in range(30):
        write(checkout / "apps" / f"app{index:02}" / "Dockerfile", "FROM nginx:1.27\nEXPOSE 80\n")

    analysis = analyze(checkout, limits=Limits(max_services=10))

    assert len(analysis.services) == 10
    assert analysis.warnings[0] == "Found 31 services; only the first 10 by path are listed."
