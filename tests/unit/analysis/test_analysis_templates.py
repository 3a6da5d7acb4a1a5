"""The template gallery expands into the same Analysis model an analysed repository produces."""

from __future__ import annotations

import pytest

from hydron.templates import UnknownTemplate, expand_template, list_templates

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
        assert service.image or service.start_command, f"{service.name} can neither be pulled nor started"
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


def test_passwords_in_templates_are_secrets_the_user_must_supply() -> None:
    env = {v.name: v for v in expand_template("wordpress").services[0].env}
    assert env["WORDPRESS_DB_PASSWORD"].secret and env["WORDPRESS_DB_PASSWORD"].required
    assert env["WORDPRESS_DB_NAME"].default == "wordpress" and not env["WORDPRESS_DB_NAME"].required


def test_an_unknown_template_names_the_ones_that_exist() -> None:
    with pytest.raises(UnknownTemplate, match="wordpress"):
        expand_template("joomla")
