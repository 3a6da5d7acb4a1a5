"""The operator: kopf settings and handlers. The only module that imports kopf.

Handlers are thin: parse the body into the model, call the kind's plain reconcile
function, write the status it returns, and turn "this can heal by itself" into
kopf's retry with backoff. Handlers return None so kopf stores nothing of its own
in status; its progress and diff-base live in `hydron.dev/` annotations.

Change handlers react at once; timers re-run the same reconcile (level-based: the
world drifts without telling us). A per-object lock keeps the two from interleaving.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any

import kopf

from hydron import metrics, webhook_server
from hydron.api import API_VERSION, GROUP, VERSION, Application, Deployment, InfraPlan, Server
from hydron.controllers import application, deployment, infraplan, server
from hydron.controllers.common import InvalidSpec, Outcome, parse, status_from, status_model, with_invalid_spec
from hydron.kube.resources import annotate, apply_spec, ensure_object, get_object, owner_reference, patch_status, upsert_secret
from hydron.kube.secrets import read_secret_data, read_secret_key, read_secret_version
from hydron.llm.assist import Assistant
from hydron.planning import secret_data
from hydron.provisioning.images import ImageSource, LocalEngine, RegistryPull
from hydron.provisioning.settings import ProvisioningSettings
from hydron.source import FetchLimits
from hydron.webhook import REFRESH_ANNOTATION
from hydron.webhook_server import Tracked

FINALIZER = "hydron.dev/finalizer"
ANNOTATION_PREFIX = "hydron.dev"
APPLICATION_RESYNC_SECONDS = float(os.environ.get("HYDRON_APPLICATION_RESYNC_SECONDS", "30"))
WORKDIR = Path(os.environ.get("HYDRON_WORKDIR", Path(tempfile.gettempdir()) / "hydron"))
# file:// reads the operator's own disk: only for local demos and tests, never by default.
GIT_SCHEMES = frozenset({"https", "http", "ssh", "git"} | ({"file"} if os.environ.get("HYDRON_ALLOW_FILE_URLS") == "1" else set()))
FETCH_LIMITS = FetchLimits(allowed_schemes=GIT_SCHEMES)

APPLICATION_LABEL = "hydron.dev/application"
INPUTS_ANNOTATION = "hydron.dev/inputs"
"""Set by an Application on its InfraPlan; a new value makes the plan look again."""

_locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)


@kopf.on.startup()
def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
    """Hydron's kopf settings: annotations for kopf's own state, quiet event posting."""
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
    settings.batching.error_delays = [1, 2, 5, 10, 30, 60, 120]


Reconcile = Callable[[Any, int | None], Awaitable[Any]]


async def _reconcile(
    model: type, body: kopf.Body, patch: kopf.Patch, logger: logging.Logger, reconcile: Reconcile
) -> None:
    """Parse, reconcile under the object's lock, write status; retry what can heal."""
    generation = body.get("metadata", {}).get("generation")
    key = f"{model.kind}/{body.metadata.namespace}/{body.metadata.name}"
    async with _locks[key]:
        with metrics.RECONCILE_SECONDS.labels(model.kind).time():
            try:
                resource = parse(model, body)
            except InvalidSpec as error:
                logger.warning("Invalid spec: %s", error.message)
                current = status_from(status_model(model), body)
                patch.status.update(with_invalid_spec(current, generation, error.message).to_api())
                metrics.RECONCILES.labels(model.kind, "invalid").inc()
                return
            try:
                result = await reconcile(resource, generation)
            except Exception:
                metrics.RECONCILES.labels(model.kind, "error").inc()
                raise
    outcome = result if isinstance(result, Outcome) else Outcome(result)
    patch.status.update(outcome.status.to_api())
    if outcome.retry_message:
        metrics.RECONCILES.labels(model.kind, "retry").inc()
        raise kopf.TemporaryError(outcome.retry_message, delay=outcome.retry_delay)
    metrics.RECONCILES.labels(model.kind, "ok").inc()


# --- Application -------------------------------------------------------------------


