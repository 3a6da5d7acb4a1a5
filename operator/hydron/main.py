"""The operator's wiring: kopf settings and handlers. The only module that imports kopf.

Handlers are thin and all alike: parse the body into the model, call the kind's
`reconcile(resource, generation, deps)` under the object's lock, write the status of
the Outcome, apply its effects (children, spec patches, Secrets, events), and turn
`Outcome.retry` into kopf's retry with backoff. Handlers return None so kopf stores
nothing of its own in status; its progress and diff-base live in `hydron.dev/`
annotations.

What lives as long as the process (settings, the connection pool, the LLM client,
the webhook's view of tracked repositories, per-object locks) is one `Runtime` in
kopf's memo. Change handlers react at once; the periodic passes (resync, repair, usage)
re-run the same reconcile (level-based: the world drifts without telling us) from one
schedule for all objects (`hydron.resync`), not kopf's timer per object.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from typing import Any

import kopf
from kubernetes.client.exceptions import ApiException

from hydron import metrics, resync, webhook_server
from hydron.api import GROUP, VERSION, Application, Deployment, InfraPlan, Server
from hydron.api.server import ServerStatus
from hydron.build.services import ImageSource
from hydron.controllers import application, deployment, infraplan, server
from hydron.controllers.common import (
    ApplyChild, Effect, EnsureSecret, Event, InvalidSpec, LiveStatus, Outcome, PatchSpec, parse, status_from,
    status_model, with_invalid_spec,
)
from hydron.kube.resources import (
    annotate, apply_spec, child_manifest, ensure_object, get_object, merge_patch, owner_reference, patch_status,
    up_to_date, upsert_secret, watched_copy,
)
from hydron.dns.records import DnsError
from hydron.kube.dnsendpoints import DnsEndpoints
from hydron.kube.configmaps import read_config_map_key
from hydron.kube.live import write_live_status
from hydron.kube.secrets import read_secret_data, read_secret_key, read_secret_version
from hydron.llm.assist import Assistant
from hydron.locks import ObjectLocks
from hydron.providers import connect as connect_provider
from hydron.remote.images import LocalEngine, RegistryPull
from hydron.provisioning.settings import ProvisioningSettings
from hydron.remote.pool import ConnectionPool
from hydron.settings import OperatorSettings
from hydron.source import FetchLimits
from hydron.source.artifacts import artifact_path, artifacts_dir
from hydron.webhook import REFRESH_ANNOTATION
from hydron.webhook_server import Tracked

FINALIZER = "hydron.dev/finalizer"
ANNOTATION_PREFIX = "hydron.dev"
INPUTS_ANNOTATION = "inputs.hydron.dev/application"
"""Set by an Application on its InfraPlan; a new value makes the plan look again. Not
under `hydron.dev/`: kopf leaves its storage prefix out of the diff, so a change there
would run no handler."""

PLANNING_PASSES = 16
"""Application and InfraPlan passes (fetch, analysis, planning: mostly CPU) running at
once. A thousand created together all ran at once before: no sooner done on two
cores, but each pass's working memory was alive at the same time, and the process
kept that peak as its resident size for good."""

IO_THREADS = 64
"""Threads for blocking I/O (the Kubernetes client, image exports, git). asyncio's
default is cores + 4: six here, so seven servers' base-image transfers would queue
behind each other and every API call behind them."""

SETTINGS = OperatorSettings()
"""Read once at import: the periodic passes' intervals are fixed when the operator starts."""


