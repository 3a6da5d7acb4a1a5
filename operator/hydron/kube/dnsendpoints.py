"""external-dns's `DNSEndpoint` objects (externaldns.k8s.io/v1alpha1): written for an
app's domains, deleted with it. external-dns (`--source=crd`) publishes them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kubernetes.client.exceptions import ApiException

from hydron.kube.client import custom_objects

GROUP, VERSION, PLURAL = "externaldns.k8s.io", "v1alpha1", "dnsendpoints"


class EndpointError(Exception):
    """The API server did not take the DNSEndpoint; `missing_crd` when the kind is unknown."""

    def __init__(self, message: str, missing_crd: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.missing_crd = missing_crd


@dataclass
class DnsEndpoints:
    """DNSEndpoints in one namespace, owned by `owner` (an ownerReference)."""

    namespace: str
    owner: Mapping[str, Any] | None = None
    _api: Any = field(default=None, repr=False)

    def _objects(self):
        return self._api or custom_objects()

    def _apply(self, manifest: dict[str, Any]) -> None:
        api, name = self._objects(), manifest["metadata"]["name"]
        if self.owner:
            manifest["metadata"]["ownerReferences"] = [dict(self.owner)]
        try:
            existing = api.get_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURAL, name)
        except ApiException as error:
            if error.status != 404:
                raise _error(error, name) from None
            existing = None
            if _kind_missing(error):
                raise _error(error, name) from None
        try:
            if existing is None:
                api.create_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURAL, manifest)
            elif existing.get("spec") != manifest["spec"] or _labels(existing) != manifest["metadata"]["labels"]:
                body = {**existing, "spec": manifest["spec"],
                        "metadata": {**existing["metadata"], "labels": manifest["metadata"]["labels"]}}
                api.replace_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURAL, name, body)
        except ApiException as error:
            raise _error(error, name) from None

    async def apply(self, manifest: dict[str, Any]) -> None:
        """Create the DNSEndpoint or make its endpoints and labels these."""
        await asyncio.to_thread(self._apply, manifest)

    def _delete(self, name: str) -> None:
        try:
            self._objects().delete_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURAL, name)
        except ApiException as error:
            if error.status != 404:
                raise _error(error, name) from None

    async def delete(self, name: str) -> None:
        """Delete it; one already gone (or a kind no longer served) is not an error."""
        await asyncio.to_thread(self._delete, name)


def _labels(body: Mapping[str, Any]) -> dict[str, str]:
    return dict((body.get("metadata") or {}).get("labels") or {})


def _kind_missing(error: ApiException) -> bool:
    """A 404 for the resource type itself (the CRD is not installed), not for the object:
    only an object's 404 is a Status naming it."""
    if error.status != 404:
        return False
    try:
        details = json.loads(error.body or "").get("details") or {}
    except (ValueError, AttributeError):
        return True
    return not details.get("name")


def _error(error: ApiException, name: str) -> EndpointError:
    if _kind_missing(error):
        return EndpointError("the cluster has no DNSEndpoint kind (externaldns.k8s.io/v1alpha1): install "
                             "external-dns's CRD, or use dns.rfc2136 instead.", missing_crd=True)
    if error.status == 403:
        return EndpointError(f"Hydron may not write DNSEndpoint {name}; grant it get, create, update and delete "
                             "on dnsendpoints.externaldns.k8s.io (the Helm chart's RBAC does).")
    return EndpointError(f"writing DNSEndpoint {name} failed: HTTP {error.status} {error.reason}")
