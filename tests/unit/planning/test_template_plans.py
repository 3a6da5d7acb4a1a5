"""A gallery template plans into a stack that works as it stands: the template's values
set on the image (which does not know them), its database references wired to the
generated credentials, parameters honoured, an image's own port kept."""

from __future__ import annotations

from hydron.api.application import ApplicationSpec
from hydron.planning.planner import PlanInputs, plan
from hydron.templates import expand_template, resolve_parameters


def planned(name: str, parameters: dict[str, str] | None = None, domain: str = "site.example.com"):
    spec = ApplicationSpec.model_validate({
        "source": {"template": {"name": name, "parameters": [{"name": k, "value": v} for k, v in (parameters or {}).items()]}},
        "domains": [domain], "planning": {"serverRef": {"name": "srv"}}})
    values = resolve_parameters(name, parameters or {}, domain)
    draft = plan(PlanInputs(name, spec, expand_template(name, values)))
    return {s.name: s for s in draft.spec.services}, draft


def env(service) -> dict[str, str]:
    return {e.name: e.value if e.value is not None else f"secret:{e.value_from.secret_key_ref.name}/{e.value_from.secret_key_ref.key}"
            for e in service.env}


def test_wordpress_reads_the_generated_mysql_credentials_not_a_secret_to_fill() -> None:
    services, draft = planned("wordpress", {"tablePrefix": "blog_"})
    assert env(services["wordpress"]) == {
        "WORDPRESS_DB_HOST": "mysql", "WORDPRESS_DB_USER": "secret:wordpress-mysql/username",
        "WORDPRESS_DB_PASSWORD": "secret:wordpress-mysql/password", "WORDPRESS_DB_NAME": "secret:wordpress-mysql/database",
        "WORDPRESS_TABLE_PREFIX": "blog_"}
    assert env(services["mysql"])["MYSQL_PASSWORD"] == "secret:wordpress-mysql/password"
    assert services["wordpress"].port == 80, "the image listens on 80: no generated recipe's port"
    assert [s.purpose for s in draft.spec.secrets] == ["Generated"], "nothing is left for a person to fill"


def test_ghost_url_comes_from_the_domain_or_the_parameter() -> None:
    assert env(planned("ghost")[0]["ghost"])["url"] == "https://site.example.com"
    assert env(planned("ghost", {"url": "https://example.com/blog"})[0]["ghost"])["url"] == "https://example.com/blog"


def test_plausible_reaches_clickhouse_with_the_generated_url() -> None:
    services, draft = planned("plausible", {"registration": "false"})
    values = env(services["plausible"])
    assert values["CLICKHOUSE_DATABASE_URL"] == "secret:plausible-clickhouse/url"
    assert values["DATABASE_URL"] == "secret:plausible-postgres/url"
    assert values["DISABLE_REGISTRATION"] == "false" and values["BASE_URL"] == "https://site.example.com"
    assert values["SECRET_KEY_BASE"] == "secret:plausible-env/SECRET_KEY_BASE"


def test_static_site_builds_the_repository_folder_the_parameter_names() -> None:
    services, _ = planned("static-site", {"repository": "git://h/site.git", "root": "www"})
    site = services["site"]
    assert site.image is None and site.dockerfile_origin == "Generated"
    assert "COPY --chown=101:101 www /usr/share/nginx/html" in site.dockerfile