@dataclass
class Runtime:
    """Everything that lives as long as the operator process."""

    settings: OperatorSettings
    pool: ConnectionPool = field(default_factory=ConnectionPool)
    provisioning: ProvisioningSettings = field(default_factory=ProvisioningSettings)
    assistant: Assistant | None = None
    tracked: dict[tuple[str, str], Tracked] = field(default_factory=dict)
    """Which Applications follow which repository and branch, for the push webhook."""
    locks: ObjectLocks = field(default_factory=ObjectLocks)
    """One per object while a pass holds or waits for it (none for an idle object)."""
    webhook: dict[str, Any] = field(default_factory=dict)
    """port and address of the push webhook, when `hydron run --webhook-port` asks for it."""
    webhook_runner: Any = None
    children: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    """(plural, namespace, name) → the latest body of each InfraPlan, Deployment and
    Server, as kopf's watches deliver them: reads and no-op writes of children, and the
    Server every Deployment pass and ordering Application looks at, cost no request."""
    views: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    """(namespace, app) → the child-view annotations the Application carries now."""
    dns_written: dict[str, Any] = field(default_factory=dict)
    """namespace/name → the DNS status each Deployment's pass last wrote (see DeploymentDeps)."""
    schedule: resync.Schedule = field(default_factory=lambda: resync.Schedule([]))
    """The periodic passes of every Application, Deployment and Server (made at startup)."""
    schedule_task: asyncio.Task | None = None
    planning_passes: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(PLANNING_PASSES))
    """Application and InfraPlan passes running at once (see PLANNING_PASSES)."""

    @property
    def image_source(self) -> ImageSource:
        return self.provisioning.image_source

    def entries(self) -> Counter:
        """(table, namespace) → entries kept per object: each must go with its object."""
        tally: Counter = Counter()
        for table, namespaces in (("children", (key[1] for key in self.children)),
                                  ("views", (key[0] for key in self.views)),
                                  ("tracked", (key[0] for key in self.tracked)),
                                  ("locks", (key.split("/")[1] for key in self.locks)),
                                  ("dns", (key.split("/")[0] for key in self.dns_written)),
                                  ("schedule", (key[1] for key in self.schedule.keys()))):
            tally.update((table, namespace) for namespace in namespaces)
        return tally


def image_source(settings: OperatorSettings) -> ImageSource:
    """Servers pull their base images; a local demo or test bed without a registry
    sends them from this machine's Docker engine instead."""
    if settings.base_images_from == "local-docker":
        import docker

        return LocalEngine(docker.from_env())
    return RegistryPull()


def make_runtime(settings: OperatorSettings, webhook: dict[str, Any] | None = None) -> Runtime:
    return Runtime(
        settings=settings,
        provisioning=ProvisioningSettings(image_source=image_source(settings), compose=settings.server_compose),
        assistant=Assistant.from_settings(settings.llm()),
        webhook=dict(webhook or {}),
    )


def run(namespaces: list[str], liveness: str | None, webhook: dict[str, Any] | None = None) -> None:
    """Run the operator until it is stopped (what `hydron run` calls)."""
    kopf.run(
        standalone=True, clusterwide=not namespaces, namespaces=namespaces, liveness_endpoint=liveness,
        memo=kopf.Memo(runtime=make_runtime(SETTINGS, webhook)),
    )


def configure_logging(verbose: bool) -> None:
    kopf.configure(verbose=verbose, log_prefix=True)  # log lines name their object
    if not verbose:
        # asyncssh logs every channel at INFO; the steps say what matters.
        logging.getLogger("asyncssh").setLevel(logging.WARNING)


def _runtime(memo: Any) -> Runtime:
    """The process's Runtime (made here when kopf was started without `run`)."""
    if getattr(memo, "runtime", None) is None:
        memo.runtime = make_runtime(SETTINGS)
    return memo.runtime


@kopf.on.startup()
async def configure(settings: kopf.OperatorSettings, memo: kopf.Memo, logger: logging.Logger, **_: Any) -> None:
    """Hydron's kopf settings (annotations for kopf's own state, quiet event posting)
    and the push webhook."""
    settings.persistence.finalizer = FINALIZER
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=ANNOTATION_PREFIX)
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=ANNOTATION_PREFIX, key="last-handled-configuration"
    )
    # kopf would post an event for every handler run; people want events for what
    # matters (warnings, and the ones controllers post on purpose).
    settings.posting.level = logging.WARNING
    settings.posting.reporting_component = "hydron"
    settings.peering.standalone = True
    settings.watching.server_timeout = 300
    settings.watching.client_timeout = 330
    settings.networking.request_timeout = 60
    # Bounded exponential backoff for retries of transient failures.
    settings.networking.error_backoffs = [1, 2, 5, 10, 30, 60]
    settings.queueing.error_delays = [1, 2, 5, 10, 30, 60, 120]
    runtime = _runtime(memo)
    # Without a limit kopf starts a worker for every object with news at once: a thousand
    # Applications applied together held a thousand passes' memory at the same moment,
    # and the process keeps such a peak as its resident size. kopf's watch waits for a
    # free worker when all are busy, so the limit is well above the long passes (rollouts,
    # provisioning) one operator runs at once.
    settings.queueing.worker_limit = runtime.settings.object_workers
    asyncio.get_running_loop().set_default_executor(
        ThreadPoolExecutor(max_workers=IO_THREADS, thread_name_prefix="hydron-io"))
    metrics.PER_OBJECT_ENTRIES.count = runtime.entries
    if runtime.webhook:
        secret = runtime.settings.webhook_secret.get_secret_value()
        if not secret:
            raise kopf.PermanentError("--webhook-port needs HYDRON_WEBHOOK_SECRET: an unauthenticated hook would let "
                                      "anyone make Hydron poll Git")
        port, address = runtime.webhook["port"], runtime.webhook["address"]
        runtime.webhook_runner = await webhook_server.serve(
            port, address, secret, lambda: list(runtime.tracked.values()), _refresh)
        logger.info("Git push webhook on %s:%s%s", address, port, webhook_server.PATH)
    runtime.schedule = resync.Schedule(_periodic_jobs(memo, settings))