def _application_context(body: kopf.Body) -> application.ApplicationContext:
    namespace, name = body.metadata.namespace, body.metadata.name
    refresh = body.metadata.annotations.get(REFRESH_ANNOTATION)

    async def ensure_plan(inputs_key: str) -> dict:
        plan = {
            "apiVersion": API_VERSION,
            "kind": InfraPlan.kind,
            "metadata": {
                "name": name,
                "labels": {APPLICATION_LABEL: name},
                "ownerReferences": [owner_reference(body)],
            },
            "spec": {"applicationRef": {"name": name}},
        }
        return await ensure_object(InfraPlan.plural, namespace, plan, {INPUTS_ANNOTATION: inputs_key})

    async def ensure_deployment(spec: dict) -> dict:
        wanted = {
            "apiVersion": API_VERSION,
            "kind": Deployment.kind,
            "metadata": {
                "name": name,
                "labels": {APPLICATION_LABEL: name},
                "ownerReferences": [owner_reference(body)],
            },
            "spec": spec,
        }
        return await apply_spec(Deployment.plural, namespace, wanted, keep=("rollbackTo",))

    return application.ApplicationContext(
        namespace=namespace,
        name=name,
        workdir=WORKDIR,
        read_secret_data=lambda secret: read_secret_data(namespace, secret),
        ensure_plan=ensure_plan,
        ensure_deployment=ensure_deployment,
        fetch_limits=FETCH_LIMITS,
        refresh=refresh,
    )


@kopf.on.resume(GROUP, VERSION, "applications", id="reconcile")
@kopf.on.create(GROUP, VERSION, "applications", id="reconcile")
@kopf.on.update(GROUP, VERSION, "applications", id="reconcile")
async def reconcile_application(body: kopf.Body, patch: kopf.Patch, logger: logging.Logger, **_: Any) -> None:
    ctx = _application_context(body)
    await _reconcile(Application, body, patch, logger, lambda app, gen: application.reconcile(app, gen, ctx))


@kopf.timer(GROUP, VERSION, "applications", id="resync", interval=APPLICATION_RESYNC_SECONDS, idle=APPLICATION_RESYNC_SECONDS)
async def resync_application(body: kopf.Body, patch: kopf.Patch, logger: logging.Logger, **_: Any) -> None:
    """Look for new commits (when the poll interval is due) and move the pipeline on."""
    ctx = _application_context(body)
    await _reconcile(Application, body, patch, logger, lambda app, gen: application.reconcile(app, gen, ctx))


# --- Git push webhook --------------------------------------------------------------

WEBHOOK: dict[str, Any] = {}
"""port and address, set by `hydron run --webhook-port`."""
_tracked: dict[tuple[str, str], Tracked] = {}
_webhook_runner: Any = None


@kopf.on.event(GROUP, VERSION, "applications")
def track_git_source(type: str, body: kopf.Body, **_: Any) -> None:
    """Which Applications follow which repository and branch, for the push webhook."""
    key = (body.metadata.namespace, body.metadata.name)
    git = ((body.get("spec") or {}).get("source") or {}).get("git")
    if type == "DELETED" or not git or not git.get("url"):
        _tracked.pop(key, None)
    else:
        _tracked[key] = Tracked(*key, git["url"], git.get("ref"))


async def _refresh(namespace: str, name: str) -> None:
    await annotate(Application.plural, namespace, name, {REFRESH_ANNOTATION: datetime.now(timezone.utc).isoformat()})


@kopf.on.startup()
async def start_webhook(logger: logging.Logger, **_: Any) -> None:
    global _webhook_runner
    if not WEBHOOK:
        return
    secret = os.environ.get("HYDRON_WEBHOOK_SECRET", "")
    if not secret:
        raise kopf.PermanentError("--webhook-port needs HYDRON_WEBHOOK_SECRET: an unauthenticated hook would let "
                                  "anyone make Hydron poll Git")
    _webhook_runner = await webhook_server.serve(
        WEBHOOK["port"], WEBHOOK["address"], secret, lambda: list(_tracked.values()), _refresh)
    logger.info("Git push webhook on %s:%s%s", WEBHOOK["address"], WEBHOOK["port"], webhook_server.PATH)


@kopf.on.cleanup()
async def stop_webhook(**_: Any) -> None:
    if _webhook_runner is not None:
        await _webhook_runner.cleanup()


# --- InfraPlan ---------------------------------------------------------------------

_assistant: Assistant | None = None


