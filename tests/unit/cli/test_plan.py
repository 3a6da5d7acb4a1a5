"""`kubectl hydron plan`: the readable plan, the diff, and the patches that approve or ask."""

import pytest

from hydron.cli.plugin_plan import (
    PlanRefused,
    approval_patch,
    change_request_patch,
    diff_summary,
    render_diff,
    render_show,
)
from tests.unit.cli.objects import PLAN, fresh


def test_show_has_offer_price_rationale_services_routes_firewall_findings():
    text = render_show(PLAN)
    assert text.startswith("InfraPlan team/shop  revision 2, approval is stale")
    assert "  hetzner/CX22 in fsn1 (2 vCPU, 4 GiB RAM, 40 GiB disk)\n  4.51 EUR/month\n" in text
    assert "  why: smallest offer with 2 GiB headroom\n" in text
    assert "  api    web    3000   yes      build . (generated)" in text
    assert "  shop.example.com   /      api:3000   acme" in text
    assert "  default deny; open: SSH 22/tcp, HTTP 80/tcp, HTTPS 443/tcp\n" in text
    assert "  9000/udp   10.0.0.0/8   metrics\n  ssh: password login off, root login prohibit-password" in text
    assert "  Warning services[api].healthCheck: no health path\n" in text
    assert "  1. cheaper please (bob)\n" in text


def test_diff_lists_the_latest_changes_and_how_to_approve():
    text = render_diff(diff_summary(PLAN))
    assert text.startswith("Revision 2 of InfraPlan shop\n")
    assert "  ~ server.offer: hetzner/CX32 → hetzner/CX22" in text
    assert text.endswith("Not approved yet: kubectl hydron plan approve shop --revision 2\n")


def test_diff_shows_an_edit_not_yet_in_a_revision():
    from hydron.api.infraplan import InfraPlanSpec
    from hydron.planning.revisions import fingerprint

    plan = fresh(PLAN)
    plan["status"]["material"] = fingerprint(InfraPlanSpec.model_validate(plan["spec"]))
    plan["spec"]["services"][0]["port"] = 8080
    summary = diff_summary(plan)
    assert summary["pendingEdits"] == ["services[api].port: 3000 → 8080"]
    assert "Edited in the spec since, not yet a revision:\n  ~ services[api].port: 3000 → 8080\n" in render_diff(summary)


def test_approve_defaults_to_the_current_revision_and_guards_with_resource_version():
    assert approval_patch(PLAN, None, "alice") == {
        "metadata": {"resourceVersion": "42"}, "spec": {"approval": {"revision": 2, "approvedBy": "alice"}}}


def test_approving_a_stale_revision_is_refused_with_what_changed():
    with pytest.raises(PlanRefused) as refused:
        approval_patch(PLAN, 1, "alice")
    message = str(refused.value)
    assert "revision 1 of InfraPlan shop is stale: the plan is at revision 2" in message
    assert "server.offer: hetzner/CX32 → hetzner/CX22" in message and "approve revision 2" in message


def test_approving_a_future_revision_or_an_unmade_plan_is_refused():
    with pytest.raises(PlanRefused, match="has no revision 3; it is at revision 2"):
        approval_patch(PLAN, 3, "alice")
    plan = fresh(PLAN)
    plan["status"] = {}
    with pytest.raises(PlanRefused, match="has no revision yet"):
        approval_patch(plan, None, "alice")


def test_change_request_appends_with_author():
    patch = change_request_patch(PLAN, "  use Helsinki  ", "carol")
    assert patch["spec"]["changeRequests"] == [{"message": "cheaper please", "author": "bob"},
                                               {"message": "use Helsinki", "author": "carol"}]
    assert patch["metadata"]["resourceVersion"] == "42"
    with pytest.raises(PlanRefused, match="say what to change"):
        change_request_patch(PLAN, "   ", "carol")
