"""An Application with a provider account gets its Server from the approved plan: only
within budget and from the account's provider, with the plan's firewall and SSH
settings, and a person's later edit on the Server wins and is shown in the plan."""

from __future__ import annotations

import pytest

from hydron.api.application import Application, PlanningPolicy
from hydron.api.conditions import set_condition
from hydron.api.infraplan import InfraPlan, InfraPlanSpec, InfraPlanStatus
from hydron.api.server import ServerSpec
from hydron.controllers import application, infraplan
from hydron.controllers.common import ApplyChild
from hydron.planning import plan_server

pytestmark = pytest.mark.provider

ACCOUNT = {"provider": "hetzner", "accountSecretRef": {"name": "hcloud", "key": "token"},
           "sshKeySecretRef": {"name": "ssh", "key": "ssh-privatekey"}, "deletionPolicy": "Delete"}


def policy(**extra) -> PlanningPolicy:
    return PlanningPolicy.model_validate({"providerAccount": ACCOUNT, **extra})


def plan_spec(**server) -> InfraPlanSpec:
    return InfraPlanSpec.model_validate({
        "applicationRef": {"name": "shop"},
        "server": {"provider": "hetzner", "offer": "CX33", "location": "fsn1", "monthlyPrice": 8.49, **server},
        "firewall": [{"port": 5432, "source": "10.0.0.0/8", "reason": "replica"}],
        "security": {"ssh": {"maxAuthTries": 2}},
        "services": [{"name": "web", "image": "nginx:1.27", "port": 80, "public": True}],
    })


def test_the_server_spec_orders_the_plans_offer_with_its_firewall_and_ssh_settings():
    made = plan_server.server_from_plan(policy(monthlyBudget=10), plan_spec(), None, [])
    assert isinstance(made, plan_server.PlanServer) and made.overrides == []
    spec = ServerSpec.model_validate(made.spec)  # a valid Server, as the API server would take it
    assert (spec.provider, spec.order.offer, spec.order.location, spec.deletion_policy) == ("hetzner", "cx33", "fsn1", "Delete")
    assert [(r.port, r.source) for r in spec.firewall] == [(5432, "10.0.0.0/8")]
    assert spec.ssh.max_auth_tries == 2 and spec.ssh.password_authentication is False
    assert {a.split("=")[0] for a in made.applied} == set(plan_server.MANAGED) - {"proxy"}


def test_the_accounts_acme_ca_reaches_the_server_and_without_one_the_servers_own_stays():
    ca = {"acmeCa": "https://ca.example.test/dir", "acmeCaRootSecretRef": {"name": "ca-root", "key": "ca.crt"}}
    with_ca = PlanningPolicy.model_validate({"providerAccount": {**ACCOUNT, "proxy": ca}})
    made = plan_server.server_from_plan(with_ca, plan_spec(), None, [])
    assert ServerSpec.model_validate(made.spec).proxy.acme_ca == "https://ca.example.test/dir"
    assert "proxy" in {a.split("=")[0] for a in made.applied}
    own = {**made.spec, "proxy": {"acmeEmail": "ops@example.test"}}
    kept = plan_server.server_from_plan(policy(), plan_spec(), own, [])
    assert kept.spec["proxy"] == {"acmeEmail": "ops@example.test"}


@pytest.mark.parametrize(("planning", "server", "reason"), [
    ({"monthlyBudget": 5}, {}, "OverBudget"),
    ({"monthlyBudget": 5}, {"monthlyPrice": None}, "OverBudget"),
    ({}, {"provider": "ovh", "offer": "KS-LE-B"}, "OfferNotFromAccount"),
    ({}, {"offer": None}, "NoOfferToOrder"),
])
def test_nothing_is_ordered_over_budget_or_from_another_provider(planning, server, reason):
    refused = plan_server.server_from_plan(policy(**planning), plan_spec(**server), None, [])
    assert isinstance(refused, plan_server.Refusal) and refused.reason == reason