@kopf.on.cleanup()
async def stop(memo: kopf.Memo, **_: Any) -> None:
    runtime = _runtime(memo)
    if runtime.schedule_task is not None:
        runtime.schedule_task.cancel()
    if runtime.webhook_runner is not None:
        await runtime.webhook_runner.cleanup()


Handler = Callable[..., Awaitable[None]]
"""A handler as kopf calls it: (body=, patch=, logger=, memo=)."""


def _periodic_jobs(memo: kopf.Memo, settings: kopf.OperatorSettings) -> list[resync.Job]:
    """The passes that run on every object of a kind after each interval of quiet."""
    def job(model: type, name: str, interval: float, handler: Handler) -> resync.Job:
        return resync.Job(model.plural, name, interval, partial(_periodic_pass, model, handler, memo, settings))

    return [
        job(Application, "resync", APPLICATION_RESYNC, resync_application),
        job(Server, "repair", SERVER_REPAIR, repair_server),
        job(Server, "usage", SERVER_USAGE, server_usage),
        job(Deployment, "resync", DEPLOYMENT_RESYNC, resync_deployment),
        job(Deployment, "usage", DEPLOYMENT_USAGE, deployment_usage),
    ]


async def _periodic_pass(model: type, handler: Handler, memo: kopf.Memo, settings: kopf.OperatorSettings,
                         copy: dict[str, Any]) -> float | None:
    """One scheduled pass, through the same handler a change runs. A pass an object's
    change handler is running now is skipped (it looks anyway, and its status is newer
    than this copy); a retry the pass asks
    for sets the next visit; spec fields it sets are patched as kopf would."""
    namespace, name = copy["metadata"]["namespace"], copy["metadata"]["name"]
    if _runtime(memo).locks.locked(f"{model.kind}/{namespace}/{name}"):
        return None
    body, patch = kopf.Body(copy), kopf.Patch()
    logger = kopf.ObjectLogger(body=body, settings=settings)
    try:
        await handler(body=body, patch=patch, logger=logger, memo=memo)
    except kopf.TemporaryError as error:
        logger.warning("%s", error)
        return error.delay
    except kopf.PermanentError as error:
        logger.error("%s", error)
    if patch:
        await merge_patch(model.plural, namespace, name, dict(patch))
    return None


def _schedule(runtime: Runtime, plural: str, type: str | None, body: kopf.Body) -> None:
    """Every watch event of a kind with periodic passes: a change pushes its next pass back.
    From async handlers only: kopf runs a sync handler in a thread, and the schedule
    belongs to the event loop."""
    if type == "DELETED":
        runtime.schedule.forget(plural, body.metadata.namespace, body.metadata.name)
    else:
        runtime.schedule.seen(plural, body.metadata.namespace, body.metadata.name, body)
    if runtime.schedule_task is None and runtime.schedule.has_jobs:
        # Started here, not at startup: the task inherits a handler's context, where
        # kopf keeps what `kopf.event` posts through (a pass's events would fail otherwise).
        runtime.schedule_task = asyncio.create_task(resync.run_forever(runtime.schedule), name="periodic passes")


# --- the one way a handler runs a reconcile and applies its outcome -----------------

# The status fields a pass wrote mid-pass (live progress), as it wrote them: what the
# API server holds now, which the end-of-pass diff must compare against. Compared with
# the status the pass started from instead, a field that went back to its old value
# (a service Healthy, then Starting live, then Healthy again) would not be written and
# the live value would stay.
_LIVE_WRITTEN: ContextVar[dict[str, Any] | None] = ContextVar("live_written", default=None)


