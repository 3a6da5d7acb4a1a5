"""A Deployment's domains against a real BIND 9: records written with RFC 2136 updates
signed with TSIG, moved with the app, removed on delete; a server refusing the update
says why, holds the routes and leaves nothing the status does not name."""

from __future__ import annotations

import uuid

import dns.query
import dns.rcode
import dns.tsig
import dns.update
import pytest

from hydron.api.conditions import DNS_READY, find
from hydron.api.deployment import Deployment, DeploymentStatus
from hydron.controllers import deployment_dns
from hydron.dns import rfc2136
from hydron.dns.publish import Context
from hydron_testbed.ports import closed_port

SERVER_A, SERVER_B, SERVER_V6 = "192.0.2.10", "192.0.2.20", "2001:db8::20"


def names(bind, *labels: str) -> list[str]:
    """Domains of the test zone no other test uses."""
    tag = uuid.uuid4().hex[:6]
    return [f"{label}-{tag}.{bind.zone}" for label in labels]


def deployment(bind, domains: list[str], **rfc2136) -> Deployment:
    return Deployment.model_validate({"spec": {
        "serverRef": {"name": "fra-1"}, "dns": {"rfc2136": bind.rfc2136(**rfc2136)},
        "services": [{"name": "web", "image": "nginx", "port": 80, "domains": domains}],
    }})


def secret_of(value: str | None):
    def read(name: str, key: str) -> str:
        if value is None:
            raise LookupError(f"no Secret {name}")
        return value
    return read


async def publish(resource: Deployment, address: str, status: DeploymentStatus | None, secret: str | None,
                  recorded: list | None = None):
    async def record(dns_status) -> None:
        if recorded is not None:
            recorded.append(dns_status)

    ctx = Context("shop", secret_of(secret), None, record)
    return await deployment_dns.publish(resource, resource.spec.services, address, status or DeploymentStatus(), 1, ctx)


def condition(status: DeploymentStatus):
    found = find(status.conditions, DNS_READY)
    assert found is not None
    return found


async def test_records_point_at_the_server_follow_a_move_and_go_with_the_app(bind):
    shop, www = names(bind, "shop", "www")
    app = deployment(bind, [shop, www])
    recorded: list = []
    first = await publish(app, SERVER_A, None, bind.secret, recorded)
    assert condition(first.status).status == "True" and condition(first.status).reason == "RecordsPublished"
    assert first.held == frozenset() and first.retry is None
    assert bind.answers(shop) == {SERVER_A} and bind.answers(www) == {SERVER_A}
    assert {r.name for r in recorded[0].records} == {shop, www}  # named before the update went out

    again = await publish(app, SERVER_A, first.status, bind.secret, recorded)
    assert len(recorded) == 1 and again.status.dns == first.status.dns  # nothing to send: nothing sent

    moved = await publish(app, SERVER_B, again.status, bind.secret)
    assert bind.answers(shop) == {SERVER_B} and bind.answers(www) == {SERVER_B}

    fewer = deployment(bind, [shop])
    to_v6 = await publish(fewer, SERVER_V6, moved.status, bind.secret)
    assert bind.answers(shop, "AAAA") == {SERVER_V6} and bind.answers(shop) == set()
    assert bind.answers(www) == set()  # the domain left the spec: its record went
    assert [(r.name, r.type) for r in to_v6.status.dns.records] == [(shop, "AAAA")]

    gone = fewer.model_copy(update={"status": to_v6.status})
    await deployment_dns.withdraw(gone, Context("shop", secret_of(bind.secret)))
    assert bind.answers(shop, "AAAA") == set()


@pytest.mark.parametrize(("problem", "reason"), [
    ({"secret": "d3JvbmcgdGhpcyBpcyB0aGUgd3Jvbmcgc2VjcmV0Lg=="}, "TSIGKeyRejected"),
    ({"zone": "not-served.test"}, "DNSZoneNotServed"),
    ({"secret": None}, "TSIGSecretUnavailable"),
    ({"secret": "not base64!"}, "TSIGKeyInvalid"),
])
async def test_a_refused_update_says_why_holds_the_routes_and_leaves_nothing_unnamed(bind, problem, reason):
    zone = problem.get("zone", bind.zone)
    shop = f"shop-{uuid.uuid4().hex[:6]}.{zone}"
    app = deployment(bind, [shop], zone=zone)
    result = await publish(app, SERVER_A, None, problem.get("secret", bind.secret))
    found = condition(result.status)
    assert (found.status, found.reason) == ("False", reason)
    assert shop in found.message and "wait" in found.message
    assert result.held == {shop}
    assert result.status.dns.records == []  # the server changed nothing, and status says so
    if zone == bind.zone:
        assert bind.answers(shop) == set()
    assert (result.retry is None) == (reason == "TSIGKeyInvalid")  # a person must fix that one
    if problem.get("secret"):
        assert problem["secret"] not in found.message  # never the secret itself

    if zone == bind.zone:  # fixed: the next pass publishes
        healed = await publish(app, SERVER_A, result.status, bind.secret)
        assert condition(healed.status).status == "True" and bind.answers(shop) == {SERVER_A}


