"""Server recommendation: the cheapest offer that fits, where and for what the person asked."""

from __future__ import annotations

from hydron.api.application import PlanningPolicy
from hydron.api.base import LocalObjectReference
from hydron.planning import PlanInputs, plan
from hydron.planning.catalog import load_catalog
from hydron.planning.server import recommend
from hydron.planning.sizing import analysis_need
from tests.unit.planning.factories import analysis, app_spec, backing, service

SMALL = analysis(service(depends=[("postgres", "backing")]), databases=[backing("postgres")])
BIG = analysis(*[service(f"api-{i}", language="java", version="21", framework="Spring Boot", pm="maven",
                          lockfile=None, start="java -jar app.jar", port=8080) for i in range(8)],
               databases=[backing("elasticsearch", used_by=["api-0"])])


def test_catalog_offers_are_real_data_with_prices_and_dates():
    offers = {o.name: o for o in load_catalog()}
    ks = offers["KS-LE-B"]
    assert (ks.cpus, ks.memory_gi_b, ks.disk_gi_b) == (4, 16, 500)
    assert ks.locations[0].city == "Frankfurt"
    assert {"CX23", "CX33", "CX43", "CPX32", "CAX21", "AX41-NVMe", "AX52", "DEV1-S", "s-2vcpu-4gb"} <= set(offers)
    assert all(o.monthly_eur > 0 and o.prices_as_of.year >= 2024 for o in offers.values())


def test_small_app_gets_the_cheapest_offer_that_fits_and_a_rationale_with_the_arithmetic():
    rec, findings = recommend(analysis_need(SMALL), PlanningPolicy())
    assert findings == []
    assert rec.offer == "CX23" and rec.monthly_price == 5.49
    text = rec.rationale
    assert "EUR 5.49/month" in text and "as of 2026-08-04" in text
    assert "databases and caches 512 MB" in text and "headroom" in text
    assert "free" in text and "Next size up: CX33" in text
    assert rec.next_size_up.startswith("CX33")
    assert rec.required.memory_mi_b <= rec.memory_mi_b


def test_more_services_need_a_bigger_server():
    small, _ = recommend(analysis_need(SMALL), PlanningPolicy())
    big, _ = recommend(analysis_need(BIG), PlanningPolicy())
    assert big.memory_mi_b > small.memory_mi_b
    assert big.required.memory_mi_b > 8 * 768


def test_location_is_honoured():
    rec, findings = recommend(analysis_need(SMALL), PlanningPolicy(location="Paris"))
    assert findings == [] and rec.provider == "scaleway" and rec.location == "fr-par"
    rec, _ = recommend(analysis_need(BIG), PlanningPolicy(location="Frankfurt"))
    assert rec.location in ("fra", "fra1")


def test_budget_too_small_is_an_error_that_names_the_cheapest_fit():
    rec, findings = recommend(analysis_need(BIG), PlanningPolicy(monthly_budget=5))
    assert [f.severity for f in findings] == ["Error"]
    assert "EUR 5.00" in findings[0].message and rec.offer in findings[0].message


def test_budget_and_location_together_pick_within_both():
    rec, findings = recommend(analysis_need(SMALL), PlanningPolicy(location="EU", monthly_budget=6))
    assert findings == [] and rec.monthly_price <= 6


def test_unknown_location_is_an_error_not_a_silent_default():
    _, findings = recommend(analysis_need(SMALL), PlanningPolicy(location="Atlantis"))
    assert findings[0].severity == "Error" and "Atlantis" in findings[0].message


def test_server_ref_uses_the_existing_server():
    rec, findings = recommend(analysis_need(SMALL), PlanningPolicy(server_ref=LocalObjectReference(name="fra-1")))
    assert rec.server_ref.name == "fra-1" and rec.offer is None and findings == []
    assert "fra-1" in rec.rationale


def test_arm_offers_only_when_every_image_is_built_by_hydron():
    own = analysis(service(dockerfile="Dockerfile"), *[service(f"w{i}", role="worker", port=None, health=None)
                                                        for i in range(6)])
    draft = plan(PlanInputs("shop", app_spec(), own))
    assert draft.spec.server.architecture == "x86_64"


def test_jobs_do_not_count_towards_the_steady_state():
    with_job = analysis(service(), service("migrate", role="job", port=None, health=None, start="npm run migrate"))
    assert analysis_need(with_job).steady_memory_mib == analysis_need(analysis(service())).steady_memory_mib


def test_a_provider_account_narrows_the_offers_to_what_it_can_order():
    account = {"provider": "ovh", "accountSecretRef": {"name": "ovh", "key": "token"},
               "sshKeySecretRef": {"name": "ssh", "key": "key"}}
    rec, findings = recommend(analysis_need(SMALL), PlanningPolicy.model_validate({"providerAccount": account}))
    assert findings == [] and rec.provider == "ovh"  # not the cheaper Hetzner CX23 the account cannot order
