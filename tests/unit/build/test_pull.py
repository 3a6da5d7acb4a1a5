"""An image source is pulled by the server with the app's own login (never left on the
server nor in argv), pinned to the registry's digest, looked up again only when asked,
and a failed pull says why with a reason a person can act on."""

import base64
import json

import pytest

from hydron.api.application import ImageSource
from hydron.api.base import LocalObjectReference
from hydron.api.deployment import DeploymentSpec, DeployService
from hydron.build.pull import ImagePullFailed, pull_failure, pinned, resolve
from hydron.planning.handoff import pulled_from_registry
from hydron.remote.dockerconfig import LoginMissing, login_for, one_login_config
from hydron.remote.runner import CommandRunner
from tests.unit.provisioning.fakes import FakeServer, Reply

HOST = "registry.corp:5000"
IMAGE = f"{HOST}/team/site:1"
OLD, NEW = "sha256:" + "a" * 64, "sha256:" + "b" * 64
PASSWORD = "s3cret-pw"
CONFIG = json.dumps({"auths": {HOST: {"username": "ci", "password": PASSWORD}}})


class Registry:
    """The server's engine and the registry behind it: `tag_digest` is what the tag
    points at now; the engine knows what it pulled last."""

    def __init__(self, server: FakeServer, tag_digest: str = OLD, pulled: str | None = None, error: str = "") -> None:
        self.tag_digest, self.pulled, self.error, self.pulls = tag_digest, pulled, error, 0
        server.on(r"docker image inspect", self.inspect)
        server.on(r"docker (--config \S+ )?pull|sh -c", self.pull)

    def inspect(self, line: str) -> Reply:
        if self.pulled is None:
            return Reply(exit=1, stderr="Error: No such image")
        return Reply(stdout=f'sha256:{"1" * 64} ["{HOST}/team/site@{self.pulled}"]\n')

    def pull(self, line: str) -> Reply:
        self.pulls += 1
        if self.error:
            return Reply(exit=1, stderr=f"Error response from daemon: {self.error}\n")
        self.pulled = self.tag_digest
        return Reply(stdout="Status: Downloaded newer image\n")


async def test_the_first_pull_pins_the_digest_with_a_throwaway_login():
    server = FakeServer()
    registry = Registry(server)
    pin, pulled = await resolve(CommandRunner(server), IMAGE, dockerconfigjson=CONFIG, secret="regcred")
    assert (pin, pulled) == (f"{HOST}/team/site@{OLD}", True)
    (line,) = server.ran(r"sh -c")
    assert "docker --config" in line and "rm -rf" in line and PASSWORD not in line
    sent = json.loads(server.inputs[line])
    assert sent == {"auths": {HOST: {"auth": base64.b64encode(f"ci:{PASSWORD}".encode()).decode()}}}
    assert registry.pulls == 1


async def test_a_resync_keeps_the_pinned_digest_and_a_refresh_rolls_to_the_new_one():
    server = FakeServer()
    registry = Registry(server, tag_digest=NEW, pulled=OLD)  # the tag moved since the server pulled it
    run = CommandRunner(server)
    assert await resolve(run, IMAGE) == (f"{HOST}/team/site@{OLD}", False)
    assert registry.pulls == 0 and run.log.mutations == []  # no registry round trip, nothing changed
    assert await resolve(run, IMAGE, refresh=True) == (f"{HOST}/team/site@{NEW}", True)
    assert server.ran(r"^docker pull -- ")  # no login: root's own Docker config applies


async def test_a_digest_pinned_name_is_only_pulled_when_missing():
    server = FakeServer()
    Registry(server, pulled=OLD)
    assert await resolve(CommandRunner(server), f"{HOST}/team/site@{OLD}") == (f"{HOST}/team/site@{OLD}", False)
    assert not server.ran("pull")


@pytest.mark.parametrize(("said", "reason", "hint"), [
    ('Head "https://registry.corp:5000/v2/team/site/manifests/1": unauthorized: authentication required',
     "RegistryLoginFailed", "refused the login in Secret regcred"),
    ("manifest for registry.corp:5000/team/site:1 not found: manifest unknown: manifest unknown",
     "ImageNotFound", "has no team/site:1"),
    ('Get "https://registry.corp:5000/v2/": dial tcp 10.0.0.9:5000: connect: connection refused',
     "RegistryUnreachable", "cannot reach registry registry.corp:5000"),
    ('Get "https://registry.corp:5000/v2/": dial tcp: lookup registry.corp on 127.0.0.11:53: no such host',
     "RegistryUnreachable", "cannot reach"),
    ('Get "https://registry.corp:5000/v2/": tls: failed to verify certificate: x509: certificate signed by unknown '
     'authority', "RegistryUntrusted", "caSecretRef"),
    ("something odd", "ImagePullFailed", "something odd"),
])
async def test_a_failed_pull_names_its_cause(said, reason, hint):
    server = FakeServer()
    Registry(server, error=said)
    with pytest.raises(ImagePullFailed) as caught:
        await resolve(CommandRunner(server), IMAGE, dockerconfigjson=CONFIG, secret="regcred")
    assert caught.value.reason == reason and hint in caught.value.message
    assert PASSWORD not in caught.value.message


def test_a_registry_wanting_a_login_without_a_secret_says_where_to_put_one():
    failure = pull_failure(IMAGE, "no basic auth credentials", None)
    assert failure.reason == "RegistryLoginFailed" and "spec.source.image.pullSecretRef" in failure.message


async def test_a_secret_without_a_login_for_the_registry_is_named():
    server = FakeServer()
    Registry(server)
    other = json.dumps({"auths": {"elsewhere.io": {"auth": "eDp5"}}})
    with pytest.raises(ImagePullFailed) as caught:
        await resolve(CommandRunner(server), IMAGE, dockerconfigjson=other, secret="regcred")
    assert caught.value.reason == "RegistryLoginMissing" and "regcred" in caught.value.message
    assert not server.ran("pull")


def test_docker_hub_logins_are_found_under_any_of_their_names():
    config = json.dumps({"auths": {"https://index.docker.io/v1/": {"auth": "dTpw"}}})
    assert login_for(config, "docker.io", "s") == {"auth": "dTpw"}
    assert json.loads(one_login_config(config, "docker.io", "s")) == {"auths": {"https://index.docker.io/v1/": {"auth": "dTpw"}}}
    with pytest.raises(LoginMissing):
        login_for(config, "ghcr.io", "s")


def test_the_pin_keeps_the_repository_and_drops_the_tag():
    assert pinned(IMAGE, f'sha256:1 ["{HOST}/team/site@{OLD}"]') == f"{HOST}/team/site@{OLD}"
    assert pinned(IMAGE, "sha256:1 []") is None


def test_an_image_source_hands_its_login_and_refresh_to_the_deployment():
    spec = DeploymentSpec(server_ref=LocalObjectReference(name="srv"), services=[
        DeployService(name="site", image=IMAGE), DeployService(name="db", image="postgres:16")])
    source = ImageSource(name=IMAGE, port=80, pull_secret_ref=LocalObjectReference(name="regcred"))
    handed = pulled_from_registry(spec, source, "1700000000")
    site, db = handed.services
    assert site.image_pull is not None and site.image_pull.secret_ref.name == "regcred"
    assert db.image_pull is None and handed.image_refresh == "1700000000"
    assert handed.to_api()["services"][0]["imagePull"] == {"secretRef": {"name": "regcred"}}
