"""The planner's corrections of an analysed service: what holds for the image Hydron builds."""

from __future__ import annotations

from hydron.analysis.models import Command, Evidence, ServiceRole
from hydron.planning import PlanInputs, plan
from tests.unit.planning.factories import analysis, app_spec, service

COMPOSE = [Evidence(file="docker-compose.yml", line=12, detail="compose command")]
PACKAGE = [Evidence(file="package.json", line=5, detail="scripts.start")]


def planned(svc, **app):
    draft = plan(PlanInputs("shop", app_spec(domains=["shop.example.com"], **app), analysis(svc), "0" * 40))
    return draft, {s.name: s for s in draft.spec.services}[svc.name]


def as_inferred_worker(svc):
    """What the analysis reports when it found no port: a worker, inferred (medium), not stated."""
    return svc.model_copy(update={"role": ServiceRole(value="worker", evidence=PACKAGE, confidence="medium")})


def test_web_framework_without_a_stated_port_listens_on_its_default_and_gets_a_route():
    svc = as_inferred_worker(service("api", language="python", framework="Flask", pm="pip", lockfile=None,
                                     start="python app.py", port=None, health=None))
    draft, api = planned(svc)
    assert api.role == "web" and api.port == 5000
    assert "EXPOSE 5000" in api.dockerfile and "HEALTHCHECK NONE" not in api.dockerfile
    assert [r.service for r in draft.spec.routes] == ["api"]
    assert any(f.field == "services[api].port" and "default" in f.message for f in draft.findings)


def test_the_server_in_the_start_command_decides_the_default_port_before_the_framework():
    svc = as_inferred_worker(service("api", language="python", framework="Flask", pm="pip", lockfile=None,
                                     start="gunicorn app:app", port=None, health=None))
    assert planned(svc)[1].port == 8000
    cli = as_inferred_worker(service("api", language="python", framework=None, pm="pip", lockfile=None,
                                     start="fastapi run --workers 4", port=None, health=None))
    assert planned(cli)[1].port == 8000


def test_web_framework_with_no_default_port_is_a_warning_not_a_silent_worker():
    svc = as_inferred_worker(service("api", language="go", framework="Echo", pm="go", lockfile="go.sum",
                                     start="./bin/api", port=None, health=None))
    draft, api = planned(svc)
    assert api.role == "worker" and api.port is None
    warning = next(f for f in draft.findings if f.field == "services[api].port")
    assert warning.severity == "Warning" and "Echo" in warning.message and "services[].port" in warning.message


def test_a_worker_the_repository_states_stays_a_worker():
    svc = service("jobs", language="python", framework="Django", pm="pip", lockfile=None,
                  start="celery -A proj worker", port=None, health=None, role="worker")  # Procfile worker: high
    draft, jobs = planned(svc)
    assert jobs.role == "worker" and jobs.port is None
    assert not any(f.field == "services[jobs].port" for f in draft.findings)


def test_a_queue_worker_of_a_web_project_is_not_given_a_port():
    svc = as_inferred_worker(service("tasks", language="python", framework="Django", pm="pip", lockfile=None,
                                     start="celery -A proj worker -l info", port=None, health=None))
    draft, tasks = planned(svc)
    assert tasks.role == "worker" and tasks.port is None
    assert not any(f.field == "services[tasks].port" for f in draft.findings)


def test_create_react_app_behind_a_cross_env_wrapper_is_built_and_served_statically():
    svc = service("web", framework="Create React App", start="cross-env PORT=3000 react-scripts start",
                  port=3000, health=None)
    draft, web = planned(svc)
    assert web.role == "static" and web.port == 8080 and web.start_command is None
    assert " && npm run build\n" in web.dockerfile and "/app/build /usr/share/nginx/html" in web.dockerfile
    assert "react-scripts start" not in web.dockerfile
    assert any(f.field == "services[web].role" and "single-page app" in f.message for f in draft.findings)


def test_vite_spa_started_with_its_dev_server_uses_its_own_build_script_and_dist():
    svc = service("ui", path="frontend", framework="Vite + Vue", pm="pnpm", lockfile="frontend/pnpm-lock.yaml",
                  build="pnpm run build", start="pnpm run dev", port=5173, health=None)
    _, ui = planned(svc)
    assert ui.role == "static" and " && pnpm run build\n" in ui.dockerfile and "/app/dist " in ui.dockerfile


def test_an_spa_served_by_its_own_node_server_stays_a_web_service():
    svc = service("web", framework="Create React App", start="node server.js", port=3000)
    assert planned(svc)[1].role == "web"
    by_script = service("web", framework="Vite + React", start="npm run start", port=3000).model_copy(update={
        "start_command": Command(value="npm run start", confidence="high", evidence=[
            Evidence(file="package.json", line=6, detail="scripts.start: node server/index.js")])})
    assert planned(by_script)[1].role == "web"


def test_compose_start_command_naming_a_binary_of_another_image_is_not_used_for_a_generated_image():
    svc = service("api", start="/usr/src/app/bin/server --port 3000", port=3000)
    svc = svc.model_copy(update={
        "start_command": Command(value="/usr/src/app/bin/server --port 3000", evidence=COMPOSE, confidence="high"),
        "start_candidates": [Command(value="/usr/src/app/bin/server --port 3000", evidence=COMPOSE, confidence="high"),
                             Command(value="npm run start", evidence=PACKAGE, confidence="high")],
    })
    draft, api = planned(svc)
    assert api.start_command == "npm run start"
    assert "/usr/src/app/bin/server" not in api.dockerfile
    assert any(f.field == "services[api].startCommand" and "docker-compose.yml" in f.message for f in draft.findings)


def test_compose_start_command_that_runs_a_program_on_the_path_is_kept():
    svc = service("api", start="npm run start:prod").model_copy(update={
        "start_command": Command(value="npm run start:prod", evidence=COMPOSE, confidence="high")})
    assert planned(svc)[1].start_command == "npm run start:prod"


def test_compose_start_command_is_kept_when_the_repository_dockerfile_builds_the_image():
    svc = service("api", dockerfile="Dockerfile").model_copy(update={
        "start_command": Command(value="/srv/bin/api", evidence=COMPOSE, confidence="high")})
    assert planned(svc)[1].start_command == "/srv/bin/api"