def _applier(body: kopf.Body, model: type, runtime: Runtime | None = None) -> Callable[[Effect], Awaitable[None]]:
    """Apply one effect for the object `body`: the same for every kind and for effects
    emitted mid-pass or returned at the end. A child the watches show up to date is
    not written (nor read) again."""
    namespace, name = body.metadata.namespace, body.metadata.name
    children = runtime.children if runtime is not None else {}

    async def apply(effect: Effect) -> None:
        if isinstance(effect, Event):
            kopf.event(body, type=effect.type, reason=effect.reason, message=effect.message)
        elif isinstance(effect, LiveStatus):
            live = effect.status.to_api()
            written = _LIVE_WRITTEN.get()
            if written is not None:  # even when the write fails: then the final write repeats it, harmlessly
                written.update(live)
            await write_live_status(patch_status, model.kind, model.plural, namespace, name, live,
                                    durable=effect.durable)
        elif isinstance(effect, ApplyChild):
            manifest = child_manifest(body, effect.kind, effect.name, effect.spec, effect.labels)
            known = children.get((effect.plural, namespace, effect.name))
            inputs = {INPUTS_ANNOTATION: effect.inputs or ""}
            if up_to_date(known, effect.spec, effect.keep, inputs if effect.create_only else None):
                return
            if effect.create_only:
                await ensure_object(effect.plural, namespace, manifest, inputs)
            else:
                await apply_spec(effect.plural, namespace, manifest, keep=effect.keep)
        elif isinstance(effect, EnsureSecret):
            await upsert_secret(namespace, effect.name, effect.make, owner_reference(body))
        elif isinstance(effect, PatchSpec):  # pragma: no branch - applied to the patch by _reconcile
            raise TypeError("PatchSpec is applied through the handler's patch")

    return apply


Reconcile = Callable[[Any, int | None], Awaitable[Outcome]]


async def _reconcile(model: type, body: kopf.Body, patch: kopf.Patch, logger: logging.Logger,
                     runtime: Runtime, reconcile: Reconcile, slots: asyncio.Semaphore | None = None) -> None:
    """Parse, reconcile under the object's lock, write status, apply effects; retry what can heal.

    The status is written before the lock is let go, and a pass that had to wait for the
    lock reads the object again: kopf's body was read before the pass it waited for
    wrote its status, and reconciling from it would write older facts over newer ones
    (a resync timer queued behind a rollout)."""
    generation = body.get("metadata", {}).get("generation")
    namespace, name = body.metadata.namespace, body.metadata.name
    key = f"{model.kind}/{namespace}/{name}"
    apply = _applier(body, model, runtime)
    waited = runtime.locks.locked(key)
    async with runtime.locks.hold(key):
        live_written: dict[str, Any] = {}
        _LIVE_WRITTEN.set(live_written)  # this handler's task only
        current: Mapping[str, Any] = body
        if waited:
            fresh = await get_object(model.plural, namespace, name)
            if fresh is None:  # deleted while this pass waited
                return
            current = fresh
            generation = fresh.get("metadata", {}).get("generation")
        stored = current.get("status") or {}
        with metrics.RECONCILE_SECONDS.labels(model.kind).time():
            try:
                resource = parse(model, current)
            except InvalidSpec as error:
                logger.warning("Invalid spec: %s", error.message)
                invalid = with_invalid_spec(status_from(status_model(model), current), generation, error.message)
                await _write_status(model, namespace, name, stored, invalid.to_api())
                metrics.RECONCILES.labels(model.kind, "invalid").inc()
                return
            try:
                if slots is None:
                    outcome = await reconcile(resource, generation)
                else:
                    async with slots:
                        outcome = await reconcile(resource, generation)
                for effect in outcome.effects:
                    if isinstance(effect, PatchSpec):
                        patch.spec.update(effect.fields)
                    else:
                        await apply(effect)
            except Exception:
                metrics.RECONCILES.labels(model.kind, "error").inc()
                raise
        await _write_status(model, namespace, name, {**stored, **live_written}, outcome.status.to_api())
    if outcome.retry is not None:
        metrics.RECONCILES.labels(model.kind, "retry").inc()
        raise kopf.TemporaryError(outcome.retry.message, delay=outcome.retry.delay)
    metrics.RECONCILES.labels(model.kind, "ok").inc()


