from datetime import UTC, datetime, timedelta

from hydron.api.conditions import READY, STALLED, find, mark_stalled, set_condition, summarize_ready

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = T0 + timedelta(minutes=5)


def test_transition_time_moves_only_when_status_changes():
    conds = set_condition([], "Reachable", "False", "Unreachable", "no route", 1, at=T0)
    same = set_condition(conds, "Reachable", "False", "ConnectionRefused", "refused", 2, at=T1)
    assert find(same, "Reachable").last_transition_time == T0
    assert find(same, "Reachable").reason == "ConnectionRefused"
    assert find(same, "Reachable").observed_generation == 2

    flipped = set_condition(same, "Reachable", "True", "Connected", "", 2, at=T1)
    assert find(flipped, "Reachable").last_transition_time == T1


def test_set_condition_keeps_other_conditions_in_order():
    conds = set_condition([], "A", "True", "Ok", "", 1, at=T0)
    conds = set_condition(conds, "B", "True", "Ok", "", 1, at=T0)
    conds = set_condition(conds, "A", "False", "Broken", "", 1, at=T1)
    assert [c.type for c in conds] == ["A", "B"]


def test_ready_follows_the_first_false_condition():
    conds = set_condition([], "SourceReady", "True", "Fetched", "", 1, at=T0)
    conds = set_condition(conds, "Analyzed", "False", "NothingDeployableFound", "no app found", 1, at=T0)
    conds = set_condition(conds, "Planned", "Unknown", "Pending", "", 1, at=T0)
    ready = find(summarize_ready(conds, ["SourceReady", "Analyzed", "Planned"], 1, at=T0), READY)
    assert (ready.status, ready.reason, ready.message) == ("False", "NothingDeployableFound", "no app found")


def test_ready_is_unknown_while_a_condition_is_missing_or_unknown():
    conds = set_condition([], "SourceReady", "True", "Fetched", "", 1, at=T0)
    ready = find(summarize_ready(conds, ["SourceReady", "Analyzed"], 1, at=T0), READY)
    assert (ready.status, ready.reason) == ("Unknown", "AwaitingAnalyzed")


def test_ready_is_true_only_when_every_condition_is_true():
    conds = set_condition([], "Reachable", "True", "Connected", "", 3, at=T0)
    conds = set_condition(conds, "Provisioned", "True", "AllStepsSucceeded", "", 3, at=T0)
    ready = find(summarize_ready(conds, ["Reachable", "Provisioned"], 3, at=T0), READY)
    assert (ready.status, ready.reason, ready.observed_generation) == ("True", "Ready", 3)


def test_stalled_marks_ready_false_and_a_new_summary_clears_it():
    conds = mark_stalled([], "InvalidSpec", "spec.port: bad", 1, at=T0)
    assert find(conds, STALLED).status == "True" and find(conds, READY).status == "False"
    conds = set_condition(conds, "Reachable", "Unknown", "Pending", "", 2, at=T1)
    conds = summarize_ready(conds, ["Reachable"], 2, at=T1)
    assert find(conds, STALLED) is None
    assert find(conds, READY).status == "Unknown"
