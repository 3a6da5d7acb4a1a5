"""The real-world image runner (bench/realworld/images.py) on a small sample shaped like the corpus:
each app is analysed and planned, its generated image built with the real engine, started with
the datastores the plan puts beside it, and its health check must answer.

- notes-pg: Node with PostgreSQL; /health answers only once the database does, so the plan's
  wiring (DATABASE_URL from the generated secret, the database started on the app's network)
  is checked, not just the build.
- guestbook-sqlite: a Python app that writes a SQLite file beside its code as a non-root user;
  the plan must make that folder writable and a volume.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from hydron_testbed.servers import OWNER_LABEL, TEST_LABEL
from tests.conftest import missing_component

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench" / "realworld"))
from images import Runner  # noqa: E402

pytestmark = pytest.mark.docker

SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "realworld-sample"


@pytest.fixture(scope="module")
def runner(docker_client, base_images):
    made = Runner(labels={TEST_LABEL: "1", OWNER_LABEL: str(os.getpid())})
    yield made
    made.client.close()


@pytest.mark.parametrize("app", ["notes-pg", "guestbook-sqlite"])
def test_sample_app_image_builds_starts_with_its_datastores_and_answers_its_health_check(runner, app):
    outcomes = runner.run(app, SAMPLE / app)
    for outcome in outcomes:
        if outcome.status == "not-here":
            missing_component(f"{app}: {outcome.error} (hack/base-images.sh makes the stand-ins)")
    assert [(o.service, o.status) for o in outcomes] == [(app, "passed")], [o.error for o in outcomes]
