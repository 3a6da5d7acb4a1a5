"""Every spec field that reaches a command line refuses option- and shell-shaped values,
in the models with the same message the API server gives (tests/hostile.py lists them;
tests/integration/test_admission.py sends them to a real API server)."""

import pytest
from pydantic import ValidationError

from hydron.api import Application, Deployment, InfraPlan, Server
from hydron.api.checks import CIDR, HOST, IMAGE, USER
from hydron.api.crdgen import all_crds
from tests.hostile import BAD_CIDRS, FIELDS, VALID, cases

MODELS = {"Server": Server, "Application": Application, "Deployment": Deployment, "InfraPlan": InfraPlan}


@pytest.mark.parametrize("kind", list(VALID))
def test_the_valid_spec_of_each_kind_is_accepted(kind):
    MODELS[kind].model_validate({"spec": VALID[kind]})


@pytest.mark.parametrize(("case", "spec", "words"), cases(), ids=[c[0] for c in cases()])
def test_a_hostile_value_is_refused_with_a_message_that_names_the_rule(case, spec, words):
    kind = case.split(".", 1)[0]
    with pytest.raises(ValidationError) as caught:
        MODELS[kind].model_validate({"spec": spec})
    assert words in str(caught.value)


def _schema_at(kind, path):
    crd = next(c for c in all_crds().values() if c["spec"]["names"]["kind"] == kind)
    node = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    for key in path:
        node = node["items"] if isinstance(key, int) else node["properties"][key]
    return node


@pytest.mark.parametrize(("kind", "path", "words"), FIELDS, ids=[f"{k}.{'.'.join(map(str, p))}" for k, p, _ in FIELDS])
def test_the_crd_carries_the_same_rule_with_its_message_and_a_length_bound(kind, path, words):
    node = _schema_at(kind, path)
    messages = [v["message"] for v in node.get("x-kubernetes-validations", [])]
    assert any(words in m for m in messages), messages
    assert node.get("maxLength"), "CEL cost estimation needs a bounded string"


def test_the_server_address_stays_immutable_besides_being_checked():
    rules = [v["rule"] for v in _schema_at("Server", ("address",))["x-kubernetes-validations"]]
    assert "self == oldSelf" in rules and len(rules) == 2


@pytest.mark.parametrize("value", ["root", "deploy", "_svc", "web.ops", "ci-bot"])
def test_ordinary_login_names_pass(value):
    assert USER(value)


@pytest.mark.parametrize("value", ["example.com", "srv-1.fra.example.com", "10.0.0.1", "2001:db8::1", "::1", "localhost"])
def test_ordinary_hosts_pass(value):
    assert HOST(value)


@pytest.mark.parametrize("value", ["-oProxyCommand=x", "fe80::1%eth0", "a b", "host;reboot", "", "a..b", "[::1]"])
def test_hosts_that_are_no_host_are_refused(value):
    assert not HOST(value)


@pytest.mark.parametrize("value", ["python:3.11-slim", "ghcr.io/acme/api:1.4.2", "localhost:5000/team/app",
                                   "nginx@sha256:" + "a" * 64, "debian:bookworm-slim", "my_org/app__x"])
def test_ordinary_image_references_pass(value):
    assert IMAGE(value)


@pytest.mark.parametrize("value", ["--help", "-", "Nginx", "nginx:", "a b", "nginx;id", "nginx:$(id)", "../x"])
def test_image_references_that_are_options_or_shell_are_refused(value):
    assert not IMAGE(value)


@pytest.mark.parametrize("value", ["0.0.0.0/0", "203.0.113.0/24", "10.1.2.3/32", "::/0", "2001:db8::/32"])
def test_address_ranges_pass(value):
    assert CIDR(value)


@pytest.mark.parametrize("value", BAD_CIDRS)
def test_address_ranges_that_are_not_cidrs_are_refused(value):
    assert not CIDR(value)
