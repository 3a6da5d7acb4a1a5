"""Which base image tag a stated language version picks."""

from __future__ import annotations

from hydron.planning.dockerfiles import generate_dockerfile, images
from tests.unit.planning.factories import analysis, service


def go_service(version: str):
    return service("api", language="go", version=version, framework="Gin", pm="go", lockfile="go.sum",
                   build="go build -o bin/api .", start="./bin/api", port=8080)


def test_go_directive_is_a_minimum_so_an_old_one_builds_with_the_current_toolchain():
    svc = go_service("1.18")
    text = generate_dockerfile(svc, analysis(svc))
    assert "FROM golang:1.23-bookworm AS build" in text
    assert "golang:1.18" not in text


def test_go_directive_newer_than_the_default_toolchain_is_respected():
    assert images.golang("1.24") == "golang:1.24-bookworm"
    assert images.golang("1.21.5") == "golang:1.23-bookworm"


def test_rust_version_is_a_minimum_met_by_current_stable():
    assert images.rust("1.70") == "rust:1-slim-bookworm"


def test_exact_pins_of_other_languages_still_pick_their_line():
    assert images.node("18") == "node:18-slim"
    assert images.python("3.11.9") == "python:3.11-slim"
    assert images.python(">=3.11") == "python:3.12-slim"


def test_an_engines_range_picks_the_current_node_line_when_its_newest_release_meets_it_else_the_newest_line_that_does():
    """`^18.0.0` is Node 18 only, never the current 22 (a caret is not a lower bound for Node's engines);
    `>=18 <21` is 20; a range the current line meets keeps it."""
    assert images.node("^18.0.0") == "node:18-slim"
    assert images.node(">=18 <21") == "node:20-slim"
    assert images.node("^18 || ^20") == "node:20-slim"
    assert images.node("16.x || 18.x") == "node:18-slim"
    assert images.node("^20.19.0 || >=22.12.0") == "node:22-slim"
    assert images.node(">=20.10") == "node:22-slim"
    assert images.node(">=24") == "node:24-slim"
    assert images.node("lts/*") == "node:22-slim"


def test_npm_semver_ranges_as_engines_states_them():
    assert images.satisfies("^20.19.0 || >=22.12.0", (20, 18, 0)) is False
    assert images.satisfies("^20.19.0 || >=22.12.0", (20, 19, 1)) is True
    assert images.satisfies("^20.1", (20, 5, 0)) and not images.satisfies("^20.1", (21, 0, 0))
    assert images.satisfies("~20.1", (20, 1, 9)) and not images.satisfies("~20.1", (20, 2, 0))
    assert images.satisfies(">= 18.12 < 21", (20, 0, 0)) and not images.satisfies(">=18.12", (18, 11, 0))
    assert images.satisfies("lts/*", (22,)) is None
