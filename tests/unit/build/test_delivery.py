"""Base images reach the server through its sources in order, and a missing one is
named with every source tried; the delivery never holds a credential."""

import pytest

from hydron.api.deployment import BuildSpec
from hydron.api.server import RegistrySource, ServerSpec
from hydron.build.delivery import (
    BaseImageUnavailable,
    ImageSources,
    ensure_base_images,
    explain_pull_failure,
    images_for_builds,
    mirror_reference,
    pick_digest,
    split_reference,
)
from hydron.remote.images import LocalEngine, RegistryPull
from hydron.source.artifacts import write_artifact
from hydron.remote.runner import CommandRunner
from tests.unit.provisioning.fakes import FakeServer, Reply

DIGEST = "sha256:" + "d" * 64
MIRROR = RegistrySource(host="mirror.internal:5000", mirror=True, credentials_secret_ref={"name": "mirror-login"})
PRIVATE = RegistrySource(host="registry.corp", credentials_secret_ref={"name": "corp-login"})


class Engine:
    """The server's engine as the fake sees it: which names it holds."""

    def __init__(self, server: FakeServer, present=(), pullable=(), pull_error="manifest unknown") -> None:
        self.present, self.pullable = set(present), set(pullable)
        server.on(r"docker image inspect", self.inspect)
        server.on(r"^docker pull", lambda line: self.pull(line, pull_error))
        server.on(r"^docker tag", self.tag)
        server.on(r"^docker image rm", lambda line: self.present.discard(line.split()[-1]) or Reply())

    def inspect(self, line: str) -> Reply:
        name = line.split()[-1]
        if name not in self.present:
            return Reply(exit=1, stderr=f"Error: No such image: {name}")
        repo = name.rsplit(":", 1)[0]
        return Reply(stdout=f'sha256:{"1" * 64} ["{repo}@{DIGEST}"]\n')

    def pull(self, line: str, error: str) -> Reply:
        name = line.split()[-1]
        if name in self.pullable:
            self.present.add(name)
            return Reply(stdout=f"Status: Downloaded newer image for {name}\n")
        return Reply(exit=1, stderr=f"Error response from daemon: {error}\n")

    def tag(self, line: str) -> Reply:
        self.present.add(line.split()[-1])
        return Reply()


class Operator:
    description = "copied from the operator's Docker engine"

    def __init__(self, engine: Engine, holds=()) -> None:
        self.engine, self.holds, self.delivered = engine, set(holds), []

    async def has(self, image):
        return image in self.holds

    async def deliver(self, image, run):
        self.delivered.append(image)
        self.engine.present.add(image)


def runner(server):
    return CommandRunner(server)


async def test_an_image_already_there_is_not_fetched_and_its_digest_is_recorded():
    server = FakeServer()
    Engine(server, present={"python:3.12-slim"})
    report = await ensure_base_images(runner(server), ["python:3.12-slim"], ImageSources())
    assert [(i.reference, i.source) for i in report.images] == [("python:3.12-slim", "already on the server")]
    assert report.pins() == {"python:3.12-slim": f"python@{DIGEST}"}
    assert not server.ran("docker pull") and report.fetched == []


async def test_a_docker_hub_image_comes_from_the_mirror_under_its_own_name():
    server = FakeServer()
    engine = Engine(server, pullable={"mirror.internal:5000/library/python:3.12-slim"})
    report = await ensure_base_images(runner(server), ["python:3.12-slim"], ImageSources(registries=(MIRROR,)))
    assert report.images[0].source == "mirror mirror.internal:5000"
    assert report.images[0].digest == DIGEST
    assert "python:3.12-slim" in engine.present
    assert "mirror.internal:5000/library/python:3.12-slim" not in engine.present  # only the Dockerfile's name is left
    assert server.ran("docker pull") == ["docker pull mirror.internal:5000/library/python:3.12-slim"]


async def test_a_private_image_is_pulled_from_its_own_registry_once():
    server = FakeServer()
    Engine(server, pullable={"registry.corp/team/base:1"})
    report = await ensure_base_images(runner(server), ["registry.corp/team/base:1"], ImageSources(registries=(MIRROR, PRIVATE)))
    assert report.images[0].source == "registry registry.corp"
    assert server.ran("docker pull") == ["docker pull registry.corp/team/base:1"]


async def test_sources_are_tried_in_order_down_to_the_operators_copy():
    server = FakeServer()
    engine = Engine(server, pull_error='Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host')
    operator = Operator(engine, holds={"node:18-slim"})
    sources = ImageSources(registries=(MIRROR,), operator=operator)
    report = await ensure_base_images(runner(server), ["node:18-slim", "node:18-slim"], sources)
    assert operator.delivered == ["node:18-slim"]
    assert report.images[0].source == "the operator's Docker engine"
    assert server.ran("docker pull") == ["docker pull mirror.internal:5000/library/node:18-slim", "docker pull node:18-slim"]


async def test_an_image_no_source_has_is_named_with_every_source_tried():
    server = FakeServer()
    engine = Engine(server, pull_error="manifest for python:3.9-slim not found: manifest unknown")
    sources = ImageSources(registries=(MIRROR,), operator=Operator(engine))
    with pytest.raises(BaseImageUnavailable) as caught:
        await ensure_base_images(runner(server), ["python:3.9-slim"], sources)
    error = caught.value
    assert error.reason == "BaseImageUnavailable" and error.image == "python:3.9-slim"
    assert [source for source, _ in error.tried] == [
        "already on the server", "mirror mirror.internal:5000", "plain pull", "the operator's Docker engine"]
    assert "python:3.9-slim" in error.message and "mirror mirror.internal:5000: it does not have the image" in error.message


