"""A candidate the analysis skipped (a mail catcher, a docs site) is deployed when one override names it."""

from __future__ import annotations

from hydron.analysis.models import SkippedService
from hydron.planning.planner import PlanInputs, plan

from .factories import EV, analysis, app_spec, service


def with_skipped_mailhog():
    result = analysis(service("api"))
    tool = service("mailhog", language=None, framework=None, pm=None, start=None, port=8025, health=None,
                   image="mailhog/mailhog")
    result.skipped_services = [SkippedService(name="mailhog", path=".", reason="tool-image", detail="a tool",
                                              evidence=EV, suggestion=True, service=tool)]
    return result


def test_a_skipped_candidate_is_not_deployed_by_default() -> None:
    draft = plan(PlanInputs("shop", app_spec(), with_skipped_mailhog()))
    assert [s.name for s in draft.spec.services] == ["api"]


def test_one_override_naming_a_skipped_candidate_deploys_it_without_a_warning() -> None:
    draft = plan(PlanInputs("shop", app_spec(services=[{"name": "mailhog"}]), with_skipped_mailhog()))
    assert sorted(s.name for s in draft.spec.services) == ["api", "mailhog"]
    assert not any("did not find" in f.message for f in draft.findings)


def test_a_disabled_override_keeps_it_skipped() -> None:
    draft = plan(PlanInputs("shop", app_spec(services=[{"name": "mailhog", "disabled": True}]),
                            with_skipped_mailhog()))
    assert [s.name for s in draft.spec.services] == ["api"]


def test_a_sqlite_file_database_is_flagged_for_a_persistent_volume() -> None:
    from .factories import backing

    store = backing("sqlite").model_copy(update={"file_database": True, "file_path": "data/app.db"})
    draft = plan(PlanInputs("shop", app_spec(), analysis(service("api"), databases=[store])))
    assert any("sqlite file (data/app.db)" in f.message and "persistent volume" in f.message for f in draft.findings)
