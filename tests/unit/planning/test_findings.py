"""Best-practice findings a reviewer sees in status."""

from __future__ import annotations

from hydron.planning import PlanInputs, plan
from tests.unit.planning.factories import analysis, app_spec, env, service


def findings_for(*services):
    return plan(PlanInputs("shop", app_spec(domains=["shop.example.com"]), analysis(*services))).findings


def fields(findings, severity=None):
    return {f.field for f in findings if severity is None or f.severity == severity}


def test_no_health_check_is_a_warning():
    assert "services[api].healthCheck" in fields(findings_for(service(health=None)), "Warning")


def test_a_development_server_is_a_warning():
    found = findings_for(service(start="npm run dev"))
    assert any(f.field == "services[api].startCommand" and "development server" in f.message for f in found)
    assert "services[api].startCommand" not in fields(findings_for(service(start="node server.js")))


def test_a_missing_lockfile_is_a_warning():
    assert "services[api].packageManager" in fields(findings_for(service(lockfile=None)), "Warning")


def test_a_secret_looking_variable_with_a_default_is_a_warning():
    found = findings_for(service(env_vars=[env("ADMIN_PASSWORD", secret=True, required=False)]))
    assert "services[api].env[ADMIN_PASSWORD]" in fields(found, "Warning")


def test_no_start_command_is_an_error_for_a_generated_image():
    assert "services[api].startCommand" in fields(findings_for(service(start=None)), "Error")


def test_a_clean_service_has_no_warnings():
    assert fields(findings_for(service()), "Warning") == set()


def test_a_public_service_without_a_domain_is_a_warning():
    found = plan(PlanInputs("shop", app_spec(), analysis(service()))).findings
    assert any(f.field == "routes" and "spec.domains" in f.message for f in found)

