"""Reading Secrets on the real API server: values come back, errors never show them."""

import pytest

from hydron.kube import client
from hydron.kube.secrets import SecretError, read_secret_key

pytestmark = pytest.mark.controlplane


@pytest.fixture
def api(control_plane, monkeypatch):
    monkeypatch.setenv("KUBECONFIG", str(control_plane.kubeconfig))
    client.api_client.cache_clear()
    yield
    client.api_client.cache_clear()


async def test_reads_one_key(kube, api):
    kube.run("create", "secret", "generic", "ssh", "--from-literal=ssh-privatekey=PRIVATE-KEY-TEXT")
    assert await read_secret_key(kube.namespace, "ssh", "ssh-privatekey") == "PRIVATE-KEY-TEXT"


async def test_missing_key_lists_the_keys_but_not_the_values(kube, api):
    kube.run("create", "secret", "generic", "git", "--from-literal=password=hunter2")
    with pytest.raises(SecretError) as caught:
        await read_secret_key(kube.namespace, "git", "token")
    assert caught.value.reason == "SecretKeyMissing"
    assert "password" in caught.value.message and "hunter2" not in caught.value.message


async def test_missing_secret_is_retryable_with_a_hint(kube, api):
    with pytest.raises(SecretError) as caught:
        await read_secret_key(kube.namespace, "nope", "token")
    assert caught.value.reason == "SecretNotFound"
    assert caught.value.retryable
    assert "create it" in caught.value.message
