"""The rollout planner: order, cycles, names, env with secrets, digests."""

from __future__ import annotations

import pytest

from hydron.api.deployment import DeployService
from hydron.deploy.plan import (
    PlanError,
    container_name,
    dependency_order,
    network_name,
    plan_rollout,
    secret_refs,
)


def svc(name: str, *deps: str, **extra) -> DeployService:
    return DeployService.model_validate({"name": name, "image": f"{name}:1", "dependsOn": list(deps), **extra})


def test_dependencies_come_first_and_spec_order_breaks_ties():
    services = [svc("web", "api"), svc("worker", "db", "cache"), svc("api", "db", "cache"), svc("db"), svc("cache")]
    assert dependency_order(services) == ["db", "cache", "worker", "api", "web"]


def test_independent_services_keep_spec_order():
    assert dependency_order([svc("b"), svc("a"), svc("c")]) == ["b", "a", "c"]


def test_a_cycle_is_named():
    with pytest.raises(PlanError, match=r"dependency cycle: (api -> web -> api|web -> api -> web)"):
        dependency_order([svc("db"), svc("web", "api"), svc("api", "web", "db")])


def test_a_longer_cycle_is_named_in_order():
    with pytest.raises(PlanError) as caught:
        dependency_order([svc("a", "b"), svc("b", "c"), svc("c", "a")])
    assert str(caught.value) == "dependency cycle: a -> b -> c -> a"


@pytest.mark.parametrize(("services", "message"), [
    ([svc("web", "db")], "service web depends on unknown service(s) db"),
    ([svc("web", "web")], "service web depends on itself"),
])
def test_bad_dependencies_are_plan_errors(services, message):
    with pytest.raises(PlanError) as caught:
        dependency_order(services)
    assert str(caught.value) == message


def web_with_secret(**extra) -> DeployService:
    return svc("web", port=3000, env=[
        {"name": "MODE", "value": "prod"},
        {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
    ], **extra)


def test_secrets_are_resolved_into_env_only():
    (plan,) = plan_rollout("shop", [web_with_secret()], {"web": "img:1"}, {("db", "password"): "hunter2-value"})
    assert plan.env == {"MODE": "prod", "DB_PASSWORD": "hunter2-value", "PORT": "3000"}
    assert "hunter2-value" not in repr(plan)
    assert "hunter2-value" not in str(plan.labels) and "hunter2-value" not in plan.name


def test_the_digest_follows_secret_references_not_values():
    first = plan_rollout("shop", [web_with_secret()], {"web": "img:1"}, {("db", "password"): "one"})[0]
    second = plan_rollout("shop", [web_with_secret()], {"web": "img:1"}, {("db", "password"): "two"})[0]
    other_image = plan_rollout("shop", [web_with_secret()], {"web": "img:2"}, {("db", "password"): "one"})[0]
    assert first.digest == second.digest
    assert other_image.digest != first.digest and other_image.name != first.name


def test_a_rotated_secret_changes_the_digest_of_the_services_that_read_it_only():
    services = [web_with_secret(), svc("worker")]
    values = {("db", "password"): "same"}
    before = plan_rollout("shop", services, {"web": "img:1", "worker": "w:1"}, values, secret_versions={"db": "41"})
    after = plan_rollout("shop", services, {"web": "img:1", "worker": "w:1"}, values, secret_versions={"db": "42"})
    assert before[0].service == "web" and before[0].digest != after[0].digest and before[0].name != after[0].name
    assert before[1].digest == after[1].digest  # the worker reads no Secret: it stays put
    assert "42" not in str(after[0].labels.get("dev.hydron.app"))


def test_an_explicit_port_variable_wins():
    (plan,) = plan_rollout("shop", [svc("web", port=3000, env=[{"name": "PORT", "value": "8080"}])], {"web": "i"}, {})
    assert plan.env["PORT"] == "8080"


def test_names_network_labels_and_volumes():
    db = svc("db", volumes=["/var/lib/postgresql/data"], resources={"cpus": 0.5, "memoryMiB": 256})
    web = svc("web", "db", port=3000, domains=["shop.example.com"], build={"context": "."}, image=None)
    plans = plan_rollout("shop", [web, db], {"web": "hydron/shop-web:abc", "db": "postgres:16"}, {}, revision="abc123")
    assert [p.service for p in plans] == ["db", "web"]
    db_plan, web_plan = plans
    assert network_name("shop") == "hydron-shop" == db_plan.network == web_plan.network
    assert web_plan.name == container_name("shop", "web", web_plan.digest) == f"hydron-shop-web-{web_plan.digest[:10]}"
    assert web_plan.labels == {
        "dev.hydron.app": "shop", "dev.hydron.service": "web", "dev.hydron.config-digest": web_plan.digest,
        "dev.hydron.revision": "abc123",
    }
    assert "dev.hydron.revision" not in db_plan.labels  # an image service is not built from the revision
    assert db_plan.volumes == (("hydron-shop-db-var-lib-postgresql-data", "/var/lib/postgresql/data"),)
    assert db_plan.shares_data and not web_plan.shares_data
    assert (db_plan.cpus, db_plan.memory_mib) == (0.5, 256)
    assert web_plan.domains == ("shop.example.com",)


def test_secret_refs_are_listed_once():
    services = [web_with_secret(), svc("worker", env=[{"name": "X", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}])]
    assert secret_refs(services) == [("db", "password")]
