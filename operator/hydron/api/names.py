"""Names Hydron gives to what it creates on a server. People see them in `docker ps`
and `docker volume ls`, and the plan names volumes before the rollout makes them, so
the convention lives here, under both."""

from __future__ import annotations

import re


def volume_name(app: str, service: str, path: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "root"
    return f"hydron-{app}-{service}-{slug}"
