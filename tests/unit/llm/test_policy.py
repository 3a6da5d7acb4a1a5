"""Policy over LLM patches, without any network: where each field's value may come from, and
that what policy declines is reported while the rest is applied."""

from __future__ import annotations

from hydron.analysis.models import Command, Evidence
from hydron.api.infraplan import ChangeRequest
from hydron.llm.assist import decide
from hydron.llm.patch import PlanPatch, tool_definition
from hydron.llm.policy import review
from hydron.planning import PlanInputs, plan
from tests.unit.planning.factories import analysis, app_spec, backing, env, service

EV = [Evidence(file="package.json", detail="scripts.start: node server.js")]
API = service("api", start=None, depends=[("postgres", "backing")], env_vars=[env("SESSION_SECRET", secret=True)])
API = API.model_copy(update={"files": ["server.js", "worker.js", "bin/www"], "start_candidates": [
    Command(value="npm run start", evidence=EV, confidence="high"),
    Command(value="node server.js", evidence=EV, confidence="high")]})
WORKER = service("worker", role="worker", port=None, health=None, start="node worker.js").model_copy(
    update={"files": ["server.js", "worker.js"]})
ANALYSIS = analysis(API, WORKER, databases=[backing("postgres", used_by=["api"])])
APP = app_spec(domains=["shop.example.com"])
INPUTS = PlanInputs("shop", APP, ANALYSIS)
DRAFT = plan(INPUTS)


def decided(patch: dict, *requests: str, inputs: PlanInputs = INPUTS):
    asked = [ChangeRequest(message=r) for r in requests]
    draft = plan(inputs) if inputs is not INPUTS else DRAFT
    return decide({"summary": "s", **patch}, draft, inputs, asked)


def declined(patch: dict, *requests: str) -> list[str]:
    asked = [ChangeRequest(message=r) for r in requests]
    return [d.message for d in review(PlanPatch.model_validate({"summary": "s", **patch}), DRAFT, INPUTS,
                                      asked).declined]


def services(result):
    return {s.name: s for s in result.draft.spec.services}


def test_an_open_start_command_is_filled_with_a_candidate_the_analysis_found():
    result = decided({"services": [{"name": "api", "start_candidate": 2}]})
    assert services(result)["api"].start_command == "node server.js"
    assert 'CMD ["node", "server.js"]' in services(result)["api"].dockerfile
    assert result.findings == []


def test_a_written_start_command_must_run_repository_files_only():
    assert services(decided({"services": [{"name": "api", "start_command": "node bin/www"}]}))["api"].start_command \
        == "node bin/www"
    result = decided({"services": [{"name": "api", "start_command": "node -e 'require(1)'"}]})
    assert services(result)["api"].start_command == DRAFT.spec.services[0].start_command
    (finding,) = result.findings
    assert finding.field == "services[api].startCommand" and "start candidates" in finding.message


def test_a_candidate_that_does_not_exist_is_declined():
    assert any("has 2 start candidates" in m for m in declined({"services": [{"name": "api", "start_candidate": 5}]}))


def test_changing_a_known_start_command_needs_a_request_naming_the_service():
    patch = {"services": [{"name": "worker", "start_command": "node worker.js --queues all"}]}
    assert declined(patch)
    assert declined(patch, "Make the worker process all queues") == []


def test_a_firewall_opening_uses_exactly_the_range_the_request_names():
    patch = {"firewall_openings": [{"port": 5432, "source": "0.0.0.0/0", "reason": "reports"}]}
    result = decided(patch, "Open 5432 to our office 203.0.113.0/24 so we can run reports.")
    assert [(r.port, r.source) for r in result.draft.spec.firewall] == [(5432, "203.0.113.0/24")]
    assert "203.0.113.0/24, which is used instead" in result.findings[0].message


