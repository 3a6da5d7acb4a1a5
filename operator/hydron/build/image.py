"""Build one service's image on the server's engine and verify it.

Never pulls: base images were delivered by provisioning (there may be no registry at
all). The engine's layer cache is reused between builds because every build runs on
the same daemon. Images are labelled with the revision and service, and tagged
`hydron/<app>-<service>:<commit12>`, so earlier releases keep their images for rollback.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import docker
import docker.errors

REVISION_LABEL = "dev.hydron.revision"
SERVICE_LABEL = "dev.hydron.service"
APP_LABEL = "dev.hydron.app"
BUILD_DIGEST_LABEL = "dev.hydron.build-digest"

BuildLine = Callable[[str], None]
"""Called with each line of build output as the engine sends it."""


class BuildFailed(Exception):
    """The build or its verification failed; `log_tail` holds the last output lines."""

    reason = "BuildFailed"

    def __init__(self, message: str, log_tail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.log_tail = log_tail


@dataclass(frozen=True)
class BuiltImage:
    tag: str
    id: str
    built: bool
    """False when an image with the same tag and build digest already existed."""


def image_tag(app: str, service: str, revision: str | None) -> str:
    return f"hydron/{app}-{service}:{(revision or 'latest')[:12]}"


def build_digest(revision: str | None, context: str, dockerfile: str | None,
                 args: dict[str, str] | None = None) -> str:
    """What the image is made from. The tree at a commit never changes, so the commit,
    the context path, the Dockerfile and the build args decide the image: identical
    inputs need no new build, and an old release's image is reused without its source
    (rollback)."""
    parts = [revision or "", context or ".", dockerfile or ""]
    if args:
        parts.append(json.dumps(args, sort_keys=True))
    text = "\0".join(parts)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _existing(client: docker.DockerClient, tag: str, digest: str, revision: str | None):
    try:
        image = client.images.get(tag)
    except docker.errors.ImageNotFound:
        return None
    labels = image.labels or {}
    if labels.get(BUILD_DIGEST_LABEL) == digest and labels.get(REVISION_LABEL) == (revision or ""):
        return image
    return None


class BuildOutput:
    """The engine's build stream, chunk by chunk: lines to `on_line`, the image id, the
    first error. The same for a build through the SDK and one run on the server."""

    def __init__(self, tag: str, on_line: BuildLine | None) -> None:
        self.tag = tag
        self.on_line = on_line
        self.tail: list[str] = []
        self.image_id: str | None = None
        self.error: BuildFailed | None = None

    def feed(self, chunk: dict) -> None:
        if "error" in chunk:
            message = str(chunk.get("error", "")).strip()
            self.tail.append(message)
            self.error = self.error or BuildFailed(f"docker build of {self.tag} failed: {message[-400:]}",
                                                   "\n".join(self.tail[-20:]))
            return
        text = chunk.get("stream")
        if text:
            for line in text.rstrip("\n").splitlines():
                self.tail.append(line)
                del self.tail[:-40]
                if self.on_line is not None:
                    self.on_line(line)
        aux = chunk.get("aux") or {}
        if aux.get("ID"):
            self.image_id = aux["ID"]

    def result(self) -> str:
        """The image id; BuildFailed for an error or no image."""
        if self.error is not None:
            raise self.error
        if self.image_id is None and not any(line.startswith("Successfully built") for line in self.tail):
            raise BuildFailed(f"docker build of {self.tag} produced no image", "\n".join(self.tail[-20:]))
        return self.image_id or ""


BuildOnServer = Callable[[str, dict[str, str], BuildOutput], Awaitable[None]]
"""build(tag, labels, output): run the build where the context already is, feeding `output`."""


def _build(client: docker.DockerClient, context_tar: bytes, dockerfile: str, tag: str, labels: dict[str, str],
           on_line: BuildLine | None, args: dict[str, str] | None = None) -> str:
    output = BuildOutput(tag, on_line)
    stream = client.api.build(
        fileobj=io.BytesIO(context_tar), custom_context=True, dockerfile=dockerfile, tag=tag, labels=labels,
        pull=False, rm=True, forcerm=True, decode=True, buildargs=args or None,
    )
    for chunk in stream:
        output.feed(chunk)
        if output.error is not None:
            raise output.error
    return output.result()


def _verify(client: docker.DockerClient, tag: str, labels: dict[str, str]) -> str:
    try:
        image = client.images.get(tag)
    except docker.errors.ImageNotFound:
        raise BuildFailed(f"image {tag} is missing after its build") from None
    found = image.labels or {}
    wrong = {k: v for k, v in labels.items() if found.get(k) != v}
    if wrong:
        raise BuildFailed(f"image {tag} lacks labels {sorted(wrong)}")
    return image.id


async def build_image(
    client: docker.DockerClient,
    *,
    app: str,
    service: str,
    revision: str | None,
    context: str,
    dockerfile: str | None,
    make_context: Callable[[], tuple[bytes, str]],
    on_line: BuildLine | None = None,
    args: dict[str, str] | None = None,
    build_on_server: BuildOnServer | None = None,
) -> BuiltImage:
    """Build (unless the same inputs were built before) and verify the labels.
    `make_context()` returns (context tar, Dockerfile name) and is called only when a
    build is needed and no `build_on_server` is given."""
    tag = image_tag(app, service, revision)
    digest = build_digest(revision, context, dockerfile, args)
    labels = {REVISION_LABEL: revision or "", SERVICE_LABEL: service, APP_LABEL: app, BUILD_DIGEST_LABEL: digest}
    existing = await asyncio.to_thread(_existing, client, tag, digest, revision)
    if existing is not None:
        return BuiltImage(tag, existing.id, built=False)
    try:
        if build_on_server is not None:
            output = BuildOutput(tag, on_line)
            await build_on_server(tag, labels, output)
            output.result()
        else:
            context_tar, dockerfile_name = await asyncio.to_thread(make_context)
            await asyncio.to_thread(_build, client, context_tar, dockerfile_name, tag, labels, on_line, args)
    except docker.errors.APIError as error:
        raise BuildFailed(f"docker build of {tag} failed: {error.explanation or error}") from None
    image_id = await asyncio.to_thread(_verify, client, tag, labels)
    return BuiltImage(tag, image_id, built=True)