@kopf.on.startup()
def make_assistant(**_: Any) -> None:
    """One LLM client for the process; None without ANTHROPIC_API_KEY (rules only)."""
    global _assistant
    _assistant = Assistant.from_env()


async def _plan_context(plan: InfraPlan, namespace: str) -> infraplan.PlanContext | None:
    owner = await get_object(Application.plural, namespace, plan.spec.application_ref.name)
    if owner is None:
        return None
    app = parse(Application, owner)
    status = app.status
    revision = status.source.analyzed_commit if status and status.source else None
    return infraplan.PlanContext(
        app_name=owner["metadata"]["name"], application=app.spec, analysis=status.analysis if status else None,
        source_revision=revision,
    )


async def _reconcile_plan(body: kopf.Body, patch: kopf.Patch, logger: logging.Logger) -> None:
    namespace = body.metadata.namespace

    async def run(plan: InfraPlan, generation: int | None) -> Outcome:
        context = await _plan_context(plan, namespace)
        if context is not None and context.analysis is None:
            # The Application made this plan before its own status (with the analysis)
            # was written: wait for it rather than plan from nothing.
            waiting = await infraplan.reconcile_plan(plan, generation, None, _assistant)
            return Outcome(waiting.status, retry_message="waiting for the Application's analysis", retry_delay=2)
        outcome = await infraplan.reconcile_plan(plan, generation, context, _assistant)
        if outcome.spec is not None:
            patch.spec.update(infraplan.planner_owned_fields(outcome.spec))
        for planned in outcome.generated_secrets:
            await upsert_secret(namespace, planned.name, lambda existing, p=planned: secret_data(p, existing), owner_reference(body))
        if outcome.retry_after_seconds:
            return Outcome(outcome.status, "the LLM step failed; the plan uses rules only until a retry succeeds",
                           retry_delay=outcome.retry_after_seconds)
        return Outcome(outcome.status)

    await _reconcile(InfraPlan, body, patch, logger, run)


@kopf.on.resume(GROUP, VERSION, "infraplans", id="reconcile")
@kopf.on.create(GROUP, VERSION, "infraplans", id="reconcile")
@kopf.on.update(GROUP, VERSION, "infraplans", id="reconcile")
async def reconcile_infraplan(body: kopf.Body, patch: kopf.Patch, logger: logging.Logger, **_: Any) -> None:
    await _reconcile_plan(body, patch, logger)


@kopf.timer(GROUP, VERSION, "infraplans", id="resync", interval=APPLICATION_RESYNC_SECONDS, idle=APPLICATION_RESYNC_SECONDS)
async def resync_infraplan(body: kopf.Body, patch: kopf.Patch, logger: logging.Logger, **_: Any) -> None:
    """Level-based: catch up with the Application even if a nudge was missed."""
    await _reconcile_plan(body, patch, logger)


# --- Server ------------------------------------------------------------------------

_runtime: server.ServerRuntime | None = None


def _image_source() -> ImageSource:
    """Servers pull their base images; a local demo or test bed without a registry
    sends them from this machine's Docker engine instead."""
    if os.environ.get("HYDRON_BASE_IMAGES_FROM") == "local-docker":
        import docker

        return LocalEngine(docker.from_env())
    return RegistryPull()


@kopf.on.startup()
def make_runtime(**_: Any) -> None:
    """Connections, per-server locks and settings shared by Servers and Deployments."""
    global _runtime
    _runtime = server.ServerRuntime(settings=ProvisioningSettings(image_source=_image_source()))


SERVER_REPAIR_SECONDS = float(os.environ.get("HYDRON_SERVER_REPAIR_SECONDS", "300"))
SERVER_USAGE_SECONDS = float(os.environ.get("HYDRON_SERVER_USAGE_SECONDS", "60"))


def _event_poster(body: kopf.Body) -> Callable[[str, str, str], None]:
    def post(type_: str, reason: str, message: str) -> None:
        kopf.event(body, type=type_, reason=reason, message=message)

    return post


def _server_io(body: kopf.Body) -> dict[str, Any]:
    namespace = body.metadata.namespace
    return {
        "read_secret": partial(read_secret_key, namespace),
        "post_event": _event_poster(body),
    }


async def _live_progress(body: kopf.Body, status: Any, logger: logging.Logger) -> None:
    """A step started or ended: show it now, not when the whole pass is over."""
    try:
        await patch_status(Server.plural, body.metadata.namespace, body.metadata.name, status.to_api())
    except Exception as error:  # progress is best effort; the final status is written anyway
        logger.debug("live progress not written: %s", error)