async def test_a_dns_server_that_does_not_answer_keeps_resolved_routes_and_holds_new_ones(bind, monkeypatch):
    monkeypatch.setattr(rfc2136, "TIMEOUT", 0.5)  # nothing listens: no answer will come
    shop, new = names(bind, "shop", "new")
    ok = await publish(deployment(bind, [shop]), SERVER_A, None, bind.secret)
    assert ok.status.dns.resolved == [shop]
    silent = deployment(bind, [shop, new], port=closed_port())
    result = await publish(silent, SERVER_A, ok.status, bind.secret)
    found = condition(result.status)
    assert (found.status, found.reason) == ("False", "DNSServerUnreachable") and result.retry
    assert result.held == {new}  # shop answered with this address before: its route stays
    assert {r.name for r in result.status.dns.records} >= {shop, new}  # the update may have landed: named


async def test_a_record_changed_by_hand_is_put_back(bind):
    (shop,) = names(bind, "shop")
    app = deployment(bind, [shop])
    first = await publish(app, SERVER_A, None, bind.secret)
    edit = dns.update.UpdateMessage(bind.zone, keyring=dns.tsig.Key(bind.key_name, bind.secret, bind.algorithm))
    edit.replace(shop.removesuffix("." + bind.zone), 60, "A", "198.51.100.99")
    assert dns.query.tcp(edit, "127.0.0.1", port=bind.port, timeout=5).rcode() == dns.rcode.NOERROR
    repaired = await publish(app, SERVER_A, first.status, bind.secret)
    assert condition(repaired.status).status == "True" and bind.answers(shop) == {SERVER_A}


async def test_no_update_goes_out_unless_status_names_its_records_first(bind):
    (shop,) = names(bind, "shop")
    app = deployment(bind, [shop])

    async def status_write_fails(_dns_status) -> None:
        raise ConnectionError("the API server went away")

    ctx = Context("shop", secret_of(bind.secret), None, status_write_fails)
    with pytest.raises(ConnectionError):
        await deployment_dns.publish(app, app.spec.services, SERVER_A, DeploymentStatus(), 1, ctx)
    assert bind.answers(shop) == set()  # nothing written that the status would not name


async def test_removing_spec_dns_or_handing_it_to_external_dns_removes_the_records_hydron_wrote(bind):
    shop, www = names(bind, "shop", "www")
    app = deployment(bind, [shop, www])
    first = await publish(app, SERVER_A, None, bind.secret)
    assert bind.answers(shop) == {SERVER_A} and first.status.dns.published_with == app.spec.dns

    # The same zone reached another way (a new port, key name): the same records, left standing.
    renamed = deployment(bind, [shop, www], port=closed_port(), tsigKeyName="rotated")
    kept = await publish(renamed, SERVER_A, first.status, bind.secret)
    assert bind.answers(shop) == {SERVER_A} and {r.name for r in kept.status.dns.records} == {shop, www}

    # external-dns instead: the records written by RFC 2136 go (no DNSEndpoints can be written here).
    external = Deployment.model_validate({"spec": {**app.spec.to_api(), "dns": {"externalDNS": {}}}})
    handed = await publish(external, SERVER_A, first.status, bind.secret)
    assert bind.answers(shop) == set() and bind.answers(www) == set()
    assert condition(handed.status).reason == "DNSEndpointUnavailable" and handed.status.dns.records == []

    again = await publish(app, SERVER_A, None, bind.secret)
    assert bind.answers(shop) == {SERVER_A}
    without = app.model_copy(update={"spec": app.spec.model_copy(update={"dns": None})})
    refused_removal = await publish(without, SERVER_A, again.status, "d3JvbmcgdGhpcyBpcyB0aGUgd3Jvbmcgc2VjcmV0Lg==")
    assert refused_removal.retry and refused_removal.status.dns == again.status.dns  # still named, tried again
    assert bind.answers(shop) == {SERVER_A}
    removed = await publish(without, SERVER_A, refused_removal.status, bind.secret)
    assert bind.answers(shop) == set() and bind.answers(www) == set()
    assert removed.status.dns is None and removed.retry is None

    # A record someone else put there (not in status) is never touched.
    hand = await publish(app, SERVER_B, None, bind.secret)
    records = hand.status.dns.records
    await publish(without, SERVER_B, hand.status.model_copy(update={"dns": hand.status.dns.model_copy(
        update={"records": [r for r in records if r.name == shop]})}), bind.secret)
    assert bind.answers(shop) == set() and bind.answers(www) == {SERVER_B}
