"""An Application that names an image reaches HTTPS with no build: the server pulls it
from a private registry (Debian's docker-registry, TLS with its own CA, an htpasswd
login) with the login from the app's kubernetes.io/dockerconfigjson Secret, the
release pins its digest, and a new digest pushed behind the same tag is rolled out
when the app is asked to refresh. A wrong login says so on the way, and the login
never reaches status, events, the operator's log or the server's Docker config.

The registry's CA is the Server's to trust (spec.registries, caSecretRef); the login
is the app's. A missing tag and an unreachable registry are proven against the same
registry in tests/integration/provisioning/test_registries.py."""

from __future__ import annotations

import io
import json
import uuid

import pytest

from hydron_testbed.registry import gateway_address, start_registry
from hydron_testbed.servers import ensure_network
from tests.conftest import test_bed_required as bed_required

pytestmark = [pytest.mark.controlplane, pytest.mark.docker]
APP = "site"
BASE = "python:3.11-slim"  # on the server already (baseImages): the pull brings only the site's own layer
WRONG = "wrong-" + uuid.uuid4().hex


def site_image(client, text: str) -> str:
    """A tiny web image serving `text` on port 8000, built here; its ID."""
    dockerfile = (f"FROM {BASE}\nRUN mkdir -p /srv && echo '{text}' > /srv/index.html\nUSER nobody\nEXPOSE 8000\n"
                  'CMD ["python3", "-m", "http.server", "8000", "--directory", "/srv"]\n')
    image, _ = client.images.build(fileobj=io.BytesIO(dockerfile.encode()), rm=True, labels={"dev.hydron.test": "1"})
    return image.id


@pytest.fixture(scope="module")
def registry(docker_client, tmp_path_factory):
    ensure_network(docker_client)
    with bed_required():
        running = start_registry(tmp_path_factory.mktemp("registry"), gateway_address(docker_client))
    yield running
    running.stop()


def application(image: str, secret: str, server: str, domain: str) -> str:
    return json.dumps({
        "apiVersion": "hydron.dev/v1alpha1", "kind": "Application", "metadata": {"name": APP},
        "spec": {"source": {"image": {"name": image, "port": 8000, "pullSecretRef": {"name": secret}}},
                 "domains": [domain], "planning": {"serverRef": {"name": server}, "autoApprove": True}},
    })


def built(kube) -> dict:
    deployment = kube.get("deployments.hydron.dev", APP)
    return next(c for c in deployment["status"]["conditions"] if c["type"] == "Built")


@pytest.mark.timeout(1800)  # the shared server is provisioned first when this test starts the session
def test_a_private_image_is_pulled_pinned_served_over_https_and_a_new_digest_rolled_out_when_asked(
        shared_site, operator, registry, docker_client):
    kube, server, domain = shared_site.kube, shared_site.server, shared_site.domain(APP)
    first = registry.push(docker_client, site_image(docker_client, "site v1"), "team/site:stable")
    image = f"{registry.host}/team/site:stable"
    for name, password in (("regcred", registry.password), ("badcred", WRONG)):
        kube.run("create", "secret", "docker-registry", name, f"--docker-server={registry.host}",
                 f"--docker-username={registry.username}", f"--docker-password={password}")
    kube.run("create", "secret", "generic", "registry-ca", f"--from-literal=ca.crt={registry.ca_pem}")
    kube.run("patch", "server", server.name, "--type=merge", "-p", json.dumps({"spec": {"registries": [
        {"host": registry.host, "caSecretRef": {"name": "registry-ca", "key": "ca.crt"}}]}}))

    # A wrong login: Built says the registry refused it and names the Secret.
    kube.apply(application(image, "badcred", server.name, domain))
    kube.wait("applications", APP, 'jsonpath={.status.conditions[?(@.type=="Deployed")].reason}=RegistryLoginFailed',
              timeout=600)
    assert "refused the login in Secret badcred" in built(kube)["message"]

    # The right one: pulled by the server, pinned, served over HTTPS.
    kube.apply(application(image, "regcred", server.name, domain))
    kube.wait("applications", APP, "condition=Ready", timeout=300)
    assert "site v1" in server.https_get(timeout=60, domain=domain)
    pinned_first = f"{registry.host}/team/site@{first}"
    deployment = kube.get("deployments.hydron.dev", APP)
    assert deployment["status"]["releases"][-1]["images"] == [{"name": APP, "image": pinned_first}]
    assert pinned_first in built(kube)["message"]

    # A new digest behind the same tag waits until asked, then rolls out.
    second = registry.push(docker_client, site_image(docker_client, "site v2"), "team/site:stable")
    kube.run("annotate", "application", APP, "refresh.hydron.dev/requested=1", "--overwrite")
    kube.wait("deployments.hydron.dev", APP,
              f"jsonpath={{.status.releases[-1].images[0].image}}={registry.host}/team/site@{second}", timeout=300)
    kube.wait("applications", APP, "condition=Ready", timeout=300)
    assert "site v2" in server.https_get(timeout=60, domain=domain)
    releases = kube.get("deployments.hydron.dev", APP)["status"]["releases"]
    assert [(r["state"], r["images"][0]["image"]) for r in releases[-2:]] == \
        [("Superseded", pinned_first), ("Active", f"{registry.host}/team/site@{second}")]

    # The login went to the pulls only.
    seen = "\n".join([kube.run("get", "applications,deployments.hydron.dev,infraplans,servers", "-o", "json").stdout,
                      kube.run("get", "events", "-o", "json").stdout, operator.log.read_text(errors="replace")])
    assert registry.password not in seen and WRONG not in seen
    config = server.host.sh("cat /root/.docker/config.json 2>/dev/null || echo '{}'")
    assert registry.host not in json.loads(config).get("auths", {})
