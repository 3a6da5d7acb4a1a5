"""The approved plan becomes the Deployment the deploy stage runs."""

from hydron.api.infraplan import InfraPlanSpec
from hydron.planning.handoff import deployment_spec

PLAN = InfraPlanSpec.model_validate({
    "applicationRef": {"name": "shop"},
    "server": {"serverRef": {"name": "fra-1"}},
    "services": [
        {"name": "web", "role": "web", "context": "apps/web", "dockerfile": "FROM node:20-slim\n", "port": 3000,
         "public": True, "domains": ["shop.example.com"], "dependsOn": ["postgres", "migrate"],
         "env": [{"name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {"name": "shop-postgres", "key": "url"}}}],
         "healthCheck": {"path": "/health"}, "resources": {"cpus": 0.5, "memoryMiB": 256}},
        {"name": "migrate", "role": "job", "context": ".", "dockerfile": "FROM node:20-slim\n"},
        {"name": "postgres", "role": "database", "image": "postgres:16", "port": 5432,
         "volumes": [{"name": "shop-postgres-data", "path": "/var/lib/postgresql/data"}]},
        {"name": "admin", "role": "web", "image": "adminer:4", "port": 8080, "public": False, "domains": ["x.example.com"]},
    ],
})


def test_services_keep_build_image_env_and_health():
    spec = deployment_spec(PLAN, "shop", "abc123")
    web = next(s for s in spec.services if s.name == "web")
    assert (web.build.context, web.build.dockerfile, web.image) == ("apps/web", "FROM node:20-slim\n", None)
    assert web.env[0].value_from.secret_key_ref.name == "shop-postgres"
    assert web.health_check.path == "/health" and web.port == 3000
    assert (web.resources.cpus, web.resources.memory_mi_b) == (0.5, 256)
    postgres = next(s for s in spec.services if s.name == "postgres")
    assert postgres.image == "postgres:16" and postgres.build is None
    assert postgres.volumes == ["/var/lib/postgresql/data"]
    assert (spec.server_ref.name, spec.application_ref.name, spec.source_revision) == ("fra-1", "shop", "abc123")


def test_one_off_jobs_are_not_run_as_services_nor_waited_on():
    spec = deployment_spec(PLAN, "shop", "abc123")
    assert "migrate" not in {s.name for s in spec.services}
    assert next(s for s in spec.services if s.name == "web").depends_on == ["postgres"]


def test_only_public_services_get_domains():
    spec = deployment_spec(PLAN, "shop", None)
    assert next(s for s in spec.services if s.name == "admin").domains == []


def test_no_server_named_means_no_deployment_yet():
    plan = PLAN.model_copy(update={"server": PLAN.server.model_copy(update={"server_ref": None})})
    assert deployment_spec(plan, "shop", None) is None
