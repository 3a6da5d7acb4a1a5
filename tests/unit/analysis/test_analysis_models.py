"""The models are embedded in a CRD status schema: closed shapes, described fields, camelCase JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from hydron.analysis import Analysis, as_document
from hydron.analysis.models import Evidence, Port, Service, ServiceRole
from hydron.templates import expand_template


def schema() -> dict[str, Any]:
    return Analysis.model_json_schema(by_alias=True)


def all_models(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {"Analysis": document, **document.get("$defs", {})}


def test_every_field_has_a_description_for_kubectl_explain() -> None:
    missing = [
        f"{model}.{name}"
        for model, definition in all_models(schema()).items()
        for name, prop in definition.get("properties", {}).items()
        if not prop.get("description")
    ]
    assert missing == []


def test_field_names_are_camel_case() -> None:
    names = [name for d in all_models(schema()).values() for name in d.get("properties", {})]
    assert names and all("_" not in name for name in names)
    assert "filesScanned" in schema()["properties"]


def test_no_free_form_objects_anywhere() -> None:
    """A structural schema cannot hold dict[str, Any]: every object lists its properties and forbids others."""
    def objects(node: Any):
        if isinstance(node, dict):
            if node.get("type") == "object":
                yield node
            for value in node.values():
                yield from objects(value)
        elif isinstance(node, list):
            for value in node:
                yield from objects(value)

    found = list(objects(schema()))
    assert found
    for node in found:
        assert node.get("properties"), node
        assert node.get("additionalProperties") is False, node


def test_models_do_not_refer_to_themselves() -> None:
    """CRD schemas are inlined, so a cycle in the references would never end."""
    definitions = all_models(schema())

    def references(node: Any) -> set[str]:
        if isinstance(node, dict):
            found = {node["$ref"].rsplit("/", 1)[-1]} if "$ref" in node else set()
            return found.union(*(references(v) for v in node.values()))
        if isinstance(node, list):
            return set().union(*(references(v) for v in node))
        return set()

    def reaches_itself(start: str) -> bool:
        pending, seen = list(references(definitions[start])), set()
        while pending:
            name = pending.pop()
            if name == start:
                return True
            if name not in seen:
                seen.add(name)
                pending += references(definitions[name])
        return False

    assert [name for name in definitions if reaches_itself(name)] == []


def test_documents_are_camel_case_and_round_trip() -> None:
    analysis = expand_template("node-api")
    document = as_document(analysis)

    assert "healthCheck" in document["services"][0] and "dependsOn" in document["services"][0]
    assert Analysis.model_validate(json.loads(json.dumps(document))) == analysis


def test_a_port_outside_the_tcp_range_is_rejected() -> None:
    with pytest.raises(ValidationError):
        Port(value=70000, evidence=[Evidence(file="Dockerfile", line=3, detail="EXPOSE")], confidence="high")


def test_unknown_fields_are_rejected_so_typos_in_status_surface() -> None:
    role = ServiceRole(value="web", evidence=[], confidence="high")
    with pytest.raises(ValidationError, match="prot"):
        Service.model_validate({"name": "a", "path": ".", "role": role, "prot": 80})
