"""Every example parses into the models, so the docs never show a manifest that fails."""

from pathlib import Path

import pytest
import yaml

from hydron.api import RESOURCES
from hydron.controllers.common import parse

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.yaml"))
MODELS = {model.kind: model for model in RESOURCES}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_is_a_valid_resource(path):
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
    hydron_docs = [d for d in docs if d["apiVersion"].startswith("hydron.dev/")]
    assert hydron_docs, f"{path.name} has no Hydron resource"
    for doc in hydron_docs:
        parse(MODELS[doc["kind"]], doc)