@kopf.on.resume(GROUP, VERSION, "servers", id="reconcile")
@kopf.on.create(GROUP, VERSION, "servers", id="reconcile")
@kopf.on.update(GROUP, VERSION, "servers", id="reconcile")
async def reconcile_server(body: kopf.Body, patch: kopf.Patch, logger: logging.Logger, **_: Any) -> None:
    async def run(resource: Server, generation: int | None) -> Outcome:
        result = await server.reconcile(
            resource, generation, **_server_io(body), runtime=_runtime,
            on_progress=lambda status: _live_progress(body, status, logger),
        )
        return Outcome(result.status, retry_message=result.message if result.retryable else None)

    await _reconcile(Server, body, patch, logger, run)


@kopf.timer(GROUP, VERSION, "servers", id="repair", interval=SERVER_REPAIR_SECONDS, idle=SERVER_REPAIR_SECONDS)
async def repair_server(body: kopf.Body, patch: kopf.Patch, logger: logging.Logger, **_: Any) -> None:
    """Level-based: look at the real machine and put back what drifted."""

    async def run(resource: Server, generation: int | None) -> Outcome:
        result = await server.repair(resource, generation, **_server_io(body), runtime=_runtime)
        for step, what in result.changed:
            logger.info("repaired drift in %s: %s", step, what)
        return Outcome(result.status, retry_message=result.message if result.retryable else None)

    await _reconcile(Server, body, patch, logger, run)


@kopf.timer(GROUP, VERSION, "servers", id="usage", interval=SERVER_USAGE_SECONDS, idle=SERVER_USAGE_SECONDS)
async def server_usage(body: kopf.Body, patch: kopf.Patch, logger: logging.Logger, **_: Any) -> None:
    """CPU, memory and disk use for `kubectl get -o wide` and people's dashboards."""
    try:
        resource = parse(Server, body)
        usage = await server.usage(resource, read_secret=_server_io(body)["read_secret"], runtime=_runtime)
    except Exception as error:  # unreachable now: Reachable says why; try again next time
        logger.debug("usage not read: %s", error)
        return
    patch.status["usage"] = usage.to_api()


# --- Deployment --------------------------------------------------------------------

DEPLOYMENT_RESYNC_SECONDS = float(os.environ.get("HYDRON_DEPLOYMENT_RESYNC_SECONDS", "60"))
DEPLOYMENT_USAGE_SECONDS = float(os.environ.get("HYDRON_DEPLOYMENT_USAGE_SECONDS", "30"))


def _checkout_of(namespace: str, app: str) -> Path:
    """The Application controller's checkout of the app (same process)."""
    return application.checkout_dir(WORKDIR, namespace, app)


async def _server_named(namespace: str, name: str) -> Server | None:
    body = await get_object(Server.plural, namespace, name)
    return parse(Server, body) if body is not None else None


async def _deployment_server(resource: Deployment, namespace: str) -> Server | None:
    return await _server_named(namespace, resource.spec.server_ref.name)


async def _reconcile_deployment(body: kopf.Body, patch: kopf.Patch, logger: logging.Logger) -> None:
    namespace, name = body.metadata.namespace, body.metadata.name

    async def run(resource: Deployment, generation: int | None) -> Outcome:
        app = resource.spec.application_ref.name if resource.spec.application_ref else None
        checkout = _checkout_of(namespace, app) if app else None
        was_on = resource.status.server if resource.status else None
        moving = was_on and was_on != resource.spec.server_ref.name  # the old server gives up its data
        previous = await _server_named(namespace, was_on) if moving else None
        result = await deployment.reconcile(
            resource, generation, name=name, server=await _deployment_server(resource, namespace), previous=previous,
            read_secret=partial(read_secret_key, namespace),
            secret_version=partial(read_secret_version, namespace),
            post_event=_event_poster(body), runtime=_runtime,
            source_dir=checkout if checkout is not None and checkout.exists() else None,
        )
        return Outcome(result.status, retry_message=result.message if result.retryable else None, retry_delay=10)

    await _reconcile(Deployment, body, patch, logger, run)


