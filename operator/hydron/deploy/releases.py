"""Release history, as pure functions: what to run, whether it already failed, and the
history after a rollout. No I/O: the Deployment controller and the engine call these.

A release is identified by the digest of its container configuration (images, env
with secret references and versions, ports, volumes; never secret values). The same
digest failing once is not retried until something in the spec changes it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from hydron.api.deployment import Deployment, DeployService, Release, ReleaseImage
from hydron.deploy.plan import ContainerPlan

KEEP_RELEASES = 10


class ReleaseNotKept(LookupError):
    """spec.rollbackTo names a release that is not in the history (or has no images)."""


@dataclass(frozen=True)
class Target:
    """What to run: the spec's services, or a kept release's (with its images, so a
    rollback never rebuilds)."""

    services: list[DeployService]
    revision: str | None
    images: dict[str, str] | None = None


def target(deployment: Deployment, releases: Sequence[Release]) -> Target:
    spec = deployment.spec
    if spec.rollback_to is None:
        return Target(list(spec.services), spec.source_revision)
    release = next((r for r in releases if r.number == spec.rollback_to), None)
    if release is None or not release.images:
        kept = [r.number for r in releases if r.state != "Failed"]
        raise ReleaseNotKept(f"spec.rollbackTo names release {spec.rollback_to}, which is not kept (kept: {kept}); "
                             "pick one of those or clear it with `kubectl hydron rollback APP --clear`.")
    images = {i.name: i.image for i in release.images}
    return Target(list(release.services) or kept_config(spec.services, images), release.source_revision, images)


def kept_config(services: Sequence[DeployService], images: dict[str, str]) -> list[DeployService]:
    """The release's service configuration with the images it ran (no build recipe:
    a rollback never rebuilds, and Dockerfiles would bloat the status)."""
    return [s.model_copy(update={"build": None, "image": images.get(s.name, s.image)}) for s in services]


def moving_from(recorded_server: str | None, wanted_server: str) -> str | None:
    """The Server the app runs on now when spec.serverRef points elsewhere: the app
    moves, its data with it. The one place that decides "the app is moving"."""
    return recorded_server if recorded_server and recorded_server != wanted_server else None


def digest(plans: Sequence[ContainerPlan]) -> str:
    return hashlib.sha256("|".join(f"{p.service}={p.digest}" for p in plans).encode()).hexdigest()[:16]


def known_failure(releases: Sequence[Release], digest: str) -> Release | None:
    """The newest release with this digest, if it failed (and nothing newer succeeded with it)."""
    for release in reversed(releases):
        if release.digest == digest:
            return release if release.state == "Failed" else None
    return None


def images_of(plans: Sequence[ContainerPlan]) -> list[ReleaseImage]:
    return [ReleaseImage(name=p.service, image=p.image) for p in plans]


def next_number(releases: Sequence[Release]) -> int:
    return max((r.number for r in releases), default=0) + 1


def append(releases: Sequence[Release], release: Release) -> list[Release]:
    """The history with one more release, the oldest dropped beyond KEEP_RELEASES."""
    return [*releases, release][-KEEP_RELEASES:]


def failed(releases: Sequence[Release], plans: Sequence[ContainerPlan], revision: str | None, reason: str,
           message: str, rollback_of: int | None, at: datetime) -> list[Release]:
    """The history after a rollout that was rolled back."""
    return append(releases, Release(
        number=next_number(releases), source_revision=revision, state="Failed", created_at=at,
        message=message[:1000], reason=reason, digest=digest(plans), images=images_of(plans), rollback_of=rollback_of,
    ))


def supersede(releases: Sequence[Release], plans: Sequence[ContainerPlan], services: Sequence[DeployService],
              images: dict[str, str], revision: str | None, rollback_of: int | None,
              at: datetime) -> tuple[list[Release], Release | None]:
    """The history once these plans run healthy: a new Active release (the previous
    Active one Superseded), or the history unchanged when they already are the Active
    release. Returns the new release too, or None."""
    wanted = digest(plans)
    active = next((r for r in releases if r.state == "Active"), None)
    if active is not None and active.digest == wanted:
        return list(releases), None
    history = [r.model_copy(update={"state": "Superseded"}) if r.state == "Active" else r for r in releases]
    release = Release(
        number=next_number(history), source_revision=revision, state="Active", created_at=at, digest=wanted,
        images=images_of(plans), services=kept_config(services, images), rollback_of=rollback_of,
    )
    return append(history, release), release
