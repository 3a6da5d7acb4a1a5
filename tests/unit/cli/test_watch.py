"""`kubectl hydron status APP -w`: after the first view, one line per change."""

from __future__ import annotations

from datetime import UTC, datetime

from hydron.cli.plugin_watch import changes, summary_of
from tests.unit.cli.objects import APP, DEPLOYMENT, PLAN, SERVER, cond, fresh

NOW = datetime(2026, 1, 1, 10, 1, tzinfo=UTC)


def objects(app=APP, plan=PLAN, server=SERVER, deployment=None):
    found = {("Application", "shop"): app, ("InfraPlan", "shop"): plan, ("Server", "fra-1"): server}
    if deployment is not None:
        found[("Deployment", "shop")] = deployment
    return found


def test_nothing_changed_prints_nothing():
    summary = summary_of(objects(), "shop", NOW)
    assert changes(summary, summary_of(objects(), "shop", NOW)) == []


def test_each_step_transition_is_one_line_with_its_message():
    server = fresh(SERVER)
    server["status"]["steps"][1] = {"name": "docker", "state": "Succeeded", "message": "Installed docker.io."}
    server["status"]["steps"][2] = {"name": "firewall", "state": "Running", "message": "Changing: no table"}
    lines = changes(summary_of(objects(), "shop", NOW), summary_of(objects(server=server), "shop", NOW))
    assert lines == ["Server fra-1 step docker: Running → Succeeded  Installed docker.io.",
                     "Server fra-1 step firewall: Pending → Running  Changing: no table"]


def test_conditions_plan_revisions_and_releases_are_told():
    app = fresh(APP)
    app["status"]["conditions"][2] = cond("Planned", "True", "Approved", "Revision 2 approved.")
    plan = fresh(PLAN)
    plan["status"]["approvedRevision"] = 2
    deployment = fresh(DEPLOYMENT)
    deployment["status"]["releases"].append({"number": 3, "state": "Starting", "message": "rolling out"})
    lines = changes(summary_of(objects(deployment=DEPLOYMENT), "shop", NOW),
                    summary_of(objects(app, plan, deployment=deployment), "shop", NOW))
    assert "Application shop Planned: Unknown (AwaitingApproval) → True (Approved)  Revision 2 approved." in lines
    assert "InfraPlan shop: revision 2, approved by a person" in lines
    assert "Deployment shop release 3: Starting  rolling out" in lines


def test_until_the_application_is_seen_there_is_no_summary():
    assert summary_of({("Server", "fra-1"): SERVER}, "shop", NOW) is None
