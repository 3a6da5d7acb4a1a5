"""The Application controller's pure decisions: where the plan and the Deployment
stand, when to look for a new commit, and the children it asks for."""

from __future__ import annotations

from datetime import timedelta

from hydron.api.application import GitSource, SourceStatus
from hydron.api.conditions import now, set_condition
from hydron.api.deployment import Deployment, DeploymentStatus
from hydron.api.infraplan import InfraPlanStatus
from hydron.controllers import application


def conditions(*items):
    found = []
    for type_, status, reason, message in items:
        found = set_condition(found, type_, status, reason, message, 1)
    return found


def test_planned_says_how_to_approve_a_waiting_revision():
    waiting = InfraPlanStatus(revision=3, conditions=conditions(("Approved", "False", "AwaitingApproval", "")))
    status, reason, message = application.planned_condition("shop", waiting)
    assert (status, reason) == ("Unknown", "AwaitingApproval")
    assert '"revision":3' in message and "autoApprove" in message


def test_planned_follows_the_plan():
    ready = InfraPlanStatus(conditions=conditions(("Ready", "True", "Ready", "Revision 2 is valid and approved.")))
    assert application.planned_condition("shop", ready) == ("True", "Approved", "Revision 2 is valid and approved.")
    invalid = InfraPlanStatus(conditions=conditions(("Valid", "False", "InvalidPlan", "no port")))
    assert application.planned_condition("shop", invalid)[:2] == ("False", "InvalidPlan")
    assert application.planned_condition("shop", None)[1] == "Planning"


def test_deployed_carries_the_url_once_ready():
    status = DeploymentStatus(urls=["https://shop.example/"], conditions=conditions(("Ready", "True", "Ready", "ok")))
    live = Deployment.model_validate({"spec": {"serverRef": {"name": "s"}, "services": [{"name": "web", "image": "x"}]}}).model_copy(
        update={"status": status})
    assert application.deployed_condition("shop", live) == ("True", "Available", "ok", "https://shop.example/")
    assert application.deployed_condition("shop", None)[1] == "Deploying"


def test_a_branch_is_polled_when_due_and_a_commit_never():
    spec = GitSource(url="https://example.test/r.git", ref="main", pollIntervalSeconds=60)
    at = now()
    assert application._poll_due(spec, SourceStatus(fetched_at=at - timedelta(seconds=61)), at)
    assert not application._poll_due(spec, SourceStatus(fetched_at=at - timedelta(seconds=5)), at)
    pinned = spec.model_copy(update={"ref": "a" * 40})
    assert not application._poll_due(pinned, SourceStatus(fetched_at=at - timedelta(days=1)), at)


def test_another_url_ref_or_path_means_fetch_again():
    spec = GitSource(url="https://example.test/r.git", ref="main")
    seen = SourceStatus(url=spec.url, requested_ref="main", path=None, commit="c" * 40)
    assert not application._source_changed(spec, seen)
    assert application._source_changed(spec.model_copy(update={"path": "app"}), seen)
    assert application._source_changed(spec, None)


def test_the_children_are_owned_and_labelled_and_the_plan_is_the_planners():
    plan = application.plan_child("shop", "c1/2")
    assert plan.create_only and plan.inputs == "c1/2" and plan.labels == {application.APPLICATION_LABEL: "shop"}
    deployment = application.deployment_child("shop", {"serverRef": {"name": "s"}})
    assert not deployment.create_only and deployment.keep == ("rollbackTo",)


def test_a_template_app_is_expanded_alike_every_time_and_apart():
    """The gallery is parsed once per process: expansions stay equal and independent."""
    from hydron.templates import expand_template

    first, second = expand_template("umami"), expand_template("umami")
    assert first == second and first is not second
    first.services[0].name = "changed"
    assert expand_template("umami").services[0].name == second.services[0].name
