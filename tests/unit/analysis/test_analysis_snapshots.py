"""Each fixture app's full analysis, compared with a reviewed snapshot (the Railpack/Nixpacks way).

Regenerate after an intended change with UPDATE_SNAPSHOTS=1, then read the diff: a
snapshot is a claim that the analysis is right, not only that it is stable.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from hydron.analysis import analyze, as_document

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "apps"
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
APPS = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())


def render(app: str) -> str:
    document = as_document(analyze(FIXTURES / app))
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=120)


@pytest.mark.parametrize("app", APPS)
def test_analysis_matches_snapshot(app: str) -> None:
    snapshot = SNAPSHOTS / f"{app}.yaml"
    actual = render(app)
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        snapshot.write_text(actual)
    assert snapshot.exists(), f"no snapshot for {app}; run with UPDATE_SNAPSHOTS=1 and review it"
    assert actual == snapshot.read_text(), f"{app} changed; if intended, UPDATE_SNAPSHOTS=1 and review the diff"


def test_every_snapshot_has_its_fixture() -> None:
    orphans = sorted(p.stem for p in SNAPSHOTS.glob("*.yaml") if p.stem not in APPS)
    assert orphans == []


def test_corpus_covers_at_least_thirty_apps() -> None:
    assert len(APPS) >= 30
