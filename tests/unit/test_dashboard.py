"""The chart's Grafana dashboard graphs every metric the operator exports, so a new
metric cannot be added without a panel people will actually see."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client import Counter, Gauge, Histogram

from hydron import metrics

DASHBOARD = Path(__file__).resolve().parents[2] / "charts" / "hydron" / "dashboards" / "hydron.json"


def exported_names() -> set[str]:
    names = set()
    for value in vars(metrics).values():
        if isinstance(value, (Counter, Gauge, Histogram)):
            kind = "_total" if isinstance(value, Counter) else ("_bucket" if isinstance(value, Histogram) else "")
            names.add(value._name + kind)
    return names


def test_every_exported_metric_has_a_panel():
    exprs = " ".join(t["expr"] for p in json.loads(DASHBOARD.read_text())["panels"] for t in p["targets"])
    graphed = set(re.findall(r"hydron_[a-z_]+", exprs))
    names = exported_names()
    assert len(names) >= 12
    assert sorted(names - graphed) == []
