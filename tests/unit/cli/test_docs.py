"""Generated docs: up to date in crds/docs, complete, and covering every reason in the code."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from hydron import docs

# Rendering every page of the reference takes seconds; a hang still fails well before CI's.
pytestmark = pytest.mark.timeout(120)

REPO = Path(__file__).resolve().parents[3]
DOCS = REPO / "crds" / "docs"
PACKAGE = REPO / "operator" / "hydron"
STATUSES = {"True", "False", "Unknown"}
CAMEL = re.compile(r"^[A-Z][A-Za-z]+$")


@pytest.mark.parametrize("name", list(docs.pages()))
def test_crds_docs_are_up_to_date(name):
    path = DOCS / name
    assert path.is_file(), f"{path} is missing: run `hydron docs`"
    assert path.read_text() == docs.pages()[name], f"{path} is stale: run `hydron docs`"


def test_reference_page_lists_every_field_with_type_default_and_rules():
    page = docs.pages()["server.md"]
    assert "| `spec.port` | integer | `22` | SSH port. | ≥ 1; ≤ 65535 |" in page
    assert "| `spec.address` | string |  |" in page and "is immutable (`self == oldSelf`)" in page
    assert "`spec.management` | string | `Full`" in page and "one of `Full`, `ObserveOnly`" in page
    assert "| `status.steps[].state` | string |" in page


def test_every_field_of_the_crds_appears_in_its_page():
    from hydron.api import RESOURCES
    from hydron.api.crdgen import all_crds

    for resource in RESOURCES:
        schema = all_crds()[f"hydron.dev_{resource.plural}.yaml"]["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
        page = docs.pages()[f"{resource.kind.lower()}.md"]
        for part in ("spec", "status"):
            for field in docs.walk(schema["properties"][part], part):
                assert f"| `{field.path}` |" in page or field.path == part, (resource.kind, field.path)


def test_every_reason_collected_from_the_code_is_documented():
    assert docs.missing_docs() == []


def _literal_reasons(tree: ast.AST) -> set[str]:
    """CamelCase literals used as a reason: right after a condition status in a call or
    tuple, the first argument of *Error(...), or a class attribute REASON/reason."""
    found: set[str] = set()
    for node in ast.walk(tree):
        items = node.args if isinstance(node, ast.Call) else node.elts if isinstance(node, ast.Tuple) else []
        values = [i.value if isinstance(i, ast.Constant) else None for i in items]
        for a, b in zip(values, values[1:]):
            if a in STATUSES and isinstance(b, str) and CAMEL.match(b) and b not in STATUSES:
                found.add(b)
        if isinstance(node, ast.Call) and getattr(node.func, "id", "").endswith("Error") and values[:1] \
                and isinstance(values[0], str) and CAMEL.match(values[0]):
            found.add(values[0])
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            if any(getattr(t, "id", "") in ("REASON", "reason") for t in node.targets):
                found.add(node.value.value)
    return found


def test_no_reason_literal_in_the_code_is_missing_from_troubleshooting():
    scanned: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        if {"cli", "llm"} & set(path.parts) or path.name == "docs.py":
            continue  # LLM failures become plan findings, not condition reasons
        scanned |= _literal_reasons(ast.parse(path.read_text()))
    documented = {r.reason for r in docs.DOCUMENTED}
    assert scanned, "the scanner found nothing: it is broken"
    assert sorted(scanned - documented) == [], "add a row to hydron.docs.DOCUMENTED, then run `hydron docs`"


def test_troubleshooting_rows_say_what_to_do():
    page = docs.pages()["troubleshooting.md"]
    assert "| `StaleApproval` | InfraPlan Approved |" in page
    assert all(r.action for r in docs.reasons())
    assert "| the disk is full | `DiskFull` |" in page


def test_hydron_docs_check_reports_stale(tmp_path, capsys):
    from hydron.cli.main import main

    assert main(["docs", "--output", str(tmp_path)]) == 0
    assert main(["docs", "--output", str(tmp_path), "--check"]) == 0
    (tmp_path / "server.md").write_text("old")
    assert main(["docs", "--output", str(tmp_path), "--check"]) == 1
    assert "server.md" in capsys.readouterr().err