async def test_a_refused_login_names_the_secret_not_its_content():
    server = FakeServer()
    Engine(server, pull_error="Head \"https://registry.corp/v2/team/base/manifests/1\": unauthorized: authentication required")
    with pytest.raises(BaseImageUnavailable) as caught:
        await ensure_base_images(runner(server), ["registry.corp/team/base:1"], ImageSources(registries=(PRIVATE,)))
    assert caught.value.tried[1] == ("registry registry.corp", "the registry refused the login (check Secret corp-login in credentialsSecretRef)")
    assert [s for s, _ in caught.value.tried] == ["already on the server", "registry registry.corp"]  # no second identical pull


def test_sources_for_a_server_leave_out_an_operator_that_only_pulls():
    spec = ServerSpec.model_validate({"address": "h", "sshKeySecretRef": {"name": "k", "key": "k"},
                                      "registries": [{"host": "mirror.internal:5000", "mirror": True}]})
    assert ImageSources.for_server(spec, RegistryPull()).operator is None
    local = LocalEngine(client=None)
    assert ImageSources.for_server(spec, local).operator is local
    assert [r.host for r in ImageSources.for_server(spec, None).registries] == ["mirror.internal:5000"]


@pytest.mark.parametrize("reference, parts", [
    ("python", ("docker.io", "library/python", ":latest")),
    ("python:3.12-slim", ("docker.io", "library/python", ":3.12-slim")),
    ("bitnami/redis:7", ("docker.io", "bitnami/redis", ":7")),
    ("localhost:5000/app", ("localhost:5000", "app", ":latest")),
    ("ghcr.io/astral-sh/uv:0.4", ("ghcr.io", "astral-sh/uv", ":0.4")),
    (f"alpine@{DIGEST}", ("docker.io", "library/alpine", f"@{DIGEST}")),
])
def test_references_resolve_as_docker_resolves_them(reference, parts):
    assert split_reference(reference) == parts


def test_only_docker_hub_images_have_a_mirror_name():
    assert mirror_reference("python:3.12", "m:5000") == "m:5000/library/python:3.12"
    assert mirror_reference("docker.io/bitnami/redis", "m:5000") == "m:5000/bitnami/redis:latest"
    assert mirror_reference("ghcr.io/a/b:1", "m:5000") is None


def test_the_digest_of_the_images_own_repository_is_picked():
    digests = [f"other@sha256:{'0' * 64}", f"python@{DIGEST}"]
    assert pick_digest("python:3.12", digests) == DIGEST
    assert pick_digest("python:3.12", [f"m:5000/library/python@{DIGEST}"], via="m:5000/library/python:3.12") == DIGEST
    assert pick_digest("python:3.12", []) is None


@pytest.mark.parametrize("output, reason", [
    ('Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io on 127.0.0.11:53: no such host',
     "its name does not resolve"),
    ("Error response from daemon: Get \"https://r:5000/v2/\": x509: certificate signed by unknown authority",
     "its TLS certificate is not trusted (set caSecretRef to its CA)"),
    ("toomanyrequests: You have reached your pull rate limit.", "the registry's pull rate limit was reached"),
    ("Error response from daemon: manifest for r:5000/x:1 not found: manifest unknown", "it does not have the image"),
    ('Get "https://r:5000/v2/": dial tcp 10.0.0.2:5000: connect: connection refused', "it cannot be reached"),
    ("something new", "something new"),
])
def test_pull_failures_are_explained_in_a_few_words(output, reason):
    assert explain_pull_failure(output) == reason


async def test_a_digest_pinned_hub_image_skips_the_explicit_mirror_pull_for_the_engines_own():
    server = FakeServer()
    ref = f"alpine@{DIGEST}"
    Engine(server, pullable={ref})
    report = await ensure_base_images(runner(server), [ref], ImageSources(registries=(MIRROR,)))
    assert report.images[0].source == "plain pull" and report.pins() == {ref: ref}
    assert server.ran("docker pull") == [f"docker pull {ref}"]


def test_the_images_of_all_builds_come_from_their_dockerfiles_in_order(tmp_path):
    tree = tmp_path / "tree"
    (tree / "api").mkdir(parents=True)
    (tree / "api" / "Dockerfile").write_text("ARG V=3.12\nFROM python:${V}-slim AS base\nFROM base\n")
    (tree / "web.Dockerfile").write_text("FROM node:18-slim AS build\nFROM nginx:1.25\nCOPY --from=build /a /b\n")
    builds = [BuildSpec(context="api"), BuildSpec(dockerfile="web.Dockerfile"),
              BuildSpec(dockerfile="FROM python:3.12-slim\nRUN true\n", origin="Generated")]
    archive = write_artifact(tree, tmp_path / "c1.tar")
    assert images_for_builds(archive, builds) == ["python:3.12-slim", "node:18-slim", "nginx:1.25"]


async def test_the_release_records_each_base_image_pinned():
    server = FakeServer()
    Engine(server, present={"python:3.12-slim"})
    report = await ensure_base_images(runner(server), ["python:3.12-slim"], ImageSources())
    (pin,) = report.release_pins()
    assert (pin.image, pin.pinned) == ("python:3.12-slim", f"python@{DIGEST}")
    assert pin.to_api() == {"image": "python:3.12-slim", "pinned": f"python@{DIGEST}"}
