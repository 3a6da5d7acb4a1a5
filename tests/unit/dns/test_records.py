"""Which records an app's domains need, what a pass sends to get there, and the
settings' own checks. Pure: no DNS server."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from hydron.api.application import ApplicationSpec
from hydron.api.deployment import DeploymentSpec
from hydron.api.dns import DnsRecord, DnsSettings
from hydron.deploy.engine import _without_domains
from hydron.deploy.plan import plan_rollout
from hydron.dns.records import DnsError, changes, endpoint_manifest, union, unresolved, wanted

ZONE = {"rfc2136": {"nameserver": "192.0.2.53", "zone": "example.com", "tsigKeyName": "hydron",
                    "tsigSecretSecretRef": {"name": "dns-tsig", "key": "secret"}}}


def a(name: str, value: str = "203.0.113.5") -> DnsRecord:
    return DnsRecord(name=name, type="A", value=value)


def test_each_domain_gets_one_record_of_the_address_family_of_the_server():
    assert wanted(["Shop.example.com.", "shop.example.com", "*.apps.example.com"], "203.0.113.5") == [
        a("shop.example.com"), a("*.apps.example.com")]
    assert wanted(["shop.example.com"], "2001:DB8::5") == [DnsRecord(name="shop.example.com", type="AAAA",
                                                                     value="2001:db8::5")]


def test_a_server_known_only_by_host_name_cannot_be_pointed_at_and_says_what_to_set():
    with pytest.raises(DnsError) as caught:
        wanted(["shop.example.com"], "fra-1.example.net")
    assert caught.value.reason == "DNSAddressNotIP" and not caught.value.retryable
    assert "spec.publicAddress" in caught.value.message


def test_a_record_the_server_already_answers_is_not_sent_again():
    want = [a("shop.example.com"), a("www.example.com")]
    answers = {("shop.example.com", "A"): frozenset({"203.0.113.5"}), ("www.example.com", "A"): frozenset()}
    todo = changes(want, want, answers)
    assert todo.set == (a("www.example.com"),) and todo.remove == ()
    assert not changes(want, want, {**answers, ("www.example.com", "A"): frozenset({"203.0.113.5"})})


def test_a_record_answering_another_address_or_not_at_all_is_set():
    want = [a("shop.example.com")]
    assert changes([], want, {("shop.example.com", "A"): frozenset({"198.51.100.1"})}).set == tuple(want)
    assert changes([], want, {("shop.example.com", "A"): None}).set == tuple(want)


def test_a_move_replaces_the_address_and_removes_only_what_hydron_wrote():
    before = [a("shop.example.com", "203.0.113.5"), a("old.example.com", "203.0.113.5")]
    after = wanted(["shop.example.com"], "2001:db8::9")
    todo = changes(before, after, {})
    assert todo.remove == tuple(before)  # the old A records go, the old domain's too
    assert todo.set == tuple(after)


def test_domains_waiting_say_what_they_answer_instead():
    want = [a("shop.example.com"), a("www.example.com"), a("api.example.com")]
    answers = {("shop.example.com", "A"): frozenset({"203.0.113.5"}), ("www.example.com", "A"): frozenset(),
               ("api.example.com", "A"): frozenset({"198.51.100.1"})}
    assert unresolved(want, answers) == {"www.example.com": "no record", "api.example.com": "198.51.100.1"}
    assert unresolved(want, {}) == {r.name: "no answer" for r in want}


def test_the_records_recorded_before_an_update_cover_old_and_new():
    assert union([a("x.example.com")], [a("x.example.com"), a("y.example.com")]) == [a("x.example.com"),
                                                                                      a("y.example.com")]


def test_a_dnsendpoint_holds_one_endpoint_per_record_for_external_dns():
    manifest = endpoint_manifest("shop", [a("shop.example.com")], 120, {"app.kubernetes.io/managed-by": "hydron"})
    assert manifest["apiVersion"] == "externaldns.k8s.io/v1alpha1" and manifest["kind"] == "DNSEndpoint"
    assert manifest["spec"]["endpoints"] == [
        {"dnsName": "shop.example.com", "recordType": "A", "targets": ["203.0.113.5"], "recordTTL": 120}]


def test_held_domains_are_left_out_of_the_routes_but_not_the_release():
    from hydron.api.deployment import DeployService
    services = [DeployService(name="web", image="nginx", port=80, domains=["shop.example.com", "www.example.com"])]
    plans = plan_rollout("shop", services, {"web": "nginx"}, {})
    routed = _without_domains(plans, frozenset({"www.example.com"}))
    assert routed[0].domains == ("shop.example.com",) and routed[0].digest == plans[0].digest
    assert _without_domains(plans, frozenset()) == plans


def test_dns_settings_take_exactly_one_way():
    with pytest.raises(ValidationError, match="exactly one of rfc2136 or externalDNS"):
        DnsSettings.model_validate({})
    with pytest.raises(ValidationError, match="exactly one"):
        DnsSettings.model_validate({**ZONE, "externalDNS": {}})
    assert DnsSettings.model_validate({"externalDNS": {}}).external_dns.ttl == 300


def test_every_domain_must_lie_in_the_rfc2136_zone():
    source = {"image": {"name": "nginx"}}
    ApplicationSpec.model_validate({"source": source, "domains": ["example.com", "shop.example.com"], "dns": ZONE})
    with pytest.raises(ValidationError, match="shop.example.org are not in dns.rfc2136.zone"):
        ApplicationSpec.model_validate({"source": source, "dns": ZONE,
                                        "services": [{"name": "web", "domains": ["shop.example.org"]}]})
    with pytest.raises(ValidationError, match="badexample.com"):
        DeploymentSpec.model_validate({"serverRef": {"name": "s"}, "dns": ZONE,
                                       "services": [{"name": "web", "image": "nginx", "domains": ["badexample.com"]}]})