def test_a_persons_edit_on_the_server_wins_until_it_matches_the_plan_again():
    first = plan_server.server_from_plan(policy(), plan_spec(), None, [])
    stored = {**first.spec, "address": "203.0.113.7", "baseImages": ["python:3.12-slim"],
              "firewall": [{"port": 8443, "protocol": "tcp", "source": "0.0.0.0/0"}]}
    grown = plan_server.server_from_plan(policy(), plan_spec(offer="CX43", monthlyPrice=15.99), stored, first.applied)
    assert grown.spec["firewall"] == stored["firewall"]  # the person's
    assert grown.spec["order"]["offer"] == "cx43"  # the plan's new offer: nobody edited that field
    assert grown.spec["address"] == "203.0.113.7" and grown.spec["baseImages"] == ["python:3.12-slim"]
    assert len(grown.overrides) == 1 and grown.overrides[0].startswith("firewall: ")
    # The stored spec as the API server keeps it (defaults filled in) is no edit.
    defaulted = {**first.spec, "firewall": [{**r, "protocol": "tcp"} for r in first.spec["firewall"]]}
    assert plan_server.server_from_plan(policy(), plan_spec(), defaulted, first.applied).overrides == []


async def test_an_approved_plan_with_an_account_creates_the_owned_server_and_deploys_to_it():
    app = Application.model_validate({"spec": {"source": {"image": {"name": "nginx:1.27", "port": 80}},
                                               "planning": {"providerAccount": ACCOUNT, "autoApprove": True}}})
    ready = set_condition([], "Ready", "True", "Ready", "Revision 1 is valid and approved.", 1)
    plan = InfraPlan(spec=plan_spec(), status=InfraPlanStatus(revision=1, approved_revision=1, conditions=ready))
    person_server = {"metadata": {"name": "shop"}, "spec": {"address": "198.51.100.1"}}

    async def get_plan(name):
        return plan

    async def get_deployment(name):
        return None

    async def none(name):
        return None

    deps = application.ApplicationDeps(namespace="ns", name="shop", workdir=None, read_secret_data=none,  # type: ignore[arg-type]
                                       get_plan=get_plan, get_deployment=get_deployment, get_server_body=none)
    outcome = await application.reconcile(app, 1, deps)
    children = {e.kind: e for e in outcome.effects if isinstance(e, ApplyChild)}
    assert children["Server"].spec["order"]["offer"] == "cx33" and children["Server"].keep == ("address",)
    assert children["Deployment"].spec["serverRef"] == {"name": "shop"}
    assert outcome.status.server.name == "shop"

    async def foreign(name):
        return person_server

    taken = await application.reconcile(app, 1, application.ApplicationDeps(
        namespace="ns", name="shop", workdir=None, read_secret_data=none, get_plan=get_plan,  # type: ignore[arg-type]
        get_deployment=get_deployment, get_server_body=foreign))
    assert "Server" not in {e.kind for e in taken.effects if isinstance(e, ApplyChild)}
    assert any(c.reason == "ServerNameTaken" for c in taken.status.conditions)

    # The plan shows a person's edit on that Server.
    edited = app.model_copy(update={"status": outcome.status.model_copy(update={"server": outcome.status.server.model_copy(
        update={"overrides": ["firewall: [] (the plan says [...])"]})})})
    shown = infraplan.with_server_overrides(InfraPlanStatus(), edited)
    assert shown.findings and "edited by a person" in shown.findings[0].message


def test_the_servers_ssh_settings_are_what_the_hardening_step_writes_and_checks():
    from hydron.api.infraplan import SshHardening
    from hydron.provisioning.steps import ssh_hardening

    ssh = SshHardening(max_auth_tries=2, permit_root_login="prohibit-password")
    lines = ssh_hardening.drop_in(ssh).splitlines()
    assert "MaxAuthTries 2" in lines and "X11Forwarding no" in lines and "PasswordAuthentication no" in lines
    effective = {"passwordauthentication": "no", "kbdinteractiveauthentication": "no", "permitrootlogin": "without-password",
                 "x11forwarding": "no", "allowagentforwarding": "no", "maxauthtries": "6"}
    assert ssh_hardening.effective_mismatches(effective, ssh) == ["maxauthtries 6"]
    assert ssh_hardening.drop_in(None) == ssh_hardening.drop_in()  # a Server without spec.ssh keeps the fixed set
