"""The multi-service example app (examples/apps/notes) plans the way its e2e test and
its code expect: the wiring the code reads, the runtimes the test bed has stand-ins
for, and the rollout order database → api → web. A change in analysis or planning
that breaks the example fails here, before the slow e2e run."""

from pathlib import Path

from hydron.analysis.analyze import analyze
from hydron.api.application import ApplicationSpec
from hydron.deploy.plan import dependency_order
from hydron.planning import planner
from hydron.planning.handoff import deployment_spec

NOTES = Path(__file__).resolve().parents[3] / "examples" / "apps" / "notes"


def plan():
    application = ApplicationSpec.model_validate({
        "source": {"git": {"url": "git://127.0.0.1/notes.git"}}, "domains": ["notes.example.test"],
        "planning": {"serverRef": {"name": "srv"}, "autoApprove": True}})
    return planner.plan(planner.PlanInputs("notes", application, analyze(NOTES), "abc123")).spec


def test_analysis_finds_both_services_their_ports_and_postgres():
    analysis = analyze(NOTES)
    assert {s.name: s.port.value for s in analysis.services} == {"api": 8000, "web": 3000}
    assert [(b.kind, b.used_by) for b in analysis.databases] == [("postgres", ["api"])]


def test_the_plan_wires_what_the_code_reads_and_uses_images_the_test_bed_has():
    spec = plan()
    services = {s.name: s for s in spec.services}
    api_env = {e.name: e for e in services["api"].env}
    assert api_env["DATABASE_URL"].value_from.secret_key_ref.model_dump() == {"name": "notes-postgres", "key": "url"}
    assert "os.environ[\"DATABASE_URL\"]" in (NOTES / "api" / "app.py").read_text()
    assert {e.name: e.value for e in services["web"].env}["API_URL"] == "http://api:8000"
    assert "process.env.API_URL" in (NOTES / "web" / "server.js").read_text()
    assert services["postgres"].image == "postgres:16"
    bases = {line.split()[1] for s in spec.services if s.dockerfile for line in s.dockerfile.splitlines()
             if line.startswith("FROM ")}
    assert bases == {"node:18-slim", "python:3.11-slim"}
    assert [r.service for r in spec.routes] == ["web"]


def test_the_rollout_starts_the_database_then_the_api_then_the_web():
    assert dependency_order(deployment_spec(plan(), "notes", "abc123").services) == ["postgres", "api", "web"]
