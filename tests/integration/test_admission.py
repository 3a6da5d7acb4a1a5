"""The real API server refuses, at `kubectl apply`, every hostile value in a field that
reaches a command line, with the rule's message; valid resources still go in."""

from __future__ import annotations

import json

import pytest

from tests.hostile import BAD_CIDRS, VALID, cases, with_value


def manifest(kind: str, spec: dict, name: str = "x") -> str:
    return json.dumps({"apiVersion": "hydron.dev/v1alpha1", "kind": kind, "metadata": {"name": name}, "spec": spec})


def server_dry_run(kube, kind: str, spec: dict):
    """`kubectl apply --dry-run=server`: admission in full (schema and CEL), nothing stored."""
    return kube.run("apply", "--dry-run=server", "-f", "-", input=manifest(kind, spec), check=False)


@pytest.mark.parametrize("kind", list(VALID))
def test_a_valid_resource_of_each_kind_is_admitted(kube, kind):
    created = kube.apply(manifest(kind, VALID[kind], name="valid"), check=False)
    assert created.returncode == 0, created.stderr
    stored = kube.get(f"{kind.lower()}s.hydron.dev", "valid")["spec"]
    assert {key: stored[key] for key in VALID[kind]}.keys() == VALID[kind].keys()


@pytest.mark.parametrize(("case", "spec", "words"), cases(), ids=[c[0] for c in cases()])
def test_a_hostile_value_is_refused_at_apply_with_the_rules_message(kube, case, spec, words):
    kind = case.split(".", 1)[0]
    result = server_dry_run(kube, kind, spec)
    assert result.returncode != 0, f"{case} was admitted"
    assert words in result.stderr, result.stderr


@pytest.mark.parametrize("source", BAD_CIDRS)
def test_a_firewall_source_that_is_no_cidr_is_refused(kube, source):
    result = server_dry_run(kube, "Server", with_value("Server", ("firewall", 0, "source"), source))
    assert result.returncode != 0 and "must be an address range in CIDR form" in result.stderr, result.stderr


def test_the_refused_user_is_named_with_the_field(kube):
    result = server_dry_run(kube, "Server", with_value("Server", ("user",), "-oProxyCommand=sh -c 'id'"))
    assert "spec.user" in result.stderr and "must be a login name" in result.stderr
