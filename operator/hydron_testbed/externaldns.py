"""external-dns's side of a `DNSEndpoint`, for clusters that run it.

* `CRD`: the DNSEndpoint kind (externaldns.k8s.io/v1alpha1) as the test bed installs
  it, written here with the fields external-dns reads (dnsName, recordType, targets,
  recordTTL);
* `sync_to_bind`: what external-dns's rfc2136 provider does with them, once: every
  endpoint of the objects in a namespace becomes a signed update to the test BIND.

external-dns itself is not built here (its Go module pulls every cloud provider's
SDK: too heavy for the test machines); this stand-in lets the tests show the whole
path, from the object Hydron writes to the record its route waits for.
"""

from __future__ import annotations

import json
import subprocess

import dns.query
import dns.rcode
import dns.tsig
import dns.update

from hydron_testbed.bind import Bind
from hydron_testbed.controlplane import ControlPlane

_STRING = {"type": "string"}
CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    # *.k8s.io groups need this annotation; external-dns's own CRD names its approval.
    "metadata": {"name": "dnsendpoints.externaldns.k8s.io",
                 "annotations": {"api-approved.kubernetes.io": "https://github.com/kubernetes-sigs/external-dns/pull/2007"}},
    "spec": {
        "group": "externaldns.k8s.io",
        "scope": "Namespaced",
        "names": {"kind": "DNSEndpoint", "listKind": "DNSEndpointList", "plural": "dnsendpoints",
                  "singular": "dnsendpoint"},
        "versions": [{
            "name": "v1alpha1", "served": True, "storage": True, "subresources": {"status": {}},
            "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                "spec": {"type": "object", "properties": {"endpoints": {"type": "array", "items": {
                    "type": "object", "properties": {
                        "dnsName": _STRING, "recordType": _STRING, "recordTTL": {"type": "integer", "format": "int64"},
                        "targets": {"type": "array", "items": _STRING}, "setIdentifier": _STRING,
                        "labels": {"type": "object", "additionalProperties": _STRING},
                        "providerSpecific": {"type": "array", "items": {"type": "object", "properties": {
                            "name": _STRING, "value": _STRING}}},
                    }}}}},
                "status": {"type": "object", "properties": {"observedGeneration": {"type": "integer"}}},
            }}},
        }],
    },
}


def _kubectl(plane: ControlPlane, *args: str, input: str | None = None, check: bool = True):
    done = subprocess.run([str(plane.kubectl), *args], input=input, env=plane.env(), capture_output=True, text=True)
    if check and done.returncode != 0:
        raise RuntimeError(f"kubectl {' '.join(args)}: {done.stderr.strip()}")
    return done


def installed(plane: ControlPlane) -> bool:
    return _kubectl(plane, "get", "crd", CRD["metadata"]["name"], check=False).returncode == 0


def install(plane: ControlPlane) -> None:
    """Install the DNSEndpoint CRD (idempotent) and wait until it is served."""
    _kubectl(plane, "apply", "--server-side", "-f", "-", input=json.dumps(CRD))
    _kubectl(plane, "wait", "--for=condition=Established", "--timeout=60s", f"crd/{CRD['metadata']['name']}")


def endpoints(plane: ControlPlane, namespace: str) -> list[dict]:
    """Every endpoint of every DNSEndpoint in the namespace."""
    got = _kubectl(plane, "-n", namespace, "get", "dnsendpoints", "-o", "json")
    return [e for item in json.loads(got.stdout)["items"] for e in (item.get("spec") or {}).get("endpoints") or []]


def sync_to_bind(plane: ControlPlane, namespace: str, bind: Bind) -> int:
    """Publish every endpoint in the namespace to BIND, as external-dns would; returns how many."""
    found = endpoints(plane, namespace)
    update = dns.update.UpdateMessage(bind.zone, keyring=dns.tsig.Key(bind.key_name, bind.secret, bind.algorithm))
    for endpoint in found:
        name = endpoint["dnsName"].removesuffix("." + bind.zone)
        update.replace(name, endpoint.get("recordTTL") or 300, endpoint["recordType"], *endpoint["targets"])
    if found:
        response = dns.query.tcp(update, "127.0.0.1", port=bind.port, timeout=5)
        assert response.rcode() == dns.rcode.NOERROR, dns.rcode.to_text(response.rcode())
    return len(found)
