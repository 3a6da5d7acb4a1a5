"""Base images reach a real server through a real registry (Debian's docker-registry
with TLS and an htpasswd login) named on the Server as a mirror or a private registry,
and a missing one is named with every source tried. An Application's image is pulled
there with the app's own login, pinned, and a failed pull names its cause. One server and one registry for
the module; the tests run in file order on them (each reconfigures the Server)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import tarfile
import uuid

from dataclasses import replace

import pytest

from hydron.build.base_images import needed_images
from hydron.build.delivery import BaseImageUnavailable, ImageSources, ensure_base_images
from hydron.build.pull import ImagePullFailed, resolve
from hydron.api.server import Server
from hydron.build.tunnel import docker_client as server_docker
from hydron.controllers.server import reconcile
from hydron.remote.servers import open_session
from hydron.remote.runner import CommandRunner
from hydron_testbed.reconcile import Events, condition, make_runtime, step, with_status
from hydron_testbed.registry import gateway_address, start_registry
from hydron_testbed.servers import ensure_network
from tests.conftest import test_bed_required as bed_required

pytestmark = pytest.mark.docker

RUN = uuid.uuid4().hex[:8]
ONLY_ON_MIRROR = f"hydron-mirror-only:{RUN}"  # a Docker Hub name no registry but the mirror has
NOWHERE = f"hydron-nowhere:{RUN}"
STAND_IN = "debian:bookworm-slim"  # what is pushed; also in this machine's engine (the operator's copy)
WRONG_PASSWORD = "wrong-" + uuid.uuid4().hex


class Bed:
    def __init__(self, host, registry, runtime, server, client) -> None:
        self.host, self.registry, self.runtime, self.server, self.client = host, registry, runtime, server, client
        self.digests: dict[str, str] = {}
        self.lines: list[str] = []

    def read_secret(self, name: str, key: str) -> str:
        if name == "registry-login":
            return self.registry.dockerconfigjson()
        if name == "bad-login":
            return self.registry.dockerconfigjson(password=WRONG_PASSWORD)
        if name == "registry-ca":
            return self.registry.ca_pem
        return self.host.read_secret(name, key)

    async def reconcile(self, **spec):
        server = Server.model_validate({"spec": {**self.server.spec.to_api(), **spec}})
        server = server.model_copy(update={"status": self.server.status})
        events = Events()
        deps = replace(self.runtime, read_secret=self.read_secret, emit=events,
                       on_output=lambda stream, line: self.lines.append(line))
        result = await reconcile(server, 1, deps)
        self.server = with_status(server, result)
        return result, events

    async def ensure(self, images):
        session = await open_session(self.server.spec, self.server.status, self.read_secret, self.runtime.pool)
        run = CommandRunner(session, "root", on_line=lambda stream, line: self.lines.append(line))
        sources = ImageSources.for_server(self.server.spec, self.runtime.settings.image_source)
        return await ensure_base_images(run, images, sources)


@pytest.fixture(scope="module")
async def bed(server_factory, docker_client, tmp_path_factory):
    ensure_network(docker_client)
    with bed_required():
        registry = start_registry(tmp_path_factory.mktemp("registry"), gateway_address(docker_client))
    try:
        (host,) = server_factory.hosts(1)
        runtime = make_runtime(docker_client)
        bed = Bed(host, registry, runtime, host.server(), docker_client)
        for repository in (f"library/{ONLY_ON_MIRROR}", f"team/base:{RUN}"):
            bed.digests[repository] = registry.push(docker_client, STAND_IN, repository)
        first, _ = await bed.reconcile()
        assert condition(first, "Ready").status == "True", first.status.conditions
        yield bed
        await runtime.pool.close()
        server_factory.remove(host)
    finally:
        registry.stop()


async def test_an_image_no_source_has_is_named_with_every_source_tried(bed):
    registries = next(s for s in bed.server.status.steps if s.name == "registries")
    assert "No registries named" in registries.message and not registries.changed
    with pytest.raises(BaseImageUnavailable) as caught:
        await bed.ensure([ONLY_ON_MIRROR])
    error = caught.value
    assert error.reason == "BaseImageUnavailable" and error.image == ONLY_ON_MIRROR
    assert [source for source, _ in error.tried] == ["already on the server", "plain pull", "the operator's Docker engine"]
    assert dict(error.tried)["plain pull"] == "its name does not resolve"  # no internet here: Docker Hub is unknown
    assert ONLY_ON_MIRROR in error.message


async def test_a_mirror_with_login_and_private_ca_is_configured_on_the_server(bed):
    registry = bed.registry
    result, events = await bed.reconcile(registries=[{
        "host": registry.host, "mirror": True,
        "credentialsSecretRef": {"name": "registry-login"}, "caSecretRef": {"name": "registry-ca", "key": "ca.crt"},
    }])
    assert condition(result, "Ready").status == "True", condition(result, "Provisioned").message
    assert step(result, "registries").changed
    daemon = json.loads(bed.host.sh("cat /etc/docker/daemon.json"))
    assert daemon["registry-mirrors"] == [f"https://{registry.host}"]
    assert daemon["log-driver"] == "json-file"  # the log settings are kept
    assert f"https://{registry.host}/" in bed.host.sh("docker info --format '{{json .RegistryConfig.Mirrors}}'")
    assert bed.host.sh("stat -c %a /root/.docker/config.json").strip() == "600"
    assert registry.host in json.loads(bed.host.sh("cat /root/.docker/config.json"))["auths"]
    assert bed.host.sh(f"cat /etc/docker/certs.d/{registry.host}/ca.crt").strip() == registry.ca_pem.strip()

    again, _ = await bed.reconcile()
    assert not step(again, "registries").changed and again.commands.mutations == []


async def test_an_image_only_on_the_mirror_reaches_the_server_through_it_with_its_digest(bed):
    report = await bed.ensure([ONLY_ON_MIRROR])
    (image,) = report.images
    assert image.source == f"mirror {bed.registry.host}"
    assert image.digest == bed.digests[f"library/{ONLY_ON_MIRROR}"]
    assert report.pins() == {ONLY_ON_MIRROR: f"hydron-mirror-only@{image.digest}"}
    assert ONLY_ON_MIRROR in bed.host.sh("docker image ls --format '{{.Repository}}:{{.Tag}}'")
    assert bed.registry.host not in bed.host.sh("docker image ls --format '{{.Repository}}'")  # only the Dockerfile's name


async def test_a_multi_stage_dockerfile_with_arg_in_from_builds_with_no_pull(bed):
    dockerfile = (
        f"ARG BASE={ONLY_ON_MIRROR}\n"
        "FROM ${BASE} AS build\n"
        "RUN echo built > /out\n"
        f"FROM {STAND_IN}\n"
        "COPY --from=build /out /out\n"
    )
    images = needed_images(dockerfile)
    assert images == [ONLY_ON_MIRROR, STAND_IN]
    report = await bed.ensure(images)
    assert [i.source for i in report.images] == ["already on the server", "the operator's Docker engine"]

    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile)
        tar.addfile(info, io.BytesIO(dockerfile.encode()))
    session = await open_session(bed.server.spec, bed.server.status, bed.read_secret, bed.runtime.pool)
    async with server_docker(session) as client:
        def build() -> list[dict]:
            return list(client.api.build(fileobj=io.BytesIO(context.getvalue()), custom_context=True, pull=False,
                                         tag=f"hydron-test/multi:{RUN}", decode=True))

        out = await asyncio.to_thread(build)
    assert not [c for c in out if "error" in c], out[-3:]


async def test_a_private_image_is_pulled_from_its_registry_with_the_login(bed):
    report = await bed.ensure([f"{bed.registry.host}/team/base:{RUN}"])
    assert report.images[0].source == f"registry {bed.registry.host}"
    assert report.images[0].digest == bed.digests[f"team/base:{RUN}"]


async def test_a_wrong_login_gives_a_clear_reason_and_the_password_goes_nowhere(bed, caplog):
    caplog.set_level(logging.DEBUG)
    bed.lines.clear()
    registry = bed.registry
    result, events = await bed.reconcile(registries=[{
        "host": registry.host, "credentialsSecretRef": {"name": "bad-login"},
        "caSecretRef": {"name": "registry-ca", "key": "ca.crt"},
    }])
    assert condition(result, "Ready").status == "True", condition(result, "Provisioned").message
    assert step(result, "registries").changed  # the new login replaced the good one; the mirror is gone
    assert json.loads(bed.host.sh("cat /etc/docker/daemon.json"))["registry-mirrors"] == []
    assert bed.host.sh("docker info --format '{{json .RegistryConfig.Mirrors}}'").strip() in ("[]", "null")

    with pytest.raises(BaseImageUnavailable) as caught:
        await bed.ensure([f"{registry.host}/team/other:{RUN}"])
    said = dict(caught.value.tried)[f"registry {registry.host}"]
    assert said == "the registry refused the login (check Secret bad-login in credentialsSecretRef)"

    everything = "\n".join([
        caught.value.message, json.dumps(result.status.to_api()), *map(str, events), *bed.lines,
        *result.commands.mutations, caplog.text,
    ])
    for secret in (WRONG_PASSWORD, registry.password):
        assert secret not in everything
    assert WRONG_PASSWORD not in json.dumps(json.loads(bed.host.sh("cat /root/.docker/config.json")))  # base64 only


async def test_an_image_missing_everywhere_recovers_once_a_mirror_has_it(bed):
    with pytest.raises(BaseImageUnavailable):
        await bed.ensure([NOWHERE])
    bed.registry.push(bed.client, STAND_IN, f"library/{NOWHERE}")
    await bed.reconcile(registries=[{
        "host": bed.registry.host, "mirror": True, "credentialsSecretRef": {"name": "registry-login"},
        "caSecretRef": {"name": "registry-ca", "key": "ca.crt"},
    }])
    report = await bed.ensure([NOWHERE])
    assert report.images[0].source == f"mirror {bed.registry.host}"


# --- an Application's image, pulled by the server with the app's own login ----------


async def _resolve(bed, image, password=None, refresh=False, login=True):
    session = await open_session(bed.server.spec, bed.server.status, bed.read_secret, bed.runtime.pool)
    run = CommandRunner(session, "root", on_line=lambda stream, line: bed.lines.append(line))
    config = bed.registry.dockerconfigjson(password) if login else None
    return await resolve(run, image, dockerconfigjson=config, secret="app-login" if login else None, refresh=refresh)


async def _trust_only(bed):
    """The Server trusts the registry's CA and holds no login for it: the app's Secret is what logs in."""
    await bed.reconcile(registries=[{"host": bed.registry.host, "caSecretRef": {"name": "registry-ca", "key": "ca.crt"}}])


async def test_an_image_source_is_pinned_with_the_apps_login_and_its_tag_looked_up_again_only_when_asked(bed):
    await _trust_only(bed)
    root_config = bed.host.sh("cat /root/.docker/config.json 2>/dev/null || true")
    image = f"{bed.registry.host}/team/site:{RUN}"
    first = bed.registry.push(bed.client, STAND_IN, f"team/site:{RUN}")
    assert await _resolve(bed, image) == (f"{bed.registry.host}/team/site@{first}", True)

    newer, _ = bed.client.images.build(fileobj=io.BytesIO(f"FROM {STAND_IN}\nLABEL release={RUN}-2\n".encode()),
                                       rm=True, labels={"dev.hydron.test": "1"})
    second = bed.registry.push(bed.client, newer.id, f"team/site:{RUN}")  # the same tag, a new digest (the
    # push removes its only name, so the built image goes with it)
    assert second != first
    assert await _resolve(bed, image) == (f"{bed.registry.host}/team/site@{first}", False)  # not asked: pinned
    assert await _resolve(bed, image, refresh=True) == (f"{bed.registry.host}/team/site@{second}", True)
    assert bed.host.sh("docker image inspect --format '{{.Id}}' " + f"{bed.registry.host}/team/site@{first}").strip()

    # The login was used for the pull only: root's Docker config is as it was, no throwaway config is left.
    assert bed.host.sh("cat /root/.docker/config.json 2>/dev/null || true") == root_config
    assert bed.host.sh("ls -d /tmp/tmp.* 2>/dev/null || true").strip() == ""


async def test_a_wrong_login_a_missing_tag_and_an_unreachable_registry_each_name_their_cause(bed, caplog):
    caplog.set_level(logging.DEBUG)
    await _trust_only(bed)
    bed.registry.push(bed.client, STAND_IN, f"team/private:{RUN}")
    causes = {}
    closed = f"{gateway_address(bed.client)}:1"  # nothing listens there
    for image, password, login in ((f"{bed.registry.host}/team/private:{RUN}", WRONG_PASSWORD, True),
                                   (f"{bed.registry.host}/team/private:no-such-tag", None, True),
                                   (f"{closed}/team/private:{RUN}", None, False)):  # a login only the registry has
        with pytest.raises(ImagePullFailed) as caught:
            await _resolve(bed, image, password, login=login)
        causes[caught.value.reason] = caught.value.message
    assert list(causes) == ["RegistryLoginFailed", "ImageNotFound", "RegistryUnreachable"], causes
    assert causes["RegistryLoginFailed"].startswith(
        f"Registry {bed.registry.host} refused the login in Secret app-login: check its user and password")
    assert f"has no team/private:no-such-tag" in causes["ImageNotFound"]
    assert f"cannot reach registry {closed}" in causes["RegistryUnreachable"]
    everything = "\n".join([*causes.values(), *bed.lines, caplog.text])
    assert WRONG_PASSWORD not in everything and bed.registry.password not in everything
