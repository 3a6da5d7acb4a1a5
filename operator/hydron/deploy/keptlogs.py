"""Logs of replaced containers, kept on the server after the container is gone.

Docker deletes a container's log with the container, so a rollout that replaces one
would take its logs with it. Before Hydron removes a replaced container, its whole log
(`docker logs --timestamps`, stdout and stderr) is saved gzipped under
/var/log/hydron/containers/APP/SERVICE/, and files older than the Server's
`logRetentionDays` are deleted there. `kubectl hydron logs APP --previous` reads them.
Saving is best effort: a failure is logged and never stops the rollout.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from hydron.remote.command import Command, shell
from hydron.remote.runner import CommandRunner

log = logging.getLogger(__name__)

KEPT_DIR = "/var/log/hydron/containers"
DEFAULT_RETENTION_DAYS = 7

_KEEP = """\
d="$1/$2/$3"
mkdir -p "$d" || exit 1
docker logs --timestamps "$4" 2>&1 | gzip > "$d/$(date -u +%Y%m%dT%H%M%SZ)-$4.log.gz" || exit 1
find "$d" -type f -name '*.log.gz' -mtime +"$5" -delete
"""

BeforeRemove = Callable[[str, str, str], Awaitable[None]]
"""before_remove(container name, app, service)"""


def keep_command(app: str, service: str, container: str, retention_days: int) -> Command:
    return shell(_KEEP, KEPT_DIR, app, service, container, str(max(retention_days - 1, 0)), mutates=True)


def keeper(run: CommandRunner, retention_days: int = DEFAULT_RETENTION_DAYS) -> BeforeRemove:
    """What Containers calls before it removes a replaced container."""

    async def keep(container: str, app: str, service: str) -> None:
        try:
            await run.run(keep_command(app, service, container, retention_days))
        except Exception as error:  # noqa: BLE001 - keeping logs must never stop a rollout
            log.warning("logs of replaced container %s not kept: %s", container, error)

    return keep
