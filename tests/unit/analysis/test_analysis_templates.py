"""The template gallery expands into the same Analysis model an analysed repository produces."""

from __future__ import annotations

import pytest

from hydron.templates import (
    TemplateParameterError, UnknownTemplate, expand_template, list_templates, resolve_parameters, template_repository,
)

NAMES = [t.name for t in list_templates()]


def test_the_gallery_has_the_stacks_issue_3_asks_for() -> None:
    assert {"static-site", "wordpress", "ghost", "node-api", "umami", "plausible"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_each_template_is_a_complete_deployable_analysis(name: str) -> None:
    analysis = expand_template(name)
    assert analysis.template == name and analysis.services
    databases = {d.name for d in analysis.databases}
    services = {s.name for s in analysis.services}
    for service in analysis.services:
        needs_code = template_repository(name, {"repository": "git://x/app.git", "ref": "main"}) is not None
        assert service.image or service.start_command or needs_code, f"{service.name} can neither be pulled nor built"
        if service.role.value == "web":
            assert service.port and service.health_check
        for dependency in service.depends_on:
            assert dependency.name in (databases if dependency.kind == "backing" else services)
        for variable in service.env:
            assert not (variable.secret and variable.default), f"{variable.name} is a secret with a default"
    for database in analysis.databases:
        assert database.used_by and database.image


@pytest.mark.parametrize("name, service, port, needs", [
    ("wordpress", "wordpress", 80, {"mysql"}),
    ("ghost", "ghost", 2368, {"mysql"}),
    ("node-api", "api", 3000, {"postgres", "redis"}),
    ("umami", "umami", 3000, {"postgres"}),
    ("plausible", "plausible", 8000, {"postgres", "clickhouse"}),
])
def test_template_stacks(name: str, service: str, port: int, needs: set[str]) -> None:
    analysis = expand_template(name)
    found = {s.name: s for s in analysis.services}[service]
    assert found.port.value == port
    assert {d.name for d in found.depends_on} == needs


def test_app_secrets_in_templates_are_secrets_the_user_must_supply() -> None:
    env = {v.name: v for v in expand_template("umami").services[0].env}
    assert env["APP_SECRET"].secret and env["APP_SECRET"].required and env["APP_SECRET"].default is None


def test_database_credentials_in_templates_are_references_to_the_generated_ones() -> None:
    env = {v.name: v for v in expand_template("wordpress").services[0].env}
    assert env["WORDPRESS_DB_PASSWORD"].default == "{mysql.password}" and not env["WORDPRESS_DB_PASSWORD"].secret
    assert env["WORDPRESS_DB_NAME"].default == "{mysql.database}"


def test_parameters_fill_the_template_and_defaults_use_the_domain() -> None:
    values = resolve_parameters("ghost", {}, "blog.example.com")
    assert {v.name: v.default for v in expand_template("ghost", values).services[0].env}["url"] == \
        "https://blog.example.com"
    values = resolve_parameters("ghost", {"url": "https://example.com/blog"}, "blog.example.com")
    assert {v.name: v.default for v in expand_template("ghost", values).services[0].env}["url"] == \
        "https://example.com/blog"
    site = expand_template("static-site", resolve_parameters("static-site", {"repository": "git://h/s.git", "root": "www"}))
    assert site.services[0].static_root == "www"


def test_a_template_for_your_own_code_pins_the_repository_its_parameters_name() -> None:
    values = resolve_parameters("node-api", {"repository": "https://git.example.com/me/api.git", "ref": "v2"})
    repository = template_repository("node-api", values)
    assert repository is not None and (repository.url, repository.ref) == ("https://git.example.com/me/api.git", "v2")
    assert template_repository("wordpress", resolve_parameters("wordpress", {})) is None


def test_a_missing_or_unknown_parameter_says_which_and_what_to_do() -> None:
    with pytest.raises(TemplateParameterError, match="needs the parameter repository .*spec.source.template.parameters"):
        resolve_parameters("node-api", {})
    with pytest.raises(TemplateParameterError, match="no parameter colour; it takes tablePrefix"):
        resolve_parameters("wordpress", {"colour": "blue"})


def test_an_unknown_template_names_the_ones_that_exist() -> None:
    with pytest.raises(UnknownTemplate, match="wordpress"):
        expand_template("joomla")
