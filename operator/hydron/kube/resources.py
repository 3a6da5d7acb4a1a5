"""Hydron's own objects through the API: read an owner, create owned children,
nudge a child to look again, keep generated Secrets."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable, Mapping
from typing import Any

from kubernetes.client.exceptions import ApiException

from hydron.api import API_VERSION, GROUP, VERSION
from hydron.kube.client import core_v1, custom_objects


def owner_reference(body: Mapping[str, Any]) -> dict[str, Any]:
    """Makes the child go when its owner goes (Kubernetes' garbage collector)."""
    return {
        "apiVersion": body.get("apiVersion", API_VERSION),
        "kind": body["kind"],
        "name": body["metadata"]["name"],
        "uid": body["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def child_manifest(owner: Mapping[str, Any], kind: str, name: str, spec: dict[str, Any],
                   labels: Mapping[str, str]) -> dict[str, Any]:
    """A Hydron object owned by `owner` (it goes when the owner goes)."""
    return {
        "apiVersion": API_VERSION,
        "kind": kind,
        "metadata": {"name": name, "labels": dict(labels), "ownerReferences": [owner_reference(owner)]},
        "spec": spec,
    }


def watched_copy(body: Mapping[str, Any], annotations: tuple[str, ...] = (),
                 status: tuple[str, ...] | None = None) -> dict[str, Any]:
    """What the operator keeps of a watched object for as long as the object lives: its
    spec, the named annotations and status fields (all of status when None). Not its
    managedFields nor kopf's copy of the last handled spec, which are most of a body
    and never read from here."""
    current = (body.get("metadata") or {}).get("annotations") or {}
    observed = body.get("status") or {}
    return {"metadata": {"annotations": {k: current[k] for k in annotations if k in current}},
            "spec": body.get("spec") or {},
            "status": dict(observed) if status is None else {k: observed[k] for k in status if k in observed}}


def annotated(existing: Mapping[str, Any], annotations: Mapping[str, str]) -> bool:
    """The object already carries these annotation values."""
    current = (existing.get("metadata") or {}).get("annotations") or {}
    return all(current.get(k) == v for k, v in annotations.items())


def kept_spec(existing: Mapping[str, Any], spec: Mapping[str, Any], keep: tuple[str, ...]) -> dict[str, Any]:
    """`spec`, plus the `keep` fields the existing object has and `spec` leaves out
    (fields people own, a rollback pin, outlive the owner's rewrite)."""
    result = dict(spec)
    for field in keep:
        if field in (existing.get("spec") or {}) and field not in result:
            result[field] = existing["spec"][field]
    return result


def up_to_date(known: Mapping[str, Any] | None, spec: Mapping[str, Any], keep: tuple[str, ...] = (),
               annotations: Mapping[str, str] | None = None) -> bool:
    """A write of this child can be skipped: the watched copy `known` already has the
    spec (or, for a create-only child, the annotations). Saves a GET per child on every
    resync, so an idle operator's requests do not grow with its objects."""
    if known is None:
        return False
    if annotations is not None:
        return annotated(known, annotations)
    return known.get("spec") == kept_spec(known, spec, keep)


def _get(plural: str, namespace: str, name: str) -> dict[str, Any] | None:
    try:
        return custom_objects().get_namespaced_custom_object(GROUP, VERSION, namespace, plural, name)
    except ApiException as error:
        if error.status == 404:
            return None
        raise


async def get_object(plural: str, namespace: str, name: str) -> dict[str, Any] | None:
    """A Hydron object, or None when it does not exist."""
    return await asyncio.to_thread(_get, plural, namespace, name)


def _ensure(plural: str, namespace: str, body: dict[str, Any], annotations: dict[str, str]) -> dict[str, Any]:
    api = custom_objects()
    name = body["metadata"]["name"]
    existing = _get(plural, namespace, name)
    if existing is None:
        body["metadata"].setdefault("annotations", {}).update(annotations)
        try:
            return api.create_namespaced_custom_object(GROUP, VERSION, namespace, plural, body)
        except ApiException as error:
            if error.status != 409:  # created meanwhile: fall through to the update
                raise
            existing = _get(plural, namespace, name) or {}
    if annotated(existing, annotations):
        return existing
    patch = {"metadata": {"annotations": annotations}}
    return api.patch_namespaced_custom_object(GROUP, VERSION, namespace, plural, name, patch)


async def ensure_object(plural: str, namespace: str, body: dict[str, Any], annotations: dict[str, str]) -> dict[str, Any]:
    """Create the object if missing; otherwise only update `annotations` when they
    differ (a changed annotation is how a parent asks a child to look again)."""
    return await asyncio.to_thread(_ensure, plural, namespace, body, annotations)


def _upsert_secret(
    namespace: str, name: str, make_data: Callable[[dict[str, str]], dict[str, str]], owner: dict[str, Any] | None
) -> None:
    api = core_v1()
    try:
        secret = api.read_namespaced_secret(name, namespace)
    except ApiException as error:
        if error.status != 404:
            raise
        secret = None
    existing = {k: base64.b64decode(v).decode() for k, v in ((secret.data or {}) if secret else {}).items()}
    data = make_data(existing)
    if secret is not None and data == existing:
        return
    encoded = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
    if secret is None:
        metadata: dict[str, Any] = {"name": name, "labels": {"app.kubernetes.io/managed-by": "hydron"}}
        if owner:
            metadata["ownerReferences"] = [owner]
        api.create_namespaced_secret(namespace, {"metadata": metadata, "type": "Opaque", "data": encoded})
    else:
        api.patch_namespaced_secret(name, namespace, {"data": encoded})


async def upsert_secret(
    namespace: str, name: str, make_data: Callable[[dict[str, str]], dict[str, str]], owner: dict[str, Any] | None = None
) -> None:
    """Create or complete a Secret: `make_data(existing)` returns the full data, and
    existing values are kept by it (generated passwords never rotate by accident)."""
    await asyncio.to_thread(_upsert_secret, namespace, name, make_data, owner)


def _patch_status(plural: str, namespace: str, name: str, status: dict[str, Any]) -> None:
    custom_objects().patch_namespaced_custom_object_status(GROUP, VERSION, namespace, plural, name, {"status": status})


async def patch_status(plural: str, namespace: str, name: str, status: dict[str, Any]) -> None:
    """Write status now, mid-reconcile: live progress (a step started, a step ended)."""
    await asyncio.to_thread(_patch_status, plural, namespace, name, status)


def _apply_spec(plural: str, namespace: str, body: dict[str, Any], keep: tuple[str, ...] = ()) -> dict[str, Any]:
    api = custom_objects()
    name = body["metadata"]["name"]
    existing = _get(plural, namespace, name)
    if existing is None:
        try:
            return api.create_namespaced_custom_object(GROUP, VERSION, namespace, plural, body)
        except ApiException as error:
            if error.status != 409:
                raise
            existing = _get(plural, namespace, name) or {}
    spec = kept_spec(existing, body["spec"], keep)
    if existing.get("spec") == spec:
        return existing
    # A replace, not a merge: a field the new spec leaves out must go.
    replacement = {**existing, "spec": spec}
    return api.replace_namespaced_custom_object(GROUP, VERSION, namespace, plural, name, replacement)


async def apply_spec(plural: str, namespace: str, body: dict[str, Any], keep: tuple[str, ...] = ()) -> dict[str, Any]:
    """Create the object, or make its spec exactly `body["spec"]` but for the `keep`
    fields, which stay as they are (a conflict with a concurrent writer raises, and
    the next reconcile tries again)."""
    return await asyncio.to_thread(_apply_spec, plural, namespace, body, keep)


def _merge_patch(plural: str, namespace: str, name: str, patch: dict[str, Any]) -> None:
    custom_objects().patch_namespaced_custom_object(GROUP, VERSION, namespace, plural, name, patch)


async def merge_patch(plural: str, namespace: str, name: str, patch: dict[str, Any]) -> None:
    """Merge `patch` into the object (a spec field a pass outside kopf's handlers set)."""
    await asyncio.to_thread(_merge_patch, plural, namespace, name, patch)


async def annotate(plural: str, namespace: str, name: str, annotations: dict[str, str]) -> None:
    """Merge annotations into the object (a refresh request, for one)."""
    await merge_patch(plural, namespace, name, {"metadata": {"annotations": annotations}})
