"""Revisions, readable diffs and approval, through the InfraPlan reconcile."""

from __future__ import annotations

import asyncio

from hydron.api.infraplan import Approval, InfraPlan
from hydron.controllers.infraplan import PlanContext, planner_owned_fields, reconcile_plan
from tests.unit.planning.factories import analysis, app_spec, backing, service

ANALYSIS = analysis(service(depends=[("postgres", "backing")]), databases=[backing("postgres")])


def run(plan: InfraPlan, context: PlanContext | None, generation: int = 1):
    return asyncio.run(reconcile_plan(plan, generation, context))


def context(commit="c0ffee0000", analysed=ANALYSIS, **app) -> PlanContext:
    return PlanContext("shop", app_spec(domains=["shop.example.com"], **app), analysed, commit)


def written(outcome, previous: InfraPlan | None = None, **spec_changes) -> InfraPlan:
    """The object as the API server would hold it after the controller's writes."""
    spec = (outcome.spec or previous.spec).to_api()
    spec.update(spec_changes)
    return InfraPlan.model_validate({"spec": spec, "status": outcome.status.to_api()})


def conditions(outcome):
    return {c.type: (c.status, c.reason) for c in outcome.status.conditions}


def first() -> tuple[InfraPlan, object]:
    fresh = InfraPlan.model_validate({"spec": {"applicationRef": {"name": "shop"}}})
    outcome = run(fresh, context())
    return written(outcome), outcome


def test_first_plan_is_revision_one_valid_and_waits_for_approval():
    _, outcome = first()
    assert outcome.spec is not None and outcome.status.revision == 1
    assert conditions(outcome) == {"Valid": ("True", "Valid"), "Approved": ("False", "AwaitingApproval"),
                                   "Ready": ("False", "AwaitingApproval")}
    assert "first plan" in outcome.status.changes[0]
    assert [s.name for s in outcome.generated_secrets] == ["shop-postgres"]


def test_approving_the_current_revision_makes_the_plan_ready():
    plan, _ = first()
    approved = written(run(plan, context()), plan, approval={"revision": 1, "approvedBy": "ann"})
    outcome = run(approved, context(), 2)
    assert conditions(outcome)["Ready"] == ("True", "Ready")
    assert (outcome.status.approved_revision, outcome.status.approved_by) == (1, "ann")


def test_a_new_commit_that_changes_nothing_material_keeps_the_revision_and_the_approval():
    plan, _ = first()
    plan = written(run(plan, context()), plan, approval={"revision": 1})
    outcome = run(plan, context(commit="feedface00"), 2)
    assert outcome.status.revision == 1
    assert conditions(outcome)["Approved"] == ("True", "Approved")
    assert outcome.status.basis.source_revision == "feedface00"


def test_a_material_change_is_a_new_revision_with_a_readable_diff_and_the_reason():
    plan, _ = first()
    plan = written(run(plan, context()), plan, approval={"revision": 1})
    bigger = analysis(service(depends=[("postgres", "backing")], port=8080), databases=[backing("postgres")])
    outcome = run(plan, context(commit="feedface00", analysed=bigger), 2)
    assert outcome.status.revision == 2
    assert outcome.status.changes[0].startswith("Revision 2: new source revision feedface00")
    assert "services[api].port: 3000 → 8080" in outcome.status.changes
    assert "routes[shop.example.com/]: api:3000 tls=acme → api:8080 tls=acme" in outcome.status.changes


def test_approving_a_stale_revision_does_nothing_and_says_so():
    plan, _ = first()
    plan = written(run(plan, context()), plan, approval={"revision": 1})
    moved = analysis(service(depends=[("postgres", "backing")], port=8080), databases=[backing("postgres")])
    outcome = run(plan, context(commit="feedface00", analysed=moved), 2)
    status, reason = conditions(outcome)["Approved"]
    assert (status, reason) == ("False", "StaleApproval")
    message = next(c.message for c in outcome.status.conditions if c.type == "Approved")
    assert "revision 1" in message and "revision 2" in message and "does nothing" in message
    assert outcome.status.approved_revision is None
    assert conditions(outcome)["Ready"][0] == "False"


def test_approving_a_revision_that_does_not_exist_is_refused():
    plan, _ = first()
    plan = written(run(plan, context()), plan, approval={"revision": 7})
    assert conditions(run(plan, context(), 2))["Approved"] == ("False", "UnknownRevision")


def test_auto_approve_approves_each_revision():
    fresh = InfraPlan.model_validate({"spec": {"applicationRef": {"name": "shop"}}})
    outcome = run(fresh, context(planning={"autoApprove": True}))
    assert conditions(outcome)["Approved"] == ("True", "AutoApproved")
    assert outcome.status.approved_by == "autoApprove"
    # the status-only entry point keeps that decision for the same revision
    status = asyncio.run(reconcile_plan(written(outcome), 2)).status
    assert {c.type: c.status for c in status.conditions}["Approved"] == "True"


