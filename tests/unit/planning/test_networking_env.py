"""Networking, managed databases, secrets and env wiring of a plan."""

from __future__ import annotations

import json

from hydron.api.base import EnvValueSource, EnvVar, SecretKeyReference
from hydron.api.infraplan import InfraPlan
from hydron.planning import PlanInputs, plan, secret_data
from tests.unit.planning.factories import analysis, app_spec, backing, env, service

API = service("api", env_vars=[
    env("DATABASE_URL", secret=True, required=True), env("REDIS_URL", secret=True),
    env("STRIPE_SECRET_KEY", secret=True, required=True), env("LOG_LEVEL", default="info"),
    env("INVOICE_BUCKET", required=True), env("PORT", default="3000"),
], depends=[("postgres", "backing"), ("redis", "backing")])
WEB = service("web", framework="Next.js", env_vars=[env("API_URL", required=True)], depends=[("api", "service")],
              port=3001)
ANALYSIS = analysis(API, WEB, databases=[backing("postgres", used_by=["api"]), backing("redis", used_by=["api"])])


def make(**app):
    return plan(PlanInputs("shop", app_spec(**app), ANALYSIS, "0123456789abcdef"))


def by_name(items):
    return {i.name: i for i in items}


def test_databases_run_as_internal_managed_containers_with_volumes_and_secret_credentials():
    spec = make().spec
    services = by_name(spec.services)
    pg = services["postgres"]
    assert pg.image == "postgres:16" and pg.role == "database" and not pg.public and pg.port == 5432
    assert pg.volumes[0].path == "/var/lib/postgresql/data" and pg.volumes[0].name == "hydron-shop-postgres-var-lib-postgresql-data"
    password = by_name(pg.env)["POSTGRES_PASSWORD"]
    assert password.value is None and password.value_from.secret_key_ref.name == "shop-postgres"
    assert pg.health_check.command and "pg_isready -h 127.0.0.1" in " ".join(pg.health_check.command)
    assert services["redis"].image == "redis:7" and "requirepass" in " ".join(services["redis"].command)
    assert spec.network.name == "shop-internal" and spec.network.internal


def test_env_wiring_references_secrets_and_siblings_by_name():
    services = by_name(make().spec.services)
    api_env = by_name(services["api"].env)
    assert api_env["DATABASE_URL"].value_from.secret_key_ref == SecretKeyReference(name="shop-postgres", key="url")
    assert api_env["REDIS_URL"].value_from.secret_key_ref == SecretKeyReference(name="shop-redis", key="url")
    assert api_env["STRIPE_SECRET_KEY"].value_from.secret_key_ref == SecretKeyReference(name="shop-env",
                                                                                          key="STRIPE_SECRET_KEY")
    assert api_env["PORT"].value == "3000"
    assert "LOG_LEVEL" not in api_env  # the code's default stands
    assert by_name(services["web"].env)["API_URL"].value == "http://api:3000"
    assert services["web"].depends_on == ["api"] and set(services["api"].depends_on) == {"postgres", "redis"}


def test_env_definitions_say_secret_or_plain_required_or_defaulted_and_where_the_value_comes_from():
    definitions = by_name(by_name(make().spec.services)["api"].env_definitions)
    assert (definitions["STRIPE_SECRET_KEY"].secret, definitions["STRIPE_SECRET_KEY"].source) == (True, "UserSecret")
    assert definitions["DATABASE_URL"].source == "Wired"
    assert (definitions["LOG_LEVEL"].required, definitions["LOG_LEVEL"].source) == (False, "Default")
    assert definitions["INVOICE_BUCKET"].source == "Unset"


def test_required_but_unset_variables_become_findings_until_the_application_sets_them():
    findings = make().findings
    assert any(f.field == "services[api].env[INVOICE_BUCKET]" for f in findings)
    fixed = make(env=[{"name": "INVOICE_BUCKET", "value": "invoices"}])
    assert not any(f.field == "services[api].env[INVOICE_BUCKET]" for f in fixed.findings)
    assert by_name(by_name(fixed.spec.services)["api"].env)["INVOICE_BUCKET"].value == "invoices"


def test_the_application_env_wins_over_wiring():
    override = {"name": "api", "env": [{"name": "DATABASE_URL",
                                        "valueFrom": {"secretKeyRef": {"name": "managed-db", "key": "dsn"}}}]}
    api_env = by_name(by_name(make(services=[override]).spec.services)["api"].env)
    assert api_env["DATABASE_URL"].value_from.secret_key_ref.name == "managed-db"


