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
