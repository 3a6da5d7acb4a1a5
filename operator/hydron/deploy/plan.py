"""The rollout as data: which containers, in which order, with what. Pure.

Everything about a container that decides whether it must be replaced goes into its
config digest, which is also in its name and labels: a second reconcile with the same
spec finds containers with the same digest running and changes nothing. Secret values
are resolved into `env` only; the digest covers the secret *references* and the
Secrets' resourceVersions, never the values: names, labels and status carry nothing
secret, yet a rotated Secret yields a new digest and so a rolling restart.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from hydron.api.deployment import DeployService
from hydron.api.infraplan import HealthCheck
from hydron.api.names import volume_name

APP_LABEL = "dev.hydron.app"
SERVICE_LABEL = "dev.hydron.service"
DIGEST_LABEL = "dev.hydron.config-digest"
REVISION_LABEL = "dev.hydron.revision"


class PlanError(Exception):
    """The spec cannot be rolled out as written (a cycle, an unknown dependency)."""

    reason = "InvalidSpec"


def network_name(app: str) -> str:
    """The application's private network: its services reach each other by name."""
    return f"hydron-{app}"


def route_id(app: str, service: str) -> str:
    """The Caddy route's @id: owned by this app and service, found again by it."""
    return f"hydron:{app}:{service}"


def container_name(app: str, service: str, digest: str) -> str:
    return f"hydron-{app}-{service}-{digest[:10]}"


def dependency_order(services: Sequence[DeployService]) -> list[str]:
    """Service names, each after everything it depends on; spec order breaks ties.
    A cycle or an unknown name is a PlanError naming it."""
    names = [s.name for s in services]
    deps = {s.name: list(dict.fromkeys(s.depends_on)) for s in services}
    for name, wanted in deps.items():
        unknown = [d for d in wanted if d not in deps]
        if unknown:
            raise PlanError(f"service {name} depends on unknown service(s) {', '.join(unknown)}")
        if name in wanted:
            raise PlanError(f"service {name} depends on itself")
    order: list[str] = []
    done: set[str] = set()
    while len(order) < len(names):
        ready = [n for n in names if n not in done and all(d in done for d in deps[n])]
        if not ready:
            raise PlanError(f"dependency cycle: {' -> '.join(_cycle(deps, done))}")
        order.append(ready[0])
        done.add(ready[0])
    return order


def check_services(services: Sequence[DeployService]) -> None:
    """Raise PlanError for what no rollout could run (a cycle, an unknown dependency),
    before anything is built."""
    dependency_order(services)


def _cycle(deps: Mapping[str, list[str]], done: set[str]) -> list[str]:
    """One cycle among the services not yet placed, for the error message."""
    start = next(n for n in deps if n not in done)
    path = [start]
    while True:
        nxt = next(d for d in deps[path[-1]] if d not in done)
        if nxt in path:
            return path[path.index(nxt):] + [nxt]
        path.append(nxt)


@dataclass(frozen=True)
class ContainerPlan:
    """One service's container for this rollout."""

    app: str
    service: str
    image: str
    digest: str
    network: str
    command: tuple[str, ...] = ()
    port: int | None = None
    health: HealthCheck | None = None
    domains: tuple[str, ...] = ()
    volumes: tuple[tuple[str, str], ...] = ()
    """(volume name, mount path)."""
    cpus: float | None = None
    memory_mib: int | None = None
    revision: str | None = None
    env: Mapping[str, str] = field(default_factory=dict, repr=False)
    """Resolved environment, secret values included: for the container only."""

    @property
    def name(self) -> str:
        return container_name(self.app, self.service, self.digest)

    @property
    def labels(self) -> dict[str, str]:
        labels = {APP_LABEL: self.app, SERVICE_LABEL: self.service, DIGEST_LABEL: self.digest}
        if self.revision:
            labels[REVISION_LABEL] = self.revision
        return labels

    @property
    def shares_data(self) -> bool:
        """Two copies must never run at once on the same volume (a database's files):
        such a service is stopped before its replacement starts."""
        return bool(self.volumes)


def config_digest(
    service: DeployService, image: str, env_refs: Mapping[str, str], secret_versions: Mapping[str, str] | None = None,
) -> str:
    """Digest of everything that makes a container what it is (secret refs and the
    versions of the Secrets they point at, not values)."""
    material: dict = {
        "image": image,
        "command": service.command,
        "port": service.port,
        "env": sorted(env_refs.items()),
        "health": service.health_check.to_api() if service.health_check else None,
        "volumes": service.volumes,
        "resources": service.resources.to_api() if service.resources else None,
    }
    if secret_versions:
        material["secretVersions"] = sorted(secret_versions.items())
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()[:16]


def env_references(service: DeployService) -> dict[str, str]:
    """Each variable as it may be shown: its plain value or `secret:NAME/KEY`."""
    shown: dict[str, str] = {}
    for var in service.env:
        if var.value_from is not None:
            ref = var.value_from.secret_key_ref
            shown[var.name] = f"secret:{ref.name}/{ref.key}"
        else:
            shown[var.name] = var.value or ""
    if service.port is not None:
        shown.setdefault("PORT", str(service.port))
    return shown


def plan_rollout(
    app: str,
    services: Sequence[DeployService],
    images: Mapping[str, str],
    secrets: Mapping[tuple[str, str], str],
    revision: str | None = None,
    secret_versions: Mapping[str, str] | None = None,
) -> list[ContainerPlan]:
    """Containers in dependency order. `images` maps service → image (built tag or
    spec image, preferably the image ID); `secrets` maps (secret, key) → value;
    `secret_versions` maps a Secret's name → its resourceVersion."""
    by_name = {s.name: s for s in services}
    plans = []
    for name in dependency_order(services):
        service = by_name[name]
        refs = env_references(service)
        env = dict(refs)
        for var in service.env:
            if var.value_from is not None:
                ref = var.value_from.secret_key_ref
                env[var.name] = secrets[(ref.name, ref.key)]
        image = images[name]
        versions = {n: v for n, v in (secret_versions or {}).items() if n in _secret_names(service)}
        digest = config_digest(service, image, refs, versions)
        plans.append(ContainerPlan(
            app=app, service=name, image=image, digest=digest, network=network_name(app),
            command=tuple(service.command), port=service.port, health=service.health_check,
            domains=tuple(service.domains),
            volumes=tuple((volume_name(app, name, path), path) for path in service.volumes),
            cpus=service.resources.cpus if service.resources else None,
            memory_mib=service.resources.memory_mi_b if service.resources else None,
            revision=revision if service.build is not None else None, env=env,
        ))
    return plans


def secret_refs(services: Sequence[DeployService]) -> list[tuple[str, str]]:
    """Every (secret, key) the services read, once each."""
    refs = []
    for service in services:
        for var in service.env:
            if var.value_from is not None:
                ref = (var.value_from.secret_key_ref.name, var.value_from.secret_key_ref.key)
                if ref not in refs:
                    refs.append(ref)
    return refs


def _secret_names(service: DeployService) -> set[str]:
    return {var.value_from.secret_key_ref.name for var in service.env if var.value_from is not None}
