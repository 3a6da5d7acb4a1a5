"""`hydron analyze PATH -o table|json|yaml`, as the lead wires it into the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from hydron.cli.analyze import analyze_command

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "apps"


def test_json_output_is_the_camel_case_document(capsys) -> None:
    assert analyze_command(str(FIXTURES / "compose-fullstack"), "json") == 0
    document = json.loads(capsys.readouterr().out)
    assert {s["name"] for s in document["services"]} == {"api", "frontend", "worker", "migrate"}
    assert [(s["name"], s["reason"]) for s in document["skippedServices"]] == [("mailhog", "tool-image")]
    assert next(s for s in document["services"] if s["name"] == "api")["healthCheck"]["path"] == "/api/health"


def test_yaml_output_parses_to_the_same_document(capsys) -> None:
    analyze_command(str(FIXTURES / "go-echo"), "json")
    as_json = json.loads(capsys.readouterr().out)
    assert analyze_command(str(FIXTURES / "go-echo"), "yaml") == 0
    assert yaml.safe_load(capsys.readouterr().out) == as_json


def test_table_lists_services_databases_and_secrets(capsys) -> None:
    assert analyze_command(str(FIXTURES / "compose-fullstack"), "table") == 0
    lines = capsys.readouterr().out.splitlines()
    api = next(line for line in lines if line.startswith("api "))
    assert api.split() == ["api", "api", "web", "node", "20", "Express", "4000", "/api/health", "cache,", "db"]
    assert any(line.split()[:3] == ["db", "postgres", "16"] for line in lines)
    assert any(line.split()[:3] == ["api", "JWT_SECRET", "yes"] for line in lines)
    assert "Monorepo: compose" in lines


def test_table_says_when_nothing_is_deployable(capsys) -> None:
    assert analyze_command(str(FIXTURES / "nothing-deployable"), "table") == 0
    out = capsys.readouterr().out
    assert "No deployable service found." in out and "Warning: Nothing deployable found" in out


def test_bad_output_format_and_missing_path_exit_2(capsys, tmp_path: Path) -> None:
    assert analyze_command(str(FIXTURES / "go-echo"), "xml") == 2
    assert analyze_command(str(tmp_path / "missing"), "json") == 2
    err = capsys.readouterr().err
    assert "table, json, yaml" in err and "is not a directory" in err


def test_table_shows_each_fact_with_its_confidence_and_evidence(capsys) -> None:
    assert analyze_command(str(FIXTURES / "compose-fullstack"), "table") == 0
    lines = capsys.readouterr().out.splitlines()
    start = lines.index("api (api): evidence")
    port = next(line for line in lines[start:] if line.startswith("port "))
    assert port.split()[:4] == ["port", "4000", "high", "docker-compose.yml:18"]
    assert any(line.split()[:3] == ["mailhog", ".", "tool-image"] for line in lines)


def test_the_root_service_is_named_for_the_repository_not_a_scratch_folder(tmp_path, capsys) -> None:
    checkout = tmp_path / "tmpk3j2h1"
    checkout.mkdir()
    (checkout / "index.html").write_text("<h1>hi</h1>")
    analyze_command(str(checkout), "json")
    assert [s["name"] for s in json.loads(capsys.readouterr().out)["services"]] == ["app"]
    analyze_command(str(checkout), "json", name="landing-page")
    assert [s["name"] for s in json.loads(capsys.readouterr().out)["services"]] == ["landing-page"]
