"""Live status (a progress table people watch) written mid-pass, best effort but seen.

A failed write does not stop the pass (its final status is written anyway), but it
must not vanish either: it is logged as a warning and counted in
`hydron_live_status_write_errors_total`, so a progress table that stops moving has a
visible cause (RBAC on the status subresource, an API server under load).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from hydron import metrics

log = logging.getLogger(__name__)

Write = Callable[[str, str, str, dict[str, Any]], Awaitable[None]]
"""write(plural, namespace, name, status)"""


async def write_live_status(write: Write, kind: str, plural: str, namespace: str, name: str,
                            status: dict[str, Any], *, durable: bool = False) -> bool:
    """Write `status` now; True when written. A durable write (the pass must not go on
    without it) raises instead of being counted and logged."""
    try:
        await write(plural, namespace, name, status)
    except Exception as error:
        if durable:
            raise
        metrics.LIVE_STATUS_ERRORS.labels(kind).inc()
        log.warning("live progress of %s %s/%s not written (the final status is written at the end of the pass): "
                    "%s: %s", kind, namespace, name, type(error).__name__, _short(error))
        return False
    return True


def _short(error: Exception) -> str:
    text = " ".join(str(error).split())
    return text[:300] + ("…" if len(text) > 300 else "")