def test_public_web_service_gets_routes_with_acme_tls_per_domain():
    spec = make(domains=["shop.example.com", "www.shop.example.com"]).spec
    services = by_name(spec.services)
    assert services["web"].public and not services["api"].public  # Next.js is the front door
    assert {(r.domain, r.service, r.port, r.tls) for r in spec.routes} == {
        ("shop.example.com", "web", 3001, "acme"), ("www.shop.example.com", "web", 3001, "acme")}


def test_an_override_domain_exposes_a_second_service():
    spec = make(domains=["shop.example.com"], services=[{"name": "api", "domains": ["api.shop.example.com"]}]).spec
    assert by_name(spec.services)["api"].public
    assert ("api.shop.example.com", "api") in {(r.domain, r.service) for r in spec.routes}


def test_firewall_opens_nothing_beyond_ssh_and_the_proxy_and_ssh_is_hardened():
    spec = make().spec
    assert spec.firewall == [] and spec.security.firewall_default == "deny"
    assert spec.security.ssh.password_authentication is False
    assert spec.security.ssh.permit_root_login == "prohibit-password"


def test_secret_values_are_generated_by_the_controller_never_stored_in_the_plan():
    spec = make().spec
    planned = by_name(spec.secrets)["shop-postgres"]
    data = secret_data(planned)
    assert len(data["password"]) >= 32
    assert data["url"] == f"postgres://app:{data['password']}@postgres:5432/app"
    assert data["password"] not in json.dumps(spec.to_api())
    assert secret_data(planned, data) == data, "existing values are kept: passwords never rotate on reconcile"
    assert secret_data(planned)["password"] != data["password"]
    assert by_name(spec.secrets)["shop-env"].purpose == "User"


def test_the_plan_is_a_valid_infraplan_resource():
    spec = make(domains=["shop.example.com"]).spec
    InfraPlan.model_validate({"spec": spec.to_api()})  # what the API server will be sent


def test_a_disabled_service_is_left_out():
    names = {s.name for s in make(services=[{"name": "web", "disabled": True}]).spec.services}
    assert "web" not in names and "api" in names


def test_port_and_start_command_overrides_regenerate_the_dockerfile():
    spec = make(services=[{"name": "api", "port": 8080, "startCommand": "node dist/main.js"}]).spec
    api = by_name(spec.services)["api"]
    assert api.port == 8080 and "EXPOSE 8080" in api.dockerfile
    assert 'CMD ["node", "dist/main.js"]' in api.dockerfile


def test_env_var_model_used_for_references():
    ref = EnvVar(name="X", value_from=EnvValueSource(secret_key_ref=SecretKeyReference(name="s", key="k")))
    assert ref.to_api() == {"name": "X", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}


def test_a_django_allow_list_nothing_sets_is_wired_to_the_routed_domains_and_the_health_checks_loopback():
    """healthchecks: ALLOWED_HOSTS unset falls back to SITE_ROOT's localhost, and Django answers every request
    for app.example.com with HTTP 400 (DisallowedHost)."""
    site = service("web", language="python", framework="Django", pm="pip", lockfile=None, port=8000,
                   env_vars=[env("ALLOWED_HOSTS", required=True), env("DJANGO_ALLOWED_HOSTS", default="*")])
    draft = plan(PlanInputs("hc", app_spec(domains=["hc.example.com", "www.hc.example.com"]), analysis(site)))
    web = by_name(draft.spec.services)["web"]
    assert by_name(web.env)["ALLOWED_HOSTS"].value == "hc.example.com,www.hc.example.com,localhost,127.0.0.1"
    assert by_name(web.env_definitions)["ALLOWED_HOSTS"].source == "Wired"
    assert "DJANGO_ALLOWED_HOSTS" not in by_name(web.env), "the app's own default stays"
    assert not [f for f in draft.findings if "ALLOWED_HOSTS" in (f.field or "")]
    person = plan(PlanInputs("hc", app_spec(domains=["hc.example.com"], env=[{"name": "ALLOWED_HOSTS", "value": "*"}]),
                             analysis(site)))
    assert by_name(by_name(person.spec.services)["web"].env)["ALLOWED_HOSTS"].value == "*"