@kopf.on.resume(GROUP, VERSION, "deployments", id="reconcile")
@kopf.on.create(GROUP, VERSION, "deployments", id="reconcile")
@kopf.on.update(GROUP, VERSION, "deployments", id="reconcile")
async def reconcile_deployment(body: kopf.Body, patch: kopf.Patch, logger: logging.Logger, **_: Any) -> None:
    await _reconcile_deployment(body, patch, logger)


@kopf.timer(GROUP, VERSION, "deployments", id="resync", interval=DEPLOYMENT_RESYNC_SECONDS, idle=DEPLOYMENT_RESYNC_SECONDS)
async def resync_deployment(body: kopf.Body, patch: kopf.Patch, logger: logging.Logger, **_: Any) -> None:
    """Level-based: the server became Ready, a container died, a route went missing."""
    await _reconcile_deployment(body, patch, logger)


@kopf.timer(GROUP, VERSION, "deployments", id="usage", interval=DEPLOYMENT_USAGE_SECONDS, idle=DEPLOYMENT_USAGE_SECONDS)
async def deployment_usage(body: kopf.Body, patch: kopf.Patch, logger: logging.Logger, **_: Any) -> None:
    """Each service's state, restarts, CPU and memory; Available drops while one is unhealthy."""
    namespace = body.metadata.namespace
    lock = _locks[f"{Deployment.kind}/{namespace}/{body.metadata.name}"]
    if lock.locked():  # a rollout is running: its status is newer than this body
        return
    async with lock:
        try:
            resource = parse(Deployment, body)
            server_model = await _deployment_server(resource, namespace)
            if server_model is None or resource.status is None or not resource.status.services:
                return
            services = await deployment.observe(
                resource, name=body.metadata.name, server=server_model, runtime=_runtime, namespace=namespace,
                read_secret=partial(read_secret_key, namespace),
            )
        except Exception as error:  # unreachable now: the next reconcile says why; try again next time
            logger.debug("service usage not read: %s", error)
            return
        status = deployment.health_condition(resource.status, services, body.metadata.get("generation"))
        patch.status["services"] = [s.to_api() for s in status.services]
        patch.status["conditions"] = [c.to_api() for c in status.conditions]


# --- deletion ----------------------------------------------------------------------


def _register_cleanup(model: type) -> None:
    async def cleanup(logger: logging.Logger, **_: Any) -> None:
        logger.info("%s deleted", model.kind)

    kopf.on.delete(GROUP, VERSION, model.plural, id="cleanup")(cleanup)


_register_cleanup(InfraPlan)


@kopf.on.delete(GROUP, VERSION, "deployments", id="cleanup")
async def cleanup_deployment(body: kopf.Body, logger: logging.Logger, **_: Any) -> None:
    """deletionPolicy Delete: the app's containers and routes go; images stay for a while."""
    try:
        resource = parse(Deployment, body)
    except InvalidSpec:
        return
    server_model = await _deployment_server(resource, body.metadata.namespace)
    if server_model is None:
        logger.info("Deployment deleted; its Server is gone, so nothing to remove")
        return
    namespace = body.metadata.namespace
    await deployment.tear_down(
        resource, name=body.metadata.name, server=server_model,
        read_secret=partial(read_secret_key, namespace), runtime=_runtime,
    )
    for service in resource.spec.services:
        metrics.forget_service(namespace, deployment.app_name(resource, body.metadata.name), service.name)
    logger.info("Deployment deleted (%s)", resource.spec.deletion_policy)


@kopf.on.delete(GROUP, VERSION, "applications", id="cleanup")
async def cleanup_application(body: kopf.Body, logger: logging.Logger, **_: Any) -> None:
    """The checkout goes with the app; the InfraPlan goes through its owner reference."""
    checkout = _checkout_of(body.metadata.namespace, body.metadata.name)
    await asyncio.to_thread(shutil.rmtree, checkout, True)
    logger.info("Application deleted")


@kopf.on.delete(GROUP, VERSION, "servers", id="cleanup")
async def cleanup_server(body: kopf.Body, logger: logging.Logger, **_: Any) -> None:
    """Close its connections; the machine itself is left as it is (see deletionPolicy)."""
    try:
        await server.forget(parse(Server, body), runtime=_runtime)
    except InvalidSpec:
        pass
    logger.info("Server deleted")
