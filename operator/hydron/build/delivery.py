"""Every base image a build needs is on the server before the build starts.

Each image is looked for through the server's image sources, in order, stopping at
the first that has it:

1. already on the server;
2. a registry named on the Server (`spec.registries`): the image's own registry when
   it is one of them, and for a Docker Hub image each mirror (pulled there as
   `<mirror>/library/python:3.12-slim`, then tagged with the name the Dockerfile uses;
   explicitly, because dockerd would send a mirror Docker Hub's login, not the mirror's);
3. a plain `docker pull` (the engine's registry-mirrors apply);
4. the operator's own copy (`HYDRON_BASE_IMAGES_FROM=local-docker`: `docker save`
   here, `docker load` there).

Pulls run as the `docker` CLI on the server, so logins come from root's Docker config
there (written by the registries provisioning step): this module never holds a
credential, so none can reach its messages. When no source has an image,
`BaseImageUnavailable` names the image and what each source said.

What was found is returned with each image's ID and registry digest, so a release can
pin exactly what it was built from.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hydron.api.deployment import BaseImagePin, BuildSpec
from hydron.api.server import RegistrySource, ServerSpec
from hydron.build.base_images import needed_images
from hydron.build.context import dockerfile_text
from hydron.remote.images import ImageSource, RegistryPull
from hydron.remote.builders import docker as docker_cmd
from hydron.remote.runner import CommandRunner

DOCKER_HUB = "docker.io"
PRESENT, PLAIN_PULL, OPERATOR = "already on the server", "plain pull", "the operator's Docker engine"

Note = Callable[[str, str], Awaitable[None] | None]
"""note(reason, message): an image was fetched (for events)."""


class BaseImageUnavailable(Exception):
    """No image source has a base image the build needs. `tried` is (source, what it
    said) for each source, in order; nothing in it is secret."""

    reason = "BaseImageUnavailable"

    def __init__(self, image: str, tried: Sequence[tuple[str, str]]) -> None:
        self.image = image
        self.tried = list(tried)
        said = "; ".join(f"{source}: {why}" for source, why in self.tried)
        self.message = (
            f"Base image {image} is not available from any source ({said}). Put it in a registry named in the "
            "Server's spec.registries, make it pullable, or load it into the operator's Docker engine; "
            "Hydron tries again when the Server changes."
        )
        super().__init__(self.message)


@dataclass(frozen=True)
class ImageSources:
    """Where a server's base images may come from (besides being there already)."""

    registries: tuple[RegistrySource, ...] = ()
    plain_pull: bool = True
    operator: ImageSource | None = None
    """The operator's own copy (a `LocalEngine`); None when the operator only pulls."""

    @classmethod
    def for_server(cls, spec: ServerSpec, image_source: ImageSource | None) -> ImageSources:
        """The Server's registries, then a plain pull, then the operator's image source
        unless that is itself just a pull."""
        operator = None if image_source is None or isinstance(image_source, RegistryPull) else image_source
        return cls(registries=tuple(spec.registries), operator=operator)


@dataclass(frozen=True)
class BaseImage:
    reference: str
    """As the Dockerfile names it."""
    source: str
    """Which source it came from (PRESENT when it was there)."""
    image_id: str
    digest: str | None
    """The registry's manifest digest (sha256:...), when the image came from a registry."""

    @property
    def pinned(self) -> str:
        """What pins it: `name@digest` when a registry gave one, else the image ID."""
        if "@" in self.reference:
            return self.reference
        if self.digest:
            name = self.reference
            if name.rfind(":") > name.rfind("/"):
                name = name[: name.rfind(":")]
            return f"{name}@{self.digest}"
        return self.image_id


@dataclass
class DeliveryReport:
    images: list[BaseImage] = field(default_factory=list)

    @property
    def fetched(self) -> list[BaseImage]:
        return [i for i in self.images if i.source != PRESENT]

    def pins(self) -> dict[str, str]:
        """reference → digest pin (or image ID), for the release record."""
        return {i.reference: i.pinned for i in self.images}

    def release_pins(self) -> list[BaseImagePin]:
        """For `Release.baseImages`."""
        return [BaseImagePin(image=i.reference, pinned=i.pinned) for i in self.images]


def images_for_builds(archive: Path, builds: Iterable[BuildSpec]) -> list[str]:
    """Every image the builds need, in order, each once (ContextError when a Dockerfile is missing)."""
    found: dict[str, None] = {}
    for build in builds:
        for image in needed_images(dockerfile_text(archive, build.context, build.dockerfile, build.origin)):
            found.setdefault(image)
    return list(found)


# --- pure ---------------------------------------------------------------------------


def split_reference(reference: str) -> tuple[str, str, str]:
    """(registry, repository path, `:tag` or `@digest`) as Docker resolves a name:
    `python:3.12` → (docker.io, library/python, :3.12)."""
    name, at, digest = reference.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag = name[colon:] if colon > slash else ""
    name = name[: len(name) - len(tag)] if tag else name
    suffix = f"@{digest}" if at else (tag or ":latest")
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return first, rest, suffix
    path = name if rest else f"library/{name}"
    return DOCKER_HUB, path, suffix


def registry_of(reference: str) -> str:
    registry = split_reference(reference)[0]
    return DOCKER_HUB if registry in ("index.docker.io", "registry-1.docker.io") else registry


def mirror_reference(reference: str, host: str) -> str | None:
    """The name of a Docker Hub image on a mirror, or None for other registries' images."""
    registry, path, suffix = split_reference(reference)
    return f"{host}/{path}{suffix}" if registry_of(reference) == DOCKER_HUB else None


