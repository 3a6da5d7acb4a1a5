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
import tempfile
from collections import defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import kopf

from hydron import metrics
from hydron.api import GROUP, VERSION, Application, Deployment, InfraPlan, Server
from hydron.controllers import application, deployment, infraplan, server
from hydron.controllers.common import InvalidSpec, Outcome, parse, status_from, status_model, with_invalid_spec
from hydron.kube.secrets import read_secret_data
from hydron.source import FetchLimits

FINALIZER = "hydron.dev/finalizer"
ANNOTATION_PREFIX = "hydron.dev"
APPLICATION_RESYNC_SECONDS = float(os.environ.get("HYDRON_APPLICATION_RESYNC_SECONDS", "30"))
WORKDIR = Path(os.environ.get("HYDRON_WORKDIR", Path(tempfile.gettempdir()) / "hydron"))
# file:// reads the operator's own disk: only for local demos and tests, never by default.
GIT_SCHEMES = frozenset({"https", "http", "ssh", "git"} | ({"file"} if os.environ.get("HYDRON_ALLOW_FILE_URLS") == "1" else set()))
FETCH_LIMITS = FetchLimits(allowed_schemes=GIT_SCHEMES)

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
        raise kopf.TemporaryError(outcome.retry_message, delay=30)
    metrics.RECONCILES.labels(model.kind, "ok").inc()


# --- Application -------------------------------------------------------------------


def _application_context(body: kopf.Body) -> application.ApplicationContext:
    namespace = body.metadata.namespace
    return application.ApplicationContext(
        namespace=namespace,
        name=body.metadata.name,
        workdir=WORKDIR,
        read_secret_data=lambda name: read_secret_data(namespace, name),
        fetch_limits=FETCH_LIMITS,
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


# --- the other kinds ---------------------------------------------------------------

SIMPLE_RECONCILERS = {
    InfraPlan: infraplan.reconcile,
    Server: server.reconcile,
    Deployment: deployment.reconcile,
}


def _register(model: type, reconcile: Reconcile) -> None:
    """Reconcile on create, update and operator restart."""

    async def handler(body: kopf.Body, patch: kopf.Patch, logger: logging.Logger, **_: Any) -> None:
        await _reconcile(model, body, patch, logger, reconcile)

    for cause in (kopf.on.resume, kopf.on.create, kopf.on.update):
        cause(GROUP, VERSION, model.plural, id="reconcile")(handler)


for _model, _reconcile_fn in SIMPLE_RECONCILERS.items():
    _register(_model, _reconcile_fn)


# --- deletion ----------------------------------------------------------------------


def _register_cleanup(model: type) -> None:
    async def cleanup(logger: logging.Logger, **_: Any) -> None:
        logger.info("%s deleted", model.kind)

    kopf.on.delete(GROUP, VERSION, model.plural, id="cleanup")(cleanup)


for _model in (Application, InfraPlan, Server, Deployment):
    _register_cleanup(_model)
