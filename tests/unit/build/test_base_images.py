"""The images a Dockerfile needs are read from its text exactly as the engine would
resolve them, so every one can be on the server before the build starts."""

from hydron.build.base_images import needed_images


def test_a_single_stage_needs_its_from_image():
    assert needed_images("FROM python:3.12-slim\nRUN pip install flask\n") == ["python:3.12-slim"]


def test_every_stage_counts_and_stage_names_and_scratch_do_not():
    text = """
    FROM node:18-slim AS build
    RUN npm ci
    FROM build AS test
    FROM nginx:1.25-alpine
    COPY --from=build /app/dist /usr/share/nginx/html
    FROM scratch
    COPY --from=1 /x /x
    """
    assert needed_images(text) == ["node:18-slim", "nginx:1.25-alpine"]


def test_arg_defaults_before_from_are_substituted():
    text = (
        "ARG PYTHON_VERSION=3.12\n"
        'ARG VARIANT="slim"\n'
        "FROM python:${PYTHON_VERSION}-$VARIANT AS base\n"
        "ARG PYTHON_VERSION=3.9\n"  # a stage's own ARG does not reach later FROM lines
        "FROM base\n"
        "FROM python:${PYTHON_VERSION}-bookworm\n"
    )
    assert needed_images(text) == ["python:3.12-slim", "python:3.12-bookworm"]


def test_build_args_override_defaults_and_default_syntax_applies():
    text = "ARG TAG=18\nARG REGISTRY\nFROM ${REGISTRY:-docker.io}/library/node:${TAG}\n"
    assert needed_images(text, {"TAG": "20"}) == ["docker.io/library/node:20"]


def test_an_unset_variable_leaves_the_image_out_rather_than_guessing():
    assert needed_images("ARG BASE\nFROM $BASE\nFROM debian:bookworm-slim\n") == ["debian:bookworm-slim"]


def test_platform_flags_are_skipped():
    text = "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\nFROM --platform=linux/amd64 gcr.io/distroless/static\n"
    assert needed_images(text) == ["golang:1.22", "gcr.io/distroless/static"]


def test_copy_from_an_image_is_needed_too():
    text = (
        "FROM python:3.12-slim\n"
        "COPY --from=ghcr.io/astral-sh/uv:0.4 /uv /bin/uv\n"
        "RUN --mount=type=cache,from=busybox:1.36,target=/c true\n"
        "COPY --from=python:3.12-slim /x /y\n"
    )
    assert needed_images(text) == ["python:3.12-slim", "ghcr.io/astral-sh/uv:0.4", "busybox:1.36"]


def test_continuations_comments_and_case_are_handled():
    text = (
        "# syntax=docker/dockerfile:1\n"
        "from \\\n"
        "  ruby:3.3 \\\n"
        "  as   Base\n"
        "# FROM commented:out\n"
        "FROM base\n"
        "FROM BASE\n"
    )
    assert needed_images(text) == ["ruby:3.3"]


def test_the_escape_directive_changes_the_continuation_character():
    text = "# escape=`\nFROM mcr.microsoft.com/dotnet/sdk:8.0 `\n  AS build\nFROM build\n"
    assert needed_images(text) == ["mcr.microsoft.com/dotnet/sdk:8.0"]


def test_digests_are_kept_and_duplicates_listed_once():
    ref = "alpine@sha256:" + "a" * 64
    assert needed_images(f"FROM {ref}\nFROM alpine:3.20\nFROM {ref}\n") == [ref, "alpine:3.20"]


def test_no_from_means_no_images():
    assert needed_images("") == []
    assert needed_images("RUN true\n") == []
