"""A stored Server whose firewall holds a rule that is no address range (admitted
before the CRD checked it): the rule is set aside and named, the others are loaded."""

import pytest
from pydantic import ValidationError

from hydron.api.server import Server, ServerSpec
from hydron.controllers.common import parse
from hydron.provisioning.steps.firewall import Firewall

from tests.unit.provisioning.helpers import context

SPEC = {
    "address": "203.0.113.10",
    "sshKeySecretRef": {"name": "k", "key": "ssh-privatekey"},
    "firewall": [
        {"port": 5432, "source": "10.0.0.0/33"},
        {"port": 8080, "source": "203.0.113.0/24"},
        {"port": 9000, "protocol": "udp", "source": "everyone; flush ruleset"},
    ],
}


def test_a_new_spec_with_a_bad_rule_is_refused_outright():
    with pytest.raises(ValidationError, match="must be an address range in CIDR form"):
        ServerSpec.model_validate(SPEC)


def test_a_stored_spec_keeps_its_good_rules_and_names_the_bad_ones():
    server = parse(Server, {"spec": SPEC})
    assert [(r.port, r.source) for r in server.spec.firewall] == [(8080, "203.0.113.0/24")]
    assert [r.index for r in server.spec.rejected_firewall] == [0, 2]
    ctx = context()
    ctx.spec = server.spec
    problems = Firewall().spec_problems(ctx)
    assert "spec.firewall[0] (port 5432/tcp from '10.0.0.0/33'): source: must be an address range" in problems
    assert "spec.firewall[2] (port 9000/udp from 'everyone; flush ruleset')" in problems
    ruleset = Firewall().ruleset(ctx)
    assert "ip saddr 203.0.113.0/24 tcp dport 8080 accept" in ruleset
    assert "5432" not in ruleset and "9000" not in ruleset and "flush" not in ruleset


def test_a_stored_spec_without_bad_rules_has_nothing_to_name():
    server = parse(Server, {"spec": {**SPEC, "firewall": SPEC["firewall"][1:2]}})
    ctx = context()
    ctx.spec = server.spec
    assert Firewall().spec_problems(ctx) is None


def test_other_invalid_fields_of_a_stored_spec_are_still_refused():
    from hydron.controllers.common import InvalidSpec

    with pytest.raises(InvalidSpec, match="spec.user"):
        parse(Server, {"spec": {**SPEC, "user": "-oProxyCommand=x"}})
