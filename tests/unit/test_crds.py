"""The CRDs in crds/ are generated from the models and must stay in step with them."""

from pathlib import Path

import pytest
import yaml

from hydron.api.crdgen import all_crds, render

REPO = Path(__file__).resolve().parents[2]
CRDS = REPO / "crds"


@pytest.mark.parametrize("directory", [CRDS, REPO / "charts" / "hydron" / "crds"], ids=["crds", "chart"])
@pytest.mark.parametrize("name", list(all_crds()))
def test_crds_directories_are_up_to_date(directory, name):
    path = directory / name
    assert path.is_file(), f"{path} is missing: run `hydron crds`"
    assert path.read_text() == render(all_crds()[name]), f"{path} is stale: run `hydron crds`"


def _walk(schema, where):
    yield where, schema
    for prop, sub in schema.get("properties", {}).items():
        yield from _walk(sub, f"{where}.{prop}")
    if isinstance(schema.get("items"), dict):
        yield from _walk(schema["items"], f"{where}[]")


@pytest.mark.parametrize("name", list(all_crds()))
def test_every_spec_and_status_field_has_a_description_and_is_structural(name):
    root = yaml.safe_load((CRDS / name).read_text())["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    for part in ("spec", "status"):
        for where, node in _walk(root["properties"][part], part):
            assert "$ref" not in node and "anyOf" not in node and "allOf" not in node, where
            assert "type" in node, f"{name}: {where} has no type"
            if not where.endswith("[]"):
                assert node.get("description"), f"{name}: {where} has no description"


@pytest.mark.parametrize("name", list(all_crds()))
def test_crd_envelope(name):
    crd = all_crds()[name]
    version = crd["spec"]["versions"][0]
    assert crd["spec"]["names"]["categories"] == ["hydron"]
    assert version["subresources"] == {"status": {}}
    columns = [c["name"] for c in version["additionalPrinterColumns"]]
    assert columns[-1] == "Age" and "Ready" in columns and "Reason" in columns


def test_status_declares_no_free_form_fields():
    """kopf state lives in annotations, so status never needs preserve-unknown-fields."""
    for name in all_crds():
        assert "x-kubernetes-preserve-unknown-fields" not in (CRDS / name).read_text()
