"""The image each service of a Deployment runs: built on the server from the source
archive, pulled from its registry and pinned to a digest (`imagePull`, see
hydron.build.pull), or the image the spec names (delivered when the server lacks it).

Build output goes to a file on the server (for `kubectl hydron logs --build`) and to
`on_line` as it arrives. A build is skipped when the image for the same commit and
Dockerfile is already there. Every image is checked against the plan before it is
used (hydron.build.verify): a failure stops the pass before any rollout.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from urllib.parse import urlencode

import docker
import docker.errors

from hydron.api.deployment import DeployService
from hydron.build.buildlog import BuildLogWriter, build_log_path
from hydron.build import sources
from hydron.build.context import GENERATED_DOCKERFILE, ContextError, context_from_archive, is_dockerfile_text, safe_subdir
from hydron.build.image import BuildOutput, build_image
from hydron.build.pull import resolve
from hydron.build.verify import verify_image
from hydron.remote.images import ImageSource
from hydron.remote.runner import CommandRunner

BuildLine = Callable[[str, str], None]
"""on_line(service, line): build output as it arrives (`kubectl hydron logs --build -f`)."""
Note = Callable[[str, str], Awaitable[None]]
"""note(reason, message): something a person should see as an event (Built, ImageDelivered)."""


async def service_images(
    client: docker.DockerClient, run: CommandRunner, app: str, services: Sequence[DeployService],
    revision: str | None, archive: Path | None, *, image_source: ImageSource | None = None,
    on_line: BuildLine | None = None, note: Note | None = None,
    pull_logins: Mapping[str, str] | None = None, refresh: bool = False, on_server: bool = True,
) -> dict[str, str]:
    """service → image to run: the verified built tag, the pulled image by digest, or
    the spec's image. `pull_logins` maps a pull Secret's name to its .dockerconfigjson;
    `refresh` looks up pulled images' tags again. With `on_server` the source tree is kept
    on the server and only its changes travel (hydron.build.sources); without, each build
    sends its whole context."""
    images: dict[str, str] = {}
    trees: dict[str, str] = {}
    for service in services:
        if service.build is None and service.image and service.image_pull is not None:
            ref = service.image_pull.secret_ref
            secret = ref.name if ref is not None else None
            images[service.name], pulled = await resolve(
                run, service.image, dockerconfigjson=(pull_logins or {}).get(secret or ""), secret=secret,
                refresh=refresh)
            if pulled and note is not None:
                await note("ImagePulled", f"{service.image} pulled by the server: {images[service.name]}")
            continue
        if service.build is None:
            images[service.name] = service.image or ""
            if service.image and image_source is not None and not await _present(client, service.image):
                await image_source.deliver(service.image, run)
                if note is not None:
                    await note("ImageDelivered", f"{service.image} {image_source.description}")
            continue
        images[service.name] = await _build(client, run, app, service, revision, archive, on_line, note,
                                            trees if on_server else None)
    return images


async def _build(client, run: CommandRunner, app: str, service: DeployService, revision: str | None,
                 archive: Path | None, on_line: BuildLine | None, note: Note | None,
                 trees: dict[str, str] | None) -> str:
    build = service.build
    assert build is not None

    def source() -> Path:
        if archive is None:
            raise ContextError(f"the source of {revision or 'this revision'} has not been handed over by the "
                               "Application yet; the build starts once it is")
        return archive

    def make_context() -> tuple[bytes, str]:
        return context_from_archive(source(), build.context, build.dockerfile, build.origin)

    args = {a.name: a.value for a in build.args}

    async def build_on_server(tag: str, labels: dict[str, str], output: BuildOutput) -> None:
        commit = revision or ""
        if commit not in trees:  # type: ignore[operator]
            sent = await sources.ensure(run, app, commit, source())
            trees[commit] = sent.path  # type: ignore[index]
            if sent.sent and note is not None:
                since = f"the changes since {sent.base[:12]}" if sent.base else "the whole tree (the server held none)"
                await note("SourceSent", f"sent {sent.sent:,} bytes of source for {commit[:12]}: {since}")
        generated = build.origin == "Generated" if build.origin is not None else is_dockerfile_text(build.dockerfile)
        query = urlencode({"t": tag, "dockerfile": GENERATED_DOCKERFILE if generated else build.dockerfile or "Dockerfile",
                           "labels": json.dumps(labels), "rm": 1, "forcerm": 1,
                           **({"buildargs": json.dumps(args)} if args else {})})
        command = sources.build(trees[commit], safe_subdir(build.context), query,  # type: ignore[index]
                                GENERATED_DOCKERFILE if generated else None)
        result = await run.run(command, input=(build.dockerfile or "").encode() if generated else b"",
                               on_line=lambda _, line: _feed(output, line), timeout=3600, check=False)
        if result.exit_status == sources.CONTEXT_MISSING:
            raise ContextError(f"build context {build.context!r} is not a directory in the source")
        if result.exit_status != 0 and output.error is None:
            output.feed({"error": (result.stderr or result.stdout).strip()[-400:] or f"exit status {result.exit_status}"})

    kept = BuildLogWriter(run, build_log_path(app, service.name))

    def each_line(line: str) -> None:
        kept.line(line)
        if on_line is not None:
            on_line(service.name, line)

    try:
        built = await build_image(
            client, app=app, service=service.name, revision=revision, context=build.context,
            dockerfile=build.dockerfile, make_context=make_context, on_line=each_line,
            args=args,
            build_on_server=build_on_server if trees is not None and revision else None,
        )
        await verify_image(client, built.tag, service.command, build.expect, built.id)
    finally:
        await kept.close()
    if built.built and note is not None:
        await note("Built", f"built {built.tag}")
    return built.tag


def _feed(output: BuildOutput, line: str) -> None:
    """One line of the engine's JSON stream (anything else is shown as it is)."""
    line = line.strip()
    if not line:
        return
    try:
        chunk = json.loads(line)
    except ValueError:
        chunk = {"stream": line}
    output.feed(chunk if isinstance(chunk, dict) else {"stream": line})


async def _present(client, image: str) -> bool:
    try:
        await asyncio.to_thread(client.images.get, image)
    except docker.errors.ImageNotFound:
        return False
    return True