def parse_identity(output: str) -> tuple[str, list[str]]:
    """`docker image inspect` → (image ID, repo digests)."""
    image_id, _, digests = output.strip().partition(" ")
    try:
        parsed = json.loads(digests) if digests else []
    except json.JSONDecodeError:
        parsed = []
    return image_id, [d for d in parsed or [] if isinstance(d, str)]


def pick_digest(reference: str, repo_digests: Sequence[str], via: str | None = None) -> str | None:
    """The digest recorded for this image's repository (or the mirror's copy of it)."""
    registry, path, _ = split_reference(reference)
    wanted = {f"{registry}/{path}", path, path.removeprefix("library/")}
    if via:
        via_registry, via_path, _ = split_reference(via)
        wanted.add(f"{via_registry}/{via_path}")
    for entry in repo_digests:
        name, _, digest = entry.partition("@")
        if name in wanted or f"{DOCKER_HUB}/{name}" in wanted:
            return digest
    return repo_digests[0].partition("@")[2] if repo_digests else None


_PULL_ERRORS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p, re.IGNORECASE), m) for p, m in (
    (r"unauthorized|authentication required|no basic auth credentials|incorrect username or password",
     "the registry refused the login{login}"),
    (r"x509|certificate signed by unknown authority|tls: ", "its TLS certificate is not trusted (set caSecretRef to its CA)"),
    (r"toomanyrequests|rate limit", "the registry's pull rate limit was reached"),
    (r"manifest unknown|not found|does not exist|repository .* not found|pull access denied", "it does not have the image"),
    (r"no such host|server misbehaving|Temporary failure in name resolution|lookup \S+", "its name does not resolve"),
    (r"connection refused|i/o timeout|network is unreachable|no route to host|dial tcp|EOF",
     "it cannot be reached"),
))


def explain_pull_failure(output: str, login: str = "") -> str:
    """A short, credential-free reason for a failed `docker pull` (Docker's own last
    line when nothing matches)."""
    for pattern, message in _PULL_ERRORS:
        if pattern.search(output):
            return message.format(login=login)
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return (lines[-1] if lines else "the pull failed")[-200:]


def _login_hint(registry: RegistrySource) -> str:
    ref = registry.credentials_secret_ref
    return f" (check Secret {ref.name} in credentialsSecretRef)" if ref else " (set credentialsSecretRef)"


# --- I/O ----------------------------------------------------------------------------


async def ensure_base_images(
    run: CommandRunner, images: Sequence[str], sources: ImageSources, note: Note | None = None
) -> DeliveryReport:
    """Make every image present on the server (in order, each once); raise
    BaseImageUnavailable for the first that no source has."""
    report = DeliveryReport()
    for image in dict.fromkeys(images):
        report.images.append(await _ensure_one(run, image, sources, note))
    return report


async def _ensure_one(run: CommandRunner, image: str, sources: ImageSources, note: Note | None) -> BaseImage:
    found = await _identity(run, image, PRESENT)
    if found is not None:
        return found
    tried: list[tuple[str, str]] = [(PRESENT, "no")]
    own_registry = registry_of(image)
    plain_pull = sources.plain_pull
    for registry in sources.registries:
        if registry.host == own_registry:
            label, pull_as = f"registry {registry.host}", image
            plain_pull = False  # the same pull, already tried here
        elif registry.mirror and "@" not in image and (pull_as := mirror_reference(image, registry.host)):
            # (a digest-pinned name cannot be tagged onto a mirror's copy; the plain pull
            # reaches the mirror through the engine's registry-mirrors instead)
            label = f"mirror {registry.host}"
        else:
            continue
        failure = await _pull(run, pull_as, _login_hint(registry))
        if failure is None:
            return await _fetched(run, image, label, pull_as, note)
        tried.append((label, failure))
    if plain_pull:
        failure = await _pull(run, image, "")
        if failure is None:
            return await _fetched(run, image, PLAIN_PULL, image, note)
        tried.append((PLAIN_PULL, failure))
    if sources.operator is not None:
        has = getattr(sources.operator, "has", None)
        if has is None or await has(image):
            await sources.operator.deliver(image, run)
            return await _fetched(run, image, OPERATOR, image, note)
        tried.append((OPERATOR, "it does not have the image"))
    raise BaseImageUnavailable(image, tried)


async def _pull(run: CommandRunner, reference: str, login: str) -> str | None:
    """None when pulled, else why not."""
    result = await run.run(docker_cmd.pull(reference), check=False)
    return None if result.ok else explain_pull_failure(result.stderr + "\n" + result.stdout, login)


async def _fetched(run: CommandRunner, image: str, label: str, pulled_as: str, note: Note | None) -> BaseImage:
    if pulled_as != image:
        await run.run(docker_cmd.tag(pulled_as, image))
    found = await _identity(run, image, label, via=pulled_as)
    if pulled_as != image:
        await run.run(docker_cmd.untag(pulled_as))
    if found is None:
        raise BaseImageUnavailable(image, [(label, "fetched, yet the engine does not list it")])
    if note is not None:
        outcome = note("BaseImageFetched", f"{image} from {label}")
        if outcome is not None:
            await outcome
    return found


async def _identity(run: CommandRunner, image: str, source: str, via: str | None = None) -> BaseImage | None:
    result = await run.run(docker_cmd.image_identity(image))
    if not result.ok:
        return None
    image_id, digests = parse_identity(result.stdout)
    return BaseImage(image, source, image_id, pick_digest(image, digests, via))