def test_a_hand_edit_is_a_revision_of_its_own_and_survives_until_the_inputs_change():
    plan, _ = first()
    edited = plan.spec.to_api()
    edited["services"][0]["port"] = 9000
    plan = InfraPlan.model_validate({"spec": edited, "status": plan.status.to_api()})
    outcome = run(plan, context(), 2)
    assert outcome.spec is None, "inputs did not change: the person's edit stays"
    assert outcome.status.revision == 2
    assert outcome.status.changes[0] == "Revision 2: edited in the spec by hand."


def test_rewording_the_rationale_is_not_material():
    plan, _ = first()
    spec = plan.spec.to_api()
    spec["server"]["rationale"] = "Cheap and cheerful."
    plan = InfraPlan.model_validate({"spec": spec, "status": plan.status.to_api()})
    assert run(plan, context(), 2).status.revision == 1


def test_an_invalid_plan_says_why():
    plan, _ = first()
    spec = plan.spec.to_api()
    spec["services"][0]["dependsOn"] = ["ghost"]
    plan = InfraPlan.model_validate({"spec": spec, "status": plan.status.to_api()})
    outcome = run(plan, context(), 2)
    status, reason = conditions(outcome)["Valid"]
    assert (status, reason) == ("False", "InvalidPlan")
    assert "ghost" in next(c.message for c in outcome.status.conditions if c.type == "Valid")


def test_a_firewall_opening_written_by_a_person_is_kept_with_a_warning():
    plan, _ = first()
    spec = plan.spec.to_api()
    spec["firewall"] = [{"port": 5432, "source": "0.0.0.0/0", "reason": "backup host"}]
    outcome = run(InfraPlan.model_validate({"spec": spec, "status": plan.status.to_api()}), context(), 2)
    assert any(f.field == "firewall[5432]" and f.severity == "Warning" for f in outcome.status.findings)
    assert "firewall[5432/tcp from 0.0.0.0/0]: added (open)" in outcome.status.changes


def test_an_unplanned_resource_without_the_application_waits():
    """Before Hydron has made a plan (and without its inputs) nothing is claimed: conditions stay Unknown."""
    plan = InfraPlan.model_validate({"spec": {"applicationRef": {"name": "shop"},
                                              "services": [{"name": "web", "port": 3000, "public": True}]}})
    status = asyncio.run(reconcile_plan(plan, 1)).status
    assert {c.type: c.status for c in status.conditions} == {"Valid": "Unknown", "Approved": "Unknown",
                                                             "Ready": "Unknown"}
    assert status.findings and status.findings[0].severity == "Error"


def test_writing_a_remade_plan_never_touches_what_people_own():
    plan, outcome = first()
    body = planner_owned_fields(outcome.spec.model_copy(update={"approval": Approval(revision=1)}))
    assert "approval" not in body and "changeRequests" not in body and "services" in body


def test_without_an_llm_change_requests_are_reported_not_dropped():
    plan, _ = first()
    plan = written(run(plan, context()), plan, changeRequests=[{"message": "use a bigger server"}])
    outcome = run(plan, context(), 2)
    assert any(f.source == "LLM" and "ANTHROPIC_API_KEY" in f.message for f in outcome.status.findings)
    assert outcome.status.revision == 1


def test_a_generated_multi_stage_dockerfile_lists_its_base_images_not_its_stage_names():
    from hydron.api.infraplan import InfraPlanSpec
    from hydron.planning.revisions import fingerprint

    dockerfile = "ARG NODE=18\nFROM node:${NODE}-slim AS build\nRUN npm ci\nFROM build AS test\nFROM nginx:1.25\n"
    spec = InfraPlanSpec.model_validate({"applicationRef": {"name": "shop"}, "services": [
        {"name": "web", "role": "web", "dockerfile": dockerfile, "dockerfileOrigin": "Generated"}]})
    assert "services[web].baseImages=node:18-slim,nginx:1.25" in fingerprint(spec)


def test_each_revisions_fingerprint_is_kept_so_any_two_can_be_compared():
    from hydron.planning.revisions import HISTORY_KEPT, diff

    plan, outcome = first()
    assert [h.revision for h in outcome.status.history] == [1]
    again = run(plan, context(commit="feedface00"), 2)  # nothing material: no new entry
    assert [h.revision for h in again.status.history] == [1]
    for number in range(2, HISTORY_KEPT + 3):
        plan = written(run(plan, context()), plan, server={**plan.spec.server.to_api(), "location": f"loc{number}"})
        outcome = run(plan, None, number)
        plan = written(outcome, plan)
    kept = outcome.status.history
    assert [h.revision for h in kept] == list(range(3, HISTORY_KEPT + 3))
    assert kept[-1].material == outcome.status.material and "edited" in kept[-1].why
    assert diff(kept[0].material, kept[-1].material) == [
        f"server.location: loc3 → loc{HISTORY_KEPT + 2}"]
