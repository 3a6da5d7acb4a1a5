"""The registries step: mirrors merged into daemon.json (Docker reloaded only when it
changed), private CAs trusted, logins in root's Docker config with mode 600, and no
login ever in a message, a log line or a command line."""

import base64
import json
import shlex

import pytest

from hydron.api.server import ServerSpec
from hydron.provisioning.failures import StepError
from hydron.provisioning.registries import login_for, merged_mirrors
from hydron.provisioning.steps.registries import DOCKER_CONFIG, Registries
from hydron.remote.runner import CommandRunner
from tests.unit.provisioning.fakes import FakeServer, Reply
from tests.unit.provisioning.helpers import context

PASSWORD = "hunter2-very-secret"
AUTH = base64.b64encode(f"ci:{PASSWORD}".encode()).decode()
CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"
SECRETS = {
    ("mirror-login", ".dockerconfigjson"): json.dumps({"auths": {"https://mirror.internal:5000": {
        "username": "ci", "password": PASSWORD, "auth": AUTH}}}),
    ("mirror-ca", "ca.crt"): CA,
}


class Files:
    """A server's files as the read/write builders see them, plus Docker's view of its mirrors."""

    def __init__(self, server: FakeServer, files: dict[str, str]) -> None:
        self.files, self.modes, self.engine_mirrors = dict(files), {}, []
        server.on(r"^sh -c .*cat -- ", self.read)
        server.on(r"^sh -c .*hydron-new", lambda line: Reply())  # content arrives via stdin, applied in write()
        server.on(r"RegistryConfig", lambda line: Reply(stdout=json.dumps(self.engine_mirrors)))
        server.on(r"--signal HUP", self.reload)
        self.server = server

    def read(self, line: str) -> Reply:
        path = shlex.split(line)[-1]
        return Reply(stdout=self.files[path]) if path in self.files else Reply(exit=3)

    def reload(self, line: str) -> Reply:
        daemon = json.loads(self.files.get("/etc/docker/daemon.json", "{}"))
        self.engine_mirrors = [m + "/" for m in daemon.get("registry-mirrors", [])]
        return Reply()

    def apply_writes(self) -> None:
        for line, data in self.server.inputs.items():
            argv = shlex.split(line)
            if "hydron-new" in line:
                self.files[argv[4]], self.modes[argv[4]] = data.decode(), argv[5]
        self.server.inputs.clear()


def setup(registries, files=None):
    server = FakeServer()
    fs = Files(server, files or {})
    ctx = context(server)
    seen = []
    ctx.run = CommandRunner(server, on_line=lambda stream, line: seen.append(line))
    ctx.spec = ServerSpec.model_validate({**ctx.spec.to_api(), "registries": registries})
    ctx.read_secret = lambda name, key: SECRETS[(name, key)]
    return server, fs, ctx, seen


async def converge(ctx, fs):
    step = Registries()
    found = await step.observe(ctx)
    if found.ok:
        return found, None
    # Each write's stdin is applied before Docker is reloaded, as on a real server.
    original = fs.server.exec

    async def exec(line, **kwargs):
        result = await original(line, **kwargs)
        fs.apply_writes()
        return result

    fs.server.exec = exec
    done = await step.change(ctx, found)
    return await step.verify(ctx), done


async def test_without_registries_nothing_is_changed():
    server, fs, ctx, _ = setup([], {"/etc/docker/daemon.json": '{"log-driver": "json-file"}'})
    found = await Registries().observe(ctx)
    assert found.ok and "No registries named" in found.detail
    assert ctx.run.log.mutations == []


async def test_a_mirror_with_login_and_ca_is_configured_and_the_password_goes_nowhere_else():
    daemon = {"log-driver": "json-file", "registry-mirrors": ["https://admins-own.example"]}
    server, fs, ctx, seen = setup(
        [{"host": "mirror.internal:5000", "mirror": True, "credentialsSecretRef": {"name": "mirror-login"},
          "caSecretRef": {"name": "mirror-ca", "key": "ca.crt"}}],
        {"/etc/docker/daemon.json": json.dumps(daemon), DOCKER_CONFIG: json.dumps({"auths": {"other.io": {"auth": "eA=="}}})},
    )
    verified, done = await converge(ctx, fs)
    assert verified.ok, verified.detail
    written = json.loads(fs.files["/etc/docker/daemon.json"])
    assert written["log-driver"] == "json-file"
    assert written["registry-mirrors"] == ["https://mirror.internal:5000", "https://admins-own.example"]
    config = json.loads(fs.files[DOCKER_CONFIG])
    assert config["auths"] == {"other.io": {"auth": "eA=="}, "mirror.internal:5000": {"auth": AUTH}}
    assert fs.modes[DOCKER_CONFIG] == "0600"
    assert fs.files["/etc/docker/certs.d/mirror.internal:5000/ca.crt"].strip() == CA
    assert len(server.ran("--signal HUP")) == 1

    everything_said = [done, verified.detail, *server.lines, *seen, *ctx.run.log.mutations]
    assert not [s for s in everything_said if PASSWORD in s or AUTH in s]

    ctx.run.log.mutations.clear()
    again = await Registries().observe(ctx)
    assert again.ok and ctx.run.log.mutations == []  # a second pass changes nothing


async def test_a_mirror_no_longer_named_is_removed_but_an_admins_own_is_kept():
    daemon = {"registry-mirrors": ["https://mirror.internal:5000", "https://admins-own.example"]}
    server, fs, ctx, _ = setup([], {"/etc/docker/daemon.json": json.dumps(daemon),
                                    "/etc/hydron/registry-mirrors.json": '["https://mirror.internal:5000"]'})
    verified, _ = await converge(ctx, fs)
    assert verified.ok, verified.detail
    assert json.loads(fs.files["/etc/docker/daemon.json"])["registry-mirrors"] == ["https://admins-own.example"]


async def test_a_secret_without_a_login_for_the_host_is_named_without_its_content():
    server, fs, ctx, _ = setup([{"host": "registry.corp", "credentialsSecretRef": {"name": "mirror-login"}}])
    with pytest.raises(StepError) as caught:
        await Registries().observe(ctx)
    assert "mirror-login" in caught.value.message and "registry.corp" in caught.value.message
    assert PASSWORD not in caught.value.message and "ci" not in caught.value.message.split()


def test_merging_mirrors_keeps_others_and_drops_only_ours():
    assert merged_mirrors(["https://a", "https://old"], ["https://old"], ["https://new"]) == ["https://new", "https://a"]
    assert merged_mirrors(["https://new/"], ["https://new"], ["https://new"]) == ["https://new"]


def test_a_login_is_found_however_the_secret_spells_the_host():
    for key in ("r:5000", "https://r:5000", "https://r:5000/v1/", "http://r:5000"):
        assert login_for(json.dumps({"auths": {key: {"auth": "QQ=="}}}), "r:5000", "s") == {"auth": "QQ=="}
    made = login_for(json.dumps({"auths": {"r": {"username": "u", "password": "p"}}}), "r", "s")
    assert base64.b64decode(made["auth"]) == b"u:p"