def test_firewall_openings_need_a_port_and_a_source_written_by_a_person():
    patch = {"firewall_openings": [{"port": 5432, "source": "203.0.113.7/32", "reason": "backups"}]}
    assert declined(patch, "Let our backup host reach the database")
    assert declined(patch, "Open 5432 for our backup host 203.0.113.7") == []
    assert declined(patch, "We have 5432 customers"), "a number is not a port"
    assert declined(patch, "Open port 15432 to 203.0.113.7"), "a number inside another number is not a mention"
    (why,) = declined(patch, "Open port 5432 please")
    assert "does not say to whom" in why


def test_services_cannot_be_added_or_databases_exposed():
    assert any("cannot be added" in v for v in declined({"services": [{"name": "admin", "port": 9000}]},
                                                        "add an admin"))
    assert declined({"services": [{"name": "postgres", "public": True}]}, "expose postgres")


def test_exposing_a_service_or_routing_a_domain_needs_a_person():
    assert declined({"services": [{"name": "worker", "public": True}]})
    assert declined({"services": [{"name": "api", "domains": ["evil.example.net"]}]}, "add a domain for api")
    assert declined({"services": [{"name": "api", "domains": ["api.shop.example.com"]}]},
                    "route api.shop.example.com to the api") == []


def test_ports_must_be_justified_by_the_analysis_or_written_as_a_port():
    assert declined({"services": [{"name": "api", "port": 8081}]}, "fix the api")
    assert declined({"services": [{"name": "api", "port": 8081}]}, "the api has 8081 users")
    assert declined({"services": [{"name": "api", "port": 8081}]}, "the api listens on 8081") == []


def test_the_server_changes_only_when_a_request_is_about_it_and_only_to_a_catalog_offer_that_fits():
    assert declined({"server_offer": "CX33"})
    assert declined({"server_offer": "CX33"}, "describe the variables better")
    assert declined({"server_offer": "CX33"}, "bigger server please") == []
    assert declined({"server_offer": "MEGA-9000"}, "bigger server please")
    assert declined({"server_offer": "DEV1-S"}, "cheaper server please"), "2 GB does not fit the plan"


def test_resources_are_for_named_services_and_stay_within_the_server():
    result = decided({"services": [{"name": "api", "memory_mib": 262144, "cpus": 64}]}, "give the api more memory")
    server = result.draft.spec.server
    resources = services(result)["api"].resources
    assert resources.cpus <= server.cpus and resources.memory_mi_b < server.memory_mi_b
    assert "capped at" in result.findings[0].message
    assert declined({"services": [{"name": "api", "memory_mib": 1024}]})
    assert declined({"services": [{"name": "api", "memory_mib": 1024}]}, "give the api 1 GB") == []


def test_env_descriptions_only_for_variables_the_service_reads():
    result = decided({"services": [{"name": "api", "env_descriptions": [
        {"name": "SESSION_SECRET", "description": "Signs session cookies."},
        {"name": "LD_PRELOAD", "description": "Set to /tmp/x.so"}]}]})
    definitions = {d.name: d for d in services(result)["api"].env_definitions}
    assert definitions["SESSION_SECRET"].description == "Signs session cookies."
    assert "LD_PRELOAD" not in definitions and "LD_PRELOAD" not in {e.name for e in services(result)["api"].env}
    assert [f.field for f in result.findings] == ["services[api].envDefinitions"]


def test_what_passes_is_applied_and_what_does_not_is_reported():
    result = decided({"services": [{"name": "api", "start_candidate": 1}],
                      "firewall_openings": [{"port": 22, "source": "0.0.0.0/0", "reason": "readme"}]})
    assert services(result)["api"].start_command == "npm run start"
    assert result.draft.spec.firewall == []
    assert [f.field for f in result.findings] == ["firewall"]
    assert result.reply.not_applied == [result.findings[0].message]


def test_the_tool_schema_is_closed():
    schema = tool_definition()["input_schema"]
    assert schema["additionalProperties"] is False
    fields = set(schema["properties"]) | {f for d in schema["$defs"].values() for f in d.get("properties", {})}
    assert not fields & {"privileged", "tls", "firewall_default", "capabilities", "volumes", "image", "env"}
