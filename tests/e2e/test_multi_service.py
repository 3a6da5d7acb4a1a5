"""The whole pipeline for an app of several services with a database: the notes
example (web → api → Postgres) in a Git repository is analysed, planned with a managed
Postgres and generated credentials, approved by policy, built on the server the e2e apps share
and rolled out in dependency order; its page over HTTPS shows a visit the api stored in
Postgres through the DATABASE_URL Hydron wired."""

from __future__ import annotations

import base64
import datetime
import json
import re

import pytest

from hydron_testbed import REPO
from hydron_testbed.acme import AcmeServer
from hydron_testbed.cluster import git_application
from hydron_testbed.git_server import served_app

pytestmark = [pytest.mark.controlplane, pytest.mark.docker]
NOTES = REPO / "examples" / "apps" / "notes"
APP = "notes"
HYDRON_KINDS = ("applications", "infraplans", "deployments.hydron.dev", "servers")


@pytest.fixture
def notes_repo(tmp_path):
    with served_app(tmp_path, NOTES, APP) as served:
        yield served


def where_things_stand(kube, server: AcmeServer | None = None) -> str:
    """Conditions of every Hydron resource in the namespace, and the app's containers: for failure messages."""
    lines = []
    for kind in HYDRON_KINDS:
        listed = json.loads(kube.run("get", kind, "-o", "json", check=False).stdout or '{"items": []}')
        for item in listed["items"]:
            lines.append(f"{kind}/{item['metadata']['name']}:")
            for c in (item.get("status") or {}).get("conditions", []):
                lines.append(f"  {c['type']}={c['status']} {c.get('reason', '')}: {c.get('message', '')[:300]}")
    if server is not None:
        lines.append(server.host.sh(f"docker ps -a --filter label=dev.hydron.app={APP} "
                                    "--format '{{.Names}} {{.Status}}' 2>&1", check=False))
    return "\n".join(lines)


def wait(kube, resource: str, name: str, condition: str, timeout: int, server: AcmeServer) -> None:
    try:
        kube.wait(resource, name, condition, timeout=timeout)
    except AssertionError as error:
        raise AssertionError(f"{error}\n--- where things stand ---\n{where_things_stand(kube, server)}") from None


def containers(host) -> dict[str, str]:
    """service → container name, of the app's running containers on the server."""
    out = host.sh(f"docker ps --filter label=dev.hydron.app={APP} --format '{{{{.Label \"dev.hydron.service\"}}}} {{{{.Names}}}}'")
    return dict(line.split() for line in out.splitlines() if line.strip())


def docker_time(text: str) -> datetime.datetime:
    """Docker's RFC 3339 time with up to nanoseconds (trailing zeros trimmed), parsed."""
    match = re.fullmatch(r"(\S+?T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)", text.strip())
    assert match, f"not a docker timestamp: {text!r}"
    fraction = (match.group(2) or "").ljust(6, "0")[:6]
    zone = "+00:00" if match.group(3) == "Z" else match.group(3)
    return datetime.datetime.fromisoformat(f"{match.group(1)}.{fraction}{zone}")


def ready_at(host, container: str) -> datetime.datetime:
    """When the real Postgres server (not the stand-in's initialising one) accepted connections."""
    logs = host.sh(f"docker logs --timestamps {container} 2>&1")
    after_init = logs.split("postgres stand-in: initialised", 1)[-1]
    line = next((l for l in after_init.splitlines() if "ready to accept connections" in l), None)
    assert line is not None, f"postgres never said it was ready:\n{logs[-3000:]}"
    return docker_time(line.split()[0])


def visit(page: str) -> tuple[int, int]:
    """(visit number, rows stored) from the notes page."""
    assert page.splitlines()[0].endswith("200 OK"), f"the page did not answer 200:\n{page}"
    match = re.search(r"<h1>Visit (\d+)</h1><p>Counted in database app \(visits stored: (\d+)\)", page)
    assert match, f"the page does not show a visit counted in Postgres:\n{page}"
    return int(match.group(1)), int(match.group(2))


@pytest.mark.timeout(1200)  # three services to build and start, one after another
def test_web_api_and_postgres_roll_out_in_order_and_answer_over_https(shared_site, operator, notes_repo):
    work, daemon = notes_repo
    kube, server, domain = shared_site.kube, shared_site.server, shared_site.domain(APP)
    kube.apply(git_application(APP, daemon.url(f"{APP}.git"), domain, server.name))
    wait(kube, "applications", APP, "condition=Ready", 1080, server)

    # The plan: a managed Postgres with generated credentials, wired into the api.
    app = kube.get("applications", APP)
    assert app["status"]["url"] == f"https://{domain}/"
    plan = kube.get("infraplans", app["status"]["planRef"]["name"])
    planned = {s["name"]: s for s in plan["spec"]["services"]}
    assert sorted(planned) == ["api", "postgres", "web"], plan["spec"]["services"]
    assert planned["postgres"]["image"] == "postgres:16"
    assert {"name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {"name": f"{APP}-postgres", "key": "url"}}} \
        in planned["api"]["env"]
    assert {"name": "API_URL", "value": "http://api:8000"} in planned["web"]["env"]
    deployment = kube.get("deployments.hydron.dev", APP)
    assert deployment["status"]["releases"][-1]["sourceRevision"] == work.rev_parse("HEAD")
    assert {s["name"]: s["state"] for s in deployment["status"]["services"]} == \
        {"postgres": "Healthy", "api": "Healthy", "web": "Healthy"}, deployment["status"]

    # Over HTTPS: each visit is a row the api wrote to Postgres and read back.
    first, stored_first = visit(server.https_get(timeout=120, domain=domain))
    second, stored_second = visit(server.https_get(timeout=60, domain=domain))
    assert second > first and stored_second == stored_first + 1, (first, stored_first, second, stored_second)
    running = containers(server.host)
    assert sorted(running) == ["api", "postgres", "web"], f"running: {running}\n{where_things_stand(kube, server)}"
    in_db = server.host.sh(f"docker exec {running['postgres']} psql -U app -d app -tAc 'SELECT count(*) FROM visits'")
    assert int(in_db) == stored_second, f"the database holds {in_db.strip()} visits, the page said {stored_second}"

    # Dependency order: Postgres healthy before the api was created, the api before the web.
    created = {svc: docker_time(server.host.sh(f"docker inspect --format '{{{{.Created}}}}' {name}"))
               for svc, name in running.items()}
    db_ready = ready_at(server.host, running["postgres"])
    assert db_ready <= created["api"] < created["web"], f"created {created}, postgres ready at {db_ready}"

    # The generated password reaches the containers only: no status, spec or event shows it.
    secret = kube.get("secret", f"{APP}-postgres")
    password = base64.b64decode(secret["data"]["password"]).decode()
    assert len(password) >= 16
    for kind, name in [("applications", APP), ("infraplans", plan["metadata"]["name"]),
                       ("deployments.hydron.dev", APP), ("servers", server.name)]:
        text = kube.run("get", kind, name, "-o", "json").stdout
        assert password not in text, f"the database password appears in {kind}/{name}"
    events = kube.run("get", "events", "-o", "json").stdout
    reasons = [e["reason"] for e in json.loads(events)["items"] if e["involvedObject"]["name"] == APP]
    assert "ImageDelivered" in reasons, f"postgres:16 was not delivered by the rollout; events: {reasons}"
    assert password not in events, "the database password appears in an event"
    assert password not in operator.log.read_text(errors="replace"), "the database password appears in the operator log"
