"""Every repository of the analysis corpus gets a complete plan, or findings that say what is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from hydron.analysis import analyze
from hydron.api.infraplan import InfraPlan
from hydron.planning import PlanInputs, plan
from tests.unit.planning.factories import app_spec

CORPUS = Path(__file__).resolve().parents[2] / "fixtures"
APPS = sorted(p for d in ("apps", "planning-apps") for p in (CORPUS / d).iterdir() if p.is_dir())


@pytest.mark.parametrize("repo", APPS, ids=[f"{p.parent.name}/{p.name}" for p in APPS])
def test_every_fixture_repository_gets_a_plan_that_is_a_valid_resource(repo):
    draft = plan(PlanInputs("app", app_spec(domains=["app.example.com"]), analyze(repo), "0" * 40))
    InfraPlan.model_validate({"spec": draft.spec.to_api()})
    errors = {f.field for f in draft.findings if f.severity == "Error"}
    for service in draft.spec.services:
        assert service.image or service.dockerfile or f"services[{service.name}].dockerfile" in errors
        if service.role == "web" and service.dockerfile_origin == "Generated":
            assert "HEALTHCHECK" in service.dockerfile and service.health_check is not None
    assert draft.spec.server.offer and draft.spec.server.rationale