async def _write_status(model: type, namespace: str, name: str, stored: Mapping[str, Any],
                        desired: dict[str, Any]) -> None:
    """Only what changed: an unchanged status (every idle resync) costs no PATCH."""
    changes = status_changes(dict(stored), desired)
    if not changes:
        return
    try:
        await patch_status(model.plural, namespace, name, changes)
    except ApiException as error:
        if error.status != 404:  # deleted meanwhile: nothing left to describe
            raise


def status_changes(current: dict[str, Any], desired: dict[str, Any]) -> dict[str, Any]:
    """The top-level status fields whose value differs (a merge patch of just those)."""
    return {key: value for key, value in desired.items() if current.get(key) != value}


async def _watched_body(plural: str, namespace: str, name: str, runtime: Runtime | None = None) -> dict | None:
    """Another Hydron object as stored: the watched copy when there is one, else one GET
    (an object the watch has not shown yet, or a kind it does not keep)."""
    body = runtime.children.get((plural, namespace, name)) if runtime is not None else None
    return body if body is not None else await get_object(plural, namespace, name)


async def _read(model: type, namespace: str, name: str, runtime: Runtime | None = None):
    """Another Hydron object as its model (None when missing or unreadable)."""
    body = await _watched_body(model.plural, namespace, name, runtime)
    if body is None:
        return None
    try:
        return parse(model, body)
    except InvalidSpec:
        return None


# --- Application -------------------------------------------------------------------

APPLICATION_RESYNC = SETTINGS.application_resync_seconds


def _application_deps(body: kopf.Body, runtime: Runtime) -> application.ApplicationDeps:
    namespace = body.metadata.namespace
    return application.ApplicationDeps(
        namespace=namespace,
        name=body.metadata.name,
        workdir=runtime.settings.workdir,
        read_secret_data=lambda secret: read_secret_data(namespace, secret),
        get_plan=partial(_read, InfraPlan, namespace, runtime=runtime),
        get_deployment=partial(_read, Deployment, namespace, runtime=runtime),
        get_server_body=partial(_watched_body, Server.plural, namespace, runtime=runtime),
        fetch_limits=FetchLimits(allowed_schemes=runtime.settings.git_schemes),
        refresh=body.metadata.annotations.get(REFRESH_ANNOTATION),
    )


async def _reconcile_application(body: kopf.Body, patch: kopf.Patch, logger: logging.Logger, memo: kopf.Memo) -> None:
    runtime = _runtime(memo)
    deps = _application_deps(body, runtime)
    await _reconcile(Application, body, patch, logger, runtime, lambda app, gen: application.reconcile(app, gen, deps),
                     runtime.planning_passes)


@kopf.on.resume(GROUP, VERSION, "applications", id="reconcile")
@kopf.on.create(GROUP, VERSION, "applications", id="reconcile")
@kopf.on.update(GROUP, VERSION, "applications", id="reconcile")
async def reconcile_application(body: kopf.Body, patch: kopf.Patch, logger: logging.Logger, memo: kopf.Memo,
                               **_: Any) -> None:
    await _reconcile_application(body, patch, logger, memo)


async def resync_application(body: kopf.Body, patch: kopf.Patch, logger: logging.Logger, memo: kopf.Memo,
                             **_: Any) -> None:
    """Look for new commits (when the poll interval is due) and move the pipeline on."""
    await _reconcile_application(body, patch, logger, memo)


