from datetime import UTC, datetime, timedelta

import pytest

from hydron.provisioning import progress

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = T0 + timedelta(seconds=5)


def test_plan_lists_every_step_pending_and_keeps_last_changed():
    first = progress.plan(["facts", "docker"])
    assert [(s.name, s.state) for s in first] == [("facts", "Pending"), ("docker", "Pending")]
    done = progress.finish(progress.start(first, "docker", T0), "docker", "Succeeded", T1, changed=True, message="ok")
    again = progress.plan(["facts", "docker"], done)
    assert again[1].state == "Pending" and again[1].changed is True


def test_pending_running_succeeded_with_times():
    steps = progress.plan(["docker"])
    steps = progress.start(steps, "docker", T0)
    assert steps[0].state == "Running" and steps[0].started_at == T0 and steps[0].finished_at is None
    steps = progress.finish(steps, "docker", "Succeeded", T1, changed=True, message="Installed docker.io.")
    assert (steps[0].state, steps[0].started_at, steps[0].finished_at, steps[0].changed) == ("Succeeded", T0, T1, True)


def test_finished_steps_cannot_start_again_in_the_same_run():
    steps = progress.finish(progress.start(progress.plan(["a"]), "a", T0), "a", "Failed", T1, changed=False, message="x")
    with pytest.raises(ValueError, match="already finished"):
        progress.start(steps, "a", T1)


def test_only_final_states_finish_a_step():
    with pytest.raises(ValueError):
        progress.finish(progress.plan(["a"]), "a", "Running", T0, changed=False, message="")


def test_unknown_step_is_an_error():
    with pytest.raises(KeyError):
        progress.start(progress.plan(["a"]), "b", T0)


def test_steps_after_a_failure_say_what_blocks_them():
    steps = progress.plan(["a", "b", "c"])
    steps = progress.finish(progress.start(steps, "a", T0), "a", "Failed", T1, changed=False, message="boom")
    steps = progress.block_rest(steps, "step a failed")
    assert [s.message for s in steps[1:]] == ["Blocked: step a failed."] * 2
    assert not progress.all_succeeded(steps)


def test_skipped_counts_as_done():
    steps = progress.finish(progress.plan(["a"]), "a", "Skipped", T0, changed=False, message="n/a")
    assert progress.all_succeeded(steps)
