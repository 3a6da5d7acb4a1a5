"""The real-world image runner's reading of Dockerfiles and build logs (bench/realworld/images.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "realworld"))
from images import base_images, first_error  # noqa: E402


def test_base_images_are_the_from_lines_that_are_not_earlier_stages_with_arg_defaults():
    dockerfile = ("ARG GO_VERSION=1.22\nFROM golang:${GO_VERSION}-alpine AS build\nRUN go build\n"
                  "FROM --platform=$BUILDPLATFORM node:22-slim AS web\nFROM build AS final\nFROM scratch\n")
    assert base_images(dockerfile, {}) == {"golang:1.22-alpine", "node:22-slim"}


def test_first_error_names_the_failing_step_and_its_cause_not_the_engine_summary():
    log = ("Step 1/3 : FROM python:3.12-slim\n ---> abc\nStep 2/3 : RUN pipenv install --deploy --system\n"
           "Installing dependencies\nYour Pipfile.lock (b211) is out of date. Expected: (3417).\n"
           "ERROR:: Aborting deploy\nThe command '/bin/sh -c pipenv install' returned a non-zero code: 1\n")
    assert first_error(log) == ("Step 2/3 : RUN pipenv install --deploy --system -> "
                                "Your Pipfile.lock (b211) is out of date. Expected: (3417).")