@kopf.on.event(GROUP, VERSION, "applications")
async def watch_application(type: str, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    """Which Applications follow which repository and branch (for the push webhook), the
    child views they carry, and when each is next resynced."""
    _schedule(_runtime(memo), Application.plural, type, body)
    tracked = _runtime(memo).tracked
    key = (body.metadata.namespace, body.metadata.name)
    git = ((body.get("spec") or {}).get("source") or {}).get("git")
    if type == "DELETED" or not git or not git.get("url"):
        tracked.pop(key, None)
    else:
        tracked[key] = Tracked(*key, git["url"], git.get("ref"))
    views = _runtime(memo).views
    if type == "DELETED":
        views.pop(key, None)
    else:
        annotations = body.metadata.annotations
        views[key] = {k: annotations[k] for k in VIEW_ANNOTATIONS.values() if k in annotations}


VIEW_ANNOTATIONS = {InfraPlan.plural: "views.hydron.dev/plan", Deployment.plural: "views.hydron.dev/deployment"}
"""On the Application: a digest of what it reads from each child. A child's change
that the Application would see rewrites it, and that edit runs the Application's
handler at once instead of at its next resync."""


CHILD_STATUS_READ = ("conditions", "revision", "urls")
"""All the Application reads of its children's status (application.planned_condition
and deployed_condition): a Deployment's releases and a plan's material stay out of the
copy held for each child. A new field read from a child must be named here."""


async def _watch_child(model: type, type: str, body: kopf.Body, runtime: Runtime) -> None:
    """Keep the watched copy of an InfraPlan or Deployment; nudge its Application when
    what the Application reads from it changed."""
    namespace, name = body.metadata.namespace, body.metadata.name
    key = (model.plural, namespace, name)
    if type == "DELETED":
        runtime.children.pop(key, None)
        return
    runtime.children[key] = watched_copy(body, (INPUTS_ANNOTATION,), CHILD_STATUS_READ)
    app = ((body.get("spec") or {}).get("applicationRef") or {}).get("name")
    if not app or (namespace, app) not in runtime.views:
        return
    try:
        child = parse(model, body)
    except InvalidSpec:
        return
    view = (application.plan_view if model is InfraPlan else application.deployment_view)(app, child)
    annotation = VIEW_ANNOTATIONS[model.plural]
    if runtime.views[(namespace, app)].get(annotation) == view:
        return
    runtime.views[(namespace, app)][annotation] = view
    try:
        await annotate(Application.plural, namespace, app, {annotation: view})
    except Exception as error:  # gone meanwhile, or the API hiccuped: its resync looks anyway
        logging.getLogger(__name__).debug("Application %s/%s not nudged: %s", namespace, app, error)


@kopf.on.event(GROUP, VERSION, "infraplans")
async def watch_infraplan(type: str, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    await _watch_child(InfraPlan, type, body, _runtime(memo))


@kopf.on.event(GROUP, VERSION, "deployments")
async def watch_deployment(type: str, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    _schedule(_runtime(memo), Deployment.plural, type, body)
    await _watch_child(Deployment, type, body, _runtime(memo))


async def _refresh(namespace: str, name: str) -> None:
    await annotate(Application.plural, namespace, name, {REFRESH_ANNOTATION: datetime.now(timezone.utc).isoformat()})


@kopf.on.delete(GROUP, VERSION, "applications", id="cleanup")
async def cleanup_application(body: kopf.Body, logger: logging.Logger, memo: kopf.Memo, **_: Any) -> None:
    """The checkout and source archives go with the app; the InfraPlan and Deployment
    go through their owner references."""
    workdir = _runtime(memo).settings.workdir
    namespace, name = body.metadata.namespace, body.metadata.name
    for folder in (application.checkout_dir(workdir, namespace, name), artifacts_dir(workdir, namespace, name)):
        await asyncio.to_thread(shutil.rmtree, folder, True)
    logger.info("Application deleted")


# --- InfraPlan ---------------------------------------------------------------------


async def _reconcile_plan(body: kopf.Body, patch: kopf.Patch, logger: logging.Logger, memo: kopf.Memo) -> None:
    runtime = _runtime(memo)
    deps = infraplan.PlanDeps(get_application=partial(_read, Application, body.metadata.namespace),
                              assistant=runtime.assistant)
    await _reconcile(InfraPlan, body, patch, logger, runtime, lambda plan, gen: infraplan.reconcile(plan, gen, deps),
                     runtime.planning_passes)


# No timer and no delete handler for InfraPlans: either would make kopf add a finalizer,
# and a plan has nothing to clean up, so its deletion must not wait for the operator.
# It is reconciled when it changes, when its Application nudges it (the inputs
# annotation) and at start (resume); failures that can heal retry with backoff.
@kopf.on.resume(GROUP, VERSION, "infraplans", id="reconcile")
@kopf.on.create(GROUP, VERSION, "infraplans", id="reconcile")
@kopf.on.update(GROUP, VERSION, "infraplans", id="reconcile")
async def reconcile_infraplan(body: kopf.Body, patch: kopf.Patch, logger: logging.Logger, memo: kopf.Memo,
                              **_: Any) -> None:
    await _reconcile_plan(body, patch, logger, memo)



# --- Server ------------------------------------------------------------------------

SERVER_REPAIR = SETTINGS.server_repair_seconds
SERVER_USAGE = SETTINGS.server_usage_seconds


def _server_deps(body: kopf.Body, runtime: Runtime) -> server.ServerDeps:
    return server.ServerDeps(
        read_secret=partial(read_secret_key, body.metadata.namespace), emit=_applier(body, Server),
        read_config_map=partial(read_config_map_key, body.metadata.namespace),
        pool=runtime.pool, settings=runtime.provisioning,
        owner=server.Owner(body.metadata.namespace, body.metadata.name, body.metadata.uid),
        providers=partial(connect_provider, endpoints={"hetzner": runtime.settings.hetzner_endpoint,
                                                       "ovh": runtime.settings.ovh_endpoint}),
    )


@kopf.on.resume(GROUP, VERSION, "servers", id="reconcile")
@kopf.on.create(GROUP, VERSION, "servers", id="reconcile")
@kopf.on.update(GROUP, VERSION, "servers", id="reconcile")
async def reconcile_server(body: kopf.Body, patch: kopf.Patch, logger: logging.Logger, memo: kopf.Memo,
                           **_: Any) -> None:
    runtime = _runtime(memo)
    deps = _server_deps(body, runtime)
    await _reconcile(Server, body, patch, logger, runtime, lambda resource, gen: server.reconcile(resource, gen, deps))


async def repair_server(body: kopf.Body, patch: kopf.Patch, logger: logging.Logger, memo: kopf.Memo,
                        **_: Any) -> None:
    """Level-based: look at the real machine and put back what drifted."""
    runtime = _runtime(memo)
    deps = _server_deps(body, runtime)

    async def repair(resource: Server, generation: int | None) -> Outcome:
        outcome = await server.repair(resource, generation, deps)
        for change in outcome.changes:
            logger.info("repaired drift: %s", change)
        return outcome

    await _reconcile(Server, body, patch, logger, runtime, repair)


async def server_usage(body: kopf.Body, patch: kopf.Patch, logger: logging.Logger, memo: kopf.Memo, **_: Any) -> None:
    """CPU, memory, disk and load (from the node exporter) for `kubectl get -o wide`, the
    pressure conditions and the operator's metrics (people's dashboards and alerts)."""
    runtime = _runtime(memo)
    namespace, name = body.metadata.namespace, body.metadata.name
    key = f"{Server.kind}/{namespace}/{name}"
    async with runtime.locks.hold(key):
        try:
            resource = parse(Server, body)
            usage = await server.usage(resource, _server_deps(body, runtime))
        except Exception as error:  # unreachable now: Reachable says why; try again next time
            logger.debug("usage not read: %s", error)
            return
        status = server.pressure_conditions(resource.status or ServerStatus(), usage, body.metadata.get("generation"))
        await _write_status(Server, namespace, name, body.get("status") or {},
                            {"usage": usage.to_api(), "conditions": [c.to_api() for c in status.conditions]})
    metrics.server_usage(body.metadata.namespace, body.metadata.name, usage)


@kopf.on.event(GROUP, VERSION, "servers")
async def watch_server(type: str, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    """Keep the watched copy of a Server: every Deployment pass on it reads its spec and
    status, and an Application that orders it checks who owns it, at each resync."""
    key = (Server.plural, body.metadata.namespace, body.metadata.name)
    _schedule(_runtime(memo), Server.plural, type, body)
    children = _runtime(memo).children
    if type == "DELETED":
        children.pop(key, None)
    else:
        children[key] = watched_server(body)


def watched_server(body: Mapping[str, Any]) -> dict[str, Any]:
    """A Server as the operator keeps it: spec, all of status and its owners (servers are
    few, and their readers use most of what is left)."""
    copy = watched_copy(body)
    copy["metadata"]["ownerReferences"] = list((body.get("metadata") or {}).get("ownerReferences") or [])
    return copy


@kopf.on.delete(GROUP, VERSION, "servers", id="cleanup")
async def cleanup_server(body: kopf.Body, logger: logging.Logger, memo: kopf.Memo, **_: Any) -> None:
    """Close its connections; a machine Hydron ordered goes too under deletionPolicy Delete."""
    try:
        resource = parse(Server, body)
    except InvalidSpec:
        return
    logger.info("%s", await server.release(resource, _server_deps(body, _runtime(memo))))
    await server.forget(resource, _runtime(memo).pool)
    logger.info("Server deleted")


# --- Deployment --------------------------------------------------------------------

DEPLOYMENT_RESYNC = SETTINGS.deployment_resync_seconds
DEPLOYMENT_USAGE = SETTINGS.deployment_usage_seconds


def _deployment_deps(body: kopf.Body, runtime: Runtime) -> deployment.DeploymentDeps:
    namespace, name = body.metadata.namespace, body.metadata.name
    app = ((body.get("spec") or {}).get("applicationRef") or {}).get("name") or name
    workdir = runtime.settings.workdir

    def source_archive(revision: str | None):
        path = artifact_path(workdir, namespace, app, revision) if revision else None
        return path if path is not None and path.exists() else None

    return deployment.DeploymentDeps(
        name=name, namespace=namespace, get_server=partial(_read, Server, namespace, runtime=runtime),
        read_secret=partial(read_secret_key, namespace), secret_version=partial(read_secret_version, namespace),
        source_archive=source_archive, pool=runtime.pool, image_source=runtime.image_source,
        emit=_applier(body, Deployment), dns_endpoints=DnsEndpoints(namespace, owner_reference(body)),
        dns_written=runtime.dns_written,
    )


async def _reconcile_deployment(body: kopf.Body, patch: kopf.Patch, logger: logging.Logger, memo: kopf.Memo) -> None:
    runtime = _runtime(memo)
    deps = _deployment_deps(body, runtime)
    await _reconcile(Deployment, body, patch, logger, runtime,
                     lambda resource, gen: deployment.reconcile(resource, gen, deps))


@kopf.on.resume(GROUP, VERSION, "deployments", id="reconcile")
@kopf.on.create(GROUP, VERSION, "deployments", id="reconcile")
@kopf.on.update(GROUP, VERSION, "deployments", id="reconcile")
async def reconcile_deployment(body: kopf.Body, patch: kopf.Patch, logger: logging.Logger, memo: kopf.Memo,
                               **_: Any) -> None:
    await _reconcile_deployment(body, patch, logger, memo)


async def resync_deployment(body: kopf.Body, patch: kopf.Patch, logger: logging.Logger, memo: kopf.Memo,
                            **_: Any) -> None:
    """Level-based: the server became Ready, a container died, a route went missing."""
    await _reconcile_deployment(body, patch, logger, memo)


async def deployment_usage(body: kopf.Body, patch: kopf.Patch, logger: logging.Logger, memo: kopf.Memo,
                           **_: Any) -> None:
    """Each service's state, restarts, CPU and memory; Available drops while one is unhealthy."""
    runtime = _runtime(memo)
    key = f"{Deployment.kind}/{body.metadata.namespace}/{body.metadata.name}"
    async with runtime.locks.hold(key):
        try:
            resource = parse(Deployment, body)
            services = await deployment.observe(resource, _deployment_deps(body, runtime))
        except Exception as error:  # unreachable now: the next reconcile says why; try again next time
            logger.debug("service usage not read: %s", error)
            return
        if services is None or resource.status is None:
            return
        status = deployment.health_condition(resource.status, services, body.metadata.get("generation"))
        await _write_status(Deployment, body.metadata.namespace, body.metadata.name, body.get("status") or {},
                            {"services": [s.to_api() for s in status.services],
                             "conditions": [c.to_api() for c in status.conditions]})


@kopf.on.delete(GROUP, VERSION, "deployments", id="cleanup")
async def cleanup_deployment(body: kopf.Body, logger: logging.Logger, memo: kopf.Memo, **_: Any) -> None:
    """deletionPolicy Delete: the app's containers and routes go; images stay for a while."""
    try:
        resource = parse(Deployment, body)
    except InvalidSpec:
        return
    try:
        torn_down = await deployment.tear_down(resource, _deployment_deps(body, _runtime(memo)))
    except DnsError as error:  # the records stay named in status.dns until they are gone
        kopf.event(body, type="Warning", reason=error.reason, message=f"{error.message} The Deployment is deleted "
                   "once its DNS records are removed (or set spec.deletionPolicy: Orphan to leave them).")
        raise kopf.TemporaryError(error.message, delay=30) from None
    if not torn_down:
        logger.info("Deployment deleted; its Server is gone, so nothing to remove")
        return
    namespace = body.metadata.namespace
    for service in resource.spec.services:
        metrics.forget_service(namespace, deployment.app_name(resource, body.metadata.name), service.name)
    logger.info("Deployment deleted (%s)", resource.spec.deletion_policy)


__all__ = ["Runtime", "configure_logging", "make_runtime", "run"]
