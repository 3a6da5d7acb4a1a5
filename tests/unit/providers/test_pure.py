"""The pure parts of ordering: the cloud-init a machine boots with, the name and labels
an order is found by again, and how Hetzner's errors become condition reasons."""

from __future__ import annotations

import pytest
import requests
from hcloud import APIException

from hydron.providers import cloudinit, hetzner
from hydron.providers.ordering import OWNER_LABEL, Owner
from hydron.remote import hostkeys


def test_the_user_data_installs_the_login_key_and_the_generated_host_key_and_no_passwords():
    private, public = cloudinit.host_key()
    config = cloudinit.parse(cloudinit.user_data("ssh-ed25519 AAAAlogin hydron", private, public))
    assert config["ssh_authorized_keys"] == ["ssh-ed25519 AAAAlogin hydron"]
    assert config["ssh_keys"] == {"ed25519_private": private, "ed25519_public": public}
    assert config["ssh_pwauth"] is False and config["ssh_deletekeys"] is True
    assert hostkeys.normalize(public) == public and public.startswith("ssh-ed25519 ")


def test_every_order_gets_its_own_host_key():
    assert cloudinit.host_key()[1] != cloudinit.host_key()[1]


def test_a_machine_is_named_and_labelled_after_its_server_within_the_providers_limits():
    owner = Owner("Team_A", "web." + "x" * 80, "0f8fad5b-d9cb-469f-a165-70867728950e")
    name = owner.machine_name()
    assert len(name) <= 63 and name.endswith("-0f8fad5b") and name.startswith("team-a-web-x")
    labels = owner.labels()
    assert labels[OWNER_LABEL] == owner.uid
    assert all(len(v) <= 63 and v[0].isalnum() and v[-1].isalnum() for v in labels.values())


@pytest.mark.parametrize("code, reason, retryable", [
    ("unauthorized", "ProviderInvalidToken", False),
    ("token_readonly", "ProviderInvalidToken", False),
    ("rate_limit_exceeded", "ProviderRateLimited", True),
    ("resource_unavailable", "OfferUnavailable", True),
    ("placement_error", "LocationFull", True),
    ("resource_limit_exceeded", "QuotaExceeded", False),
    ("invalid_input", "UnknownOffer", False),
    ("service_error", "ProviderUnavailable", True),
    (503, "ProviderUnavailable", True),
    ("something_new", "ProviderError", False),
])
def test_hetzner_errors_become_reasons_with_whether_waiting_heals_them(code, reason, retryable):
    error = hetzner.translate(APIException(code, "refused", None), "create the server")
    assert (error.reason, error.retryable) == (reason, retryable)
    assert error.message.startswith("Hetzner Cloud refused to create the server: refused")


def test_no_answer_at_all_is_retried():
    error = hetzner.translate(requests.ConnectionError("reset"), "list servers")
    assert error.reason == "ProviderUnavailable" and error.retryable
