"""The API server itself holds a Server to "an address, or a provider order" (the CRD's
CEL rules), and lets Hydron write the address it learned once, never change it."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.controlplane, pytest.mark.provider]

ORDERED = """
apiVersion: hydron.dev/v1alpha1
kind: Server
metadata: {name: web}
spec:
  provider: hetzner
  order: {accountSecretRef: {name: hetzner, key: token}, offer: cx33, location: fsn1}
  sshKeySecretRef: {name: web-ssh, key: ssh-privatekey}
"""


def test_an_ordered_server_needs_no_address_and_gets_it_once(kube):
    kube.apply(ORDERED)
    kube.run("patch", "servers", "web", "--type=merge", "-p", '{"spec":{"address":"198.51.100.7"}}')
    moved = kube.run("patch", "servers", "web", "--type=merge", "-p", '{"spec":{"address":"198.51.100.8"}}', check=False)
    assert moved.returncode != 0 and "is immutable" in moved.stderr


@pytest.mark.parametrize("spec, message", [
    ("  sshKeySecretRef: {name: s, key: k}\n", "a byo server needs an address"),
    ("  provider: hetzner\n  sshKeySecretRef: {name: s, key: k}\n", "a server ordered from a provider needs spec.order"),
])
def test_a_server_with_neither_address_nor_order_is_refused(kube, spec, message):
    result = kube.apply(f"apiVersion: hydron.dev/v1alpha1\nkind: Server\nmetadata: {{name: bad}}\nspec:\n{spec}", check=False)
    assert result.returncode != 0 and message in result.stderr, result.stderr
