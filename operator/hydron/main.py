"""The operator: kopf settings and handlers. The only module that imports kopf.

Handlers are thin: parse the body into the model, call the kind's plain reconcile
function, write the status it returns. Handlers return None so kopf stores nothing
of its own in status; its progress and diff-base live in `hydron.dev/` annotations.
"""

from __future__ import annotations

import logging
from typing import Any

import kopf

from hydron import metrics
from hydron.api import GROUP, VERSION, Application, Deployment, InfraPlan, Server
from hydron.controllers import application, deployment, infraplan, server
from hydron.controllers.common import InvalidSpec, parse, status_from, status_model, with_invalid_spec

FINALIZER = "hydron.dev/finalizer"
ANNOTATION_PREFIX = "hydron.dev"

RECONCILERS = {
    Application: application.reconcile,
    InfraPlan: infraplan.reconcile,
    Server: server.reconcile,
    Deployment: deployment.reconcile,
}


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


async def _reconcile(model: type, body: kopf.Body, patch: kopf.Patch, logger: logging.Logger) -> None:
    generation = body.get("metadata", {}).get("generation")
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
            status = await RECONCILERS[model](resource, generation)
        except Exception:
            metrics.RECONCILES.labels(model.kind, "error").inc()
            raise
    patch.status.update(status.to_api())
    metrics.RECONCILES.labels(model.kind, "ok").inc()


def _register(model: type) -> None:
    """Reconcile on create, update and operator restart; clean up on delete."""
    plural = model.plural

    async def reconcile(body: kopf.Body, patch: kopf.Patch, logger: logging.Logger, **_: Any) -> None:
        await _reconcile(model, body, patch, logger)

    async def cleanup(logger: logging.Logger, **_: Any) -> None:
        logger.info("%s deleted", model.kind)

    for cause in (kopf.on.resume, kopf.on.create, kopf.on.update):
        cause(GROUP, VERSION, plural, id="reconcile")(reconcile)
    kopf.on.delete(GROUP, VERSION, plural, id="cleanup")(cleanup)


for _model in RECONCILERS:
    _register(_model)
