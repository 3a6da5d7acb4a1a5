"""Release history as pure decisions: what to run, a known-bad release, the history
after a rollout, and when an app is moving servers."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from hydron.api.deployment import Deployment, Release, ReleaseImage
from hydron.deploy import releases
from hydron.deploy.plan import plan_rollout

AT = datetime(2026, 12, 2, tzinfo=timezone.utc)


def deployment(rollback_to: int | None = None) -> Deployment:
    return Deployment.model_validate({"spec": {
        "serverRef": {"name": "srv"}, "sourceRevision": "c2c2", "rollbackTo": rollback_to,
        "services": [{"name": "web", "build": {"context": ".", "dockerfile": "Dockerfile"}, "port": 3000}],
    }})


def plans(image: str):
    return plan_rollout("shop", deployment().spec.services, {"web": image}, {})


def release(number: int, state: str, digest: str = "d", images=(("web", "img:1"),)) -> Release:
    return Release(number=number, state=state, digest=digest, source_revision=f"c{number}c{number}",
                   images=[ReleaseImage(name=n, image=i) for n, i in images])


def test_the_spec_is_the_target_unless_a_kept_release_is_pinned():
    assert releases.target(deployment(), []).revision == "c2c2"
    kept = releases.target(deployment(rollback_to=1), [release(1, "Superseded"), release(2, "Active")])
    assert kept.revision == "c1c1" and kept.images == {"web": "img:1"}
    assert all(s.build is None for s in kept.services)  # a rollback never rebuilds


def test_a_rollback_to_a_release_no_longer_kept_says_which_are():
    with pytest.raises(releases.ReleaseNotKept, match=r"not kept \(kept: \[2\]\)"):
        releases.target(deployment(rollback_to=1), [release(1, "Failed", images=()), release(2, "Active")])


def test_the_same_configuration_has_the_same_digest():
    assert releases.digest(plans("img:1")) == releases.digest(plans("img:1")) != releases.digest(plans("img:2"))


def test_a_release_that_failed_is_not_tried_again_until_something_newer_succeeds_with_it():
    digest = releases.digest(plans("img:2"))
    failed = release(3, "Failed", digest)
    assert releases.known_failure([release(2, "Active"), failed], digest) == failed
    assert releases.known_failure([failed, release(4, "Active", digest)], digest) is None
    assert releases.known_failure([release(2, "Active")], digest) is None


def test_a_healthy_rollout_supersedes_the_active_release_once():
    history = [release(1, "Active", "old")]
    wanted = plans("img:2")
    after, new = releases.supersede(history, wanted, deployment().spec.services, {"web": "img:2"}, "c2", None, AT)
    assert [(r.number, r.state) for r in after] == [(1, "Superseded"), (2, "Active")]
    assert new is not None and new.images[0].image == "img:2" and new.services[0].build is None
    again, none = releases.supersede(after, wanted, deployment().spec.services, {"web": "img:2"}, "c2", None, AT)
    assert none is None and again == after


def test_the_history_keeps_the_newest_releases_only():
    history: list[Release] = []
    for n in range(releases.KEEP_RELEASES + 3):
        history = releases.failed(history, plans(f"img:{n}"), f"c{n}", "HealthCheckFailed", "x" * 2000, None, AT)
    assert len(history) == releases.KEEP_RELEASES
    assert history[-1].number == releases.KEEP_RELEASES + 3 and len(history[-1].message) == 1000


def test_an_app_moves_only_when_it_ran_on_another_server():
    assert releases.moving_from("srv-a", "srv-b") == "srv-a"
    assert releases.moving_from("srv-b", "srv-b") is None
    assert releases.moving_from(None, "srv-b") is None
