"""The Application controller's pure decisions: where the plan and the Deployment
stand, when to look for a new commit, and the children it asks for."""

from __future__ import annotations

from datetime import timedelta

from hydron.api.application import GitSource, SourceStatus
from hydron.api.conditions import now, set_condition
from hydron.api.deployment import Deployment, DeploymentStatus
from hydron.api.infraplan import InfraPlanStatus
from hydron.controllers import application


def conditions(*items):
    found = []
    for type_, status, reason, message in items:
        found = set_condition(found, type_, status, reason, message, 1)
    return found


def test_planned_says_how_to_approve_a_waiting_revision():
    waiting = InfraPlanStatus(revision=3, conditions=conditions(("Approved", "False", "AwaitingApproval", "")))
    status, reason, message = application.planned_condition("shop", waiting)
    assert (status, reason) == ("Unknown", "AwaitingApproval")
    assert '"revision":3' in message and "autoApprove" in message


def test_planned_follows_the_plan():
    ready = InfraPlanStatus(conditions=conditions(("Ready", "True", "Ready", "Revision 2 is valid and approved.")))
    assert application.planned_condition("shop", ready) == ("True", "Approved", "Revision 2 is valid and approved.")
    invalid = InfraPlanStatus(conditions=conditions(("Valid", "False", "InvalidPlan", "no port")))
    assert application.planned_condition("shop", invalid)[:2] == ("False", "InvalidPlan")
    assert application.planned_condition("shop", None)[1] == "Planning"


def test_deployed_carries_the_url_once_ready():
    status = DeploymentStatus(urls=["https://shop.example/"], conditions=conditions(("Ready", "True", "Ready", "ok")))
    live = Deployment.model_validate({"spec": {"serverRef": {"name": "s"}, "services": [{"name": "web", "image": "x"}]}}).model_copy(
        update={"status": status})
    assert application.deployed_condition("shop", live) == ("True", "Available", "ok", "https://shop.example/")
    assert application.deployed_condition("shop", None)[1] == "Deploying"


def test_a_branch_is_polled_when_due_and_a_commit_never():
    spec = GitSource(url="https://example.test/r.git", ref="main", pollIntervalSeconds=60)
    at = now()
    assert application._poll_due(spec, SourceStatus(fetched_at=at - timedelta(seconds=61)), at)
    assert not application._poll_due(spec, SourceStatus(fetched_at=at - timedelta(seconds=5)), at)
    pinned = spec.model_copy(update={"ref": "a" * 40})
    assert not application._poll_due(pinned, SourceStatus(fetched_at=at - timedelta(days=1)), at)


def test_another_url_ref_or_path_means_fetch_again():
    spec = GitSource(url="https://example.test/r.git", ref="main")
    seen = SourceStatus(url=spec.url, requested_ref="main", path=None, commit="c" * 40)
    assert not application._source_changed(spec, seen)
    assert application._source_changed(spec.model_copy(update={"path": "app"}), seen)
    assert application._source_changed(spec, None)


def test_the_children_are_owned_and_labelled_and_the_plan_is_the_planners():
    plan = application.plan_child("shop", "c1/2")
    assert plan.create_only and plan.inputs == "c1/2" and plan.labels == {application.APPLICATION_LABEL: "shop"}
    deployment = application.deployment_child("shop", {"serverRef": {"name": "s"}})
    assert not deployment.create_only and deployment.keep == ("rollbackTo",)


def test_a_template_app_is_expanded_alike_every_time_and_apart():
    """The gallery is parsed once per process: expansions stay equal and independent."""
    from hydron.templates import expand_template

    first, second = expand_template("umami"), expand_template("umami")
    assert first == second and first is not second
    first.services[0].name = "changed"
    assert expand_template("umami").services[0].name == second.services[0].name


async def test_a_push_fetches_at_once_without_asking_the_host_first(tmp_path, monkeypatch):
    """The webhook's refresh means the branch moved: one fetch, no ls-remote round trip."""
    from hydron.source import FetchedSource

    def no_ls_remote(*_, **__):
        raise AssertionError("ls-remote on the push path")

    async def fetch(spec, credentials, ctx):
        return FetchedSource(commit="b" * 40, ref="refs/heads/main", root=ctx.checkout, checkout_dir=ctx.checkout,
                             bytes=1, files=1)

    async def analysed(status, generation, ctx, checkout=None):
        return status

    monkeypatch.setattr(application, "resolve_ref", no_ls_remote)
    monkeypatch.setattr(application, "_fetch", fetch)
    monkeypatch.setattr(application, "_analysed", analysed)
    deps = application.ApplicationDeps("ns", "shop", tmp_path, None, refresh="2026-01-01T00:00:00+00:00")
    deps.checkout.mkdir(parents=True)
    spec = GitSource(url="https://example.test/r.git", ref="main")
    seen = SourceStatus(url=spec.url, requested_ref="main", commit="a" * 40, fetched_at=now())
    status, retry = await application._git_source(spec, application.ApplicationStatus(source=seen), 1, deps)
    assert retry is None and status.source.commit == "b" * 40
    assert status.source.refresh == deps.refresh  # the request is answered, not acted on twice


def test_the_push_to_handler_delay_is_measured_to_the_millisecond():
    from datetime import UTC, datetime

    from hydron import metrics

    def observed() -> tuple[float, float]:
        sample = {s.name: s.value for m in metrics.STAGE_SECONDS.collect() for s in m.samples
                  if s.labels.get("stage") == "webhook-to-handler"}
        return sample.get("hydron_stage_duration_seconds_count", 0), sample.get("hydron_stage_duration_seconds_sum", 0)

    count, total = observed()
    asked = datetime(2026, 1, 1, 12, 0, 0, 250000, tzinfo=UTC)
    application._observe_refresh_delay(asked.isoformat(), asked.replace(microsecond=330000))
    application._observe_refresh_delay("1767268800", asked)  # set by hand (`date +%s`): nothing to measure
    after_count, after_total = observed()
    assert after_count == count + 1 and round(after_total - total, 3) == 0.08


async def test_an_idle_resync_reads_no_secret_and_a_due_poll_does(tmp_path, monkeypatch):
    """The credentials Secret is read when the Git host is asked, not on every resync:
    a thousand private apps resyncing idle would each GET it every interval."""
    read: list[str] = []

    async def read_secret_data(name):
        read.append(name)
        return {"token": "t"}

    async def analysed(status, generation, ctx, checkout=None):
        return status

    monkeypatch.setattr(application, "resolve_ref", lambda *_, **__: "a" * 40)
    monkeypatch.setattr(application, "_analysed", analysed)
    deps = application.ApplicationDeps("ns", "shop", tmp_path, read_secret_data)
    deps.checkout.mkdir(parents=True)
    spec = GitSource.model_validate({"url": "https://example.test/r.git", "ref": "main",
                                     "credentialsSecretRef": {"name": "git-token"}})
    seen = SourceStatus(url=spec.url, requested_ref="main", commit="a" * 40, fetched_at=now())
    status, retry = await application._git_source(spec, application.ApplicationStatus(source=seen), 1, deps)
    assert retry is None and read == []

    due = seen.model_copy(update={"fetched_at": now() - timedelta(seconds=spec.poll_interval_seconds)})
    status, retry = await application._git_source(spec, application.ApplicationStatus(source=due), 1, deps)
    assert retry is None and read == ["git-token"] and status.source.fetched_at > due.fetched_at
