"""`kubectl hydron`'s session with the API server (the other plugin modules reach the
API through the `Session` made here; `plugin_ssh` reads the Server's key Secret with it).

It loads the kubeconfig the way kubectl does (--kubeconfig, else $KUBECONFIG, else
~/.kube/config; --context; the context's namespace unless -n) and turns API failures
into `PluginError`s whose message says what to do.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, replace
from typing import Any

from hydron.api import GROUP, VERSION

PLURALS = {"Application": "applications", "InfraPlan": "infraplans", "Server": "servers", "Deployment": "deployments"}
MERGE_PATCH = "application/merge-patch+json"


class PluginError(Exception):
    """A failure a person can act on; `code` is the exit status, `status` the HTTP status
    that says it best (the API server's answer, 502 when it was not reached, None when
    the API server was not asked)."""

    def __init__(self, message: str, code: int = 1, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


class Conflict(PluginError):
    """The object changed between read and write (HTTP 409)."""


@dataclass
class Session:
    """An API client bound to one kubeconfig context and namespace."""

    api_client: Any
    namespace: str
    context: str | None

    @property
    def custom(self) -> Any:
        from kubernetes import client

        return client.CustomObjectsApi(self.api_client)

    def in_namespace(self, namespace: str) -> Session:
        """The same identity and context, in another namespace."""
        return replace(self, namespace=namespace)

    def get(self, kind: str, name: str, missing_ok: bool = False) -> dict[str, Any] | None:
        """One object; None when missing and missing_ok, else an error naming the namespace searched."""
        try:
            return self.custom.get_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURALS[kind], name)
        except Exception as error:  # noqa: BLE001 (translated below)
            if _status_of(error) == 404 and missing_ok:
                return None
            raise self._explain(error, kind, name) from None

    def list(self, kind: str, all_namespaces: bool = False) -> list[dict[str, Any]]:
        try:
            if all_namespaces:
                result = self.custom.list_cluster_custom_object(GROUP, VERSION, PLURALS[kind])
            else:
                result = self.custom.list_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURALS[kind])
        except Exception as error:  # noqa: BLE001
            raise self._explain(error, kind, None) from None
        return list(result.get("items") or [])

    def merge_patch(self, kind: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            return self.custom.patch_namespaced_custom_object(
                GROUP, VERSION, self.namespace, PLURALS[kind], name, body, _content_type=MERGE_PATCH
            )
        except Exception as error:  # noqa: BLE001
            if _status_of(error) == 409:
                raise Conflict(f"{kind} {self.namespace}/{name} changed while it was being updated", status=409) from None
            raise self._explain(error, kind, name) from None

    def events(self, kind: str, name: str) -> list[dict[str, Any]]:
        """The Events posted about one of Hydron's objects (not about a same-named core one)."""
        import json

        from kubernetes import client

        selector = (f"involvedObject.apiVersion={GROUP}/{VERSION},involvedObject.kind={kind},"
                    f"involvedObject.name={name}")
        try:
            listed = client.CoreV1Api(self.api_client).list_namespaced_event(
                self.namespace, field_selector=selector, _preload_content=False)
        except Exception as error:  # noqa: BLE001
            raise self._explain(error, "Event", None) from None
        return list(json.loads(listed.data).get("items") or [])

    def secret_data(self, name: str) -> dict[str, str]:
        """A Secret's data, base64 as stored (the Server's SSH key, for ssh and logs)."""
        from kubernetes import client

        try:
            secret = client.CoreV1Api(self.api_client).read_namespaced_secret(name, self.namespace)
        except Exception as error:  # noqa: BLE001 - said plainly below
            raise PluginError(f"cannot read Secret {self.namespace}/{name}: {getattr(error, 'reason', error)}",
                              status=_status_of(error) or 502) from None
        return dict(secret.data or {})

    def whoami(self) -> str:
        """The user the API server sees (SelfSubjectReview), else the local $USER."""
        try:
            from kubernetes import client

            review = client.AuthenticationV1Api(self.api_client).create_self_subject_review(
                client.V1SelfSubjectReview()
            )
            name = review.status.user_info.username
            if name:
                return name
        except Exception:  # noqa: BLE001 (older API servers lack the review: fall back)
            pass
        return os.environ.get("USER") or getpass.getuser()

    def _explain(self, error: Exception, kind: str, name: str | None) -> PluginError:
        status = _status_of(error)
        what = f"{kind} {name!r}" if name else f"{kind}s"
        if status == 404 and name:
            return PluginError(f"{what} not found in namespace {self.namespace!r}"
                               f"{f' (context {self.context})' if self.context else ''}; pick another with -n, "
                               f"or list what is there with `kubectl hydron status`.", status=404)
        if status == 404:
            return PluginError("the Hydron CRDs are not installed in this cluster: "
                               "kubectl apply --server-side -f crds/ (or install the Helm chart).", status=404)
        if status in (401, 403):
            return PluginError(f"not allowed to read or change {what} in namespace {self.namespace!r} "
                               f"(HTTP {status}): {_reason_of(error)}", status=status)
        if status is None:
            host = getattr(getattr(self.api_client, "configuration", None), "host", "the API server")
            return PluginError(f"cannot reach {host}: {type(error).__name__}: {error}. "
                               "Is the cluster running, and is this the right --context?", status=502)
        return PluginError(f"the API server refused the request for {what} (HTTP {status}): {_reason_of(error)}",
                           status=status)


def _status_of(error: Exception) -> int | None:
    status = getattr(error, "status", None)
    return status if isinstance(status, int) and status > 0 else None


def _reason_of(error: Exception) -> str:
    import json

    body = getattr(error, "body", None)
    try:
        return json.loads(body).get("message") or str(body)
    except (TypeError, ValueError, AttributeError):
        return str(getattr(error, "reason", error))


def kubeconfig_path(explicit: str | None, environ: dict[str, str] | os._Environ = os.environ) -> str | None:
    """The kubeconfig kubectl would read: --kubeconfig, else the first existing $KUBECONFIG
    entry, else ~/.kube/config; None when there is none."""
    if explicit:
        if not os.path.isfile(explicit):
            raise PluginError(f"--kubeconfig {explicit}: no such file.")
        return explicit
    for candidate in (environ.get("KUBECONFIG") or "").split(os.pathsep):
        if candidate and os.path.isfile(candidate):
            return candidate
    default = os.path.expanduser("~/.kube/config")
    return default if os.path.isfile(default) else None


def context_namespace(kubeconfig: str, context: str | None) -> tuple[str | None, str]:
    """The context to use and its namespace ("default" when it names none)."""
    from kubernetes import config

    try:
        contexts, active = config.list_kube_config_contexts(config_file=kubeconfig)
    except Exception as error:  # noqa: BLE001 (a malformed file: say which)
        raise PluginError(f"cannot read kubeconfig {kubeconfig}: {error}") from None
    chosen = active if context is None else next((c for c in contexts or [] if c.get("name") == context), None)
    if chosen is None:
        names = ", ".join(c.get("name", "") for c in contexts or []) or "none"
        raise PluginError(f"context {context!r} is not in {kubeconfig} (it has: {names}).")
    return chosen.get("name"), (chosen.get("context") or {}).get("namespace") or "default"


def connect(kubeconfig: str | None, context: str | None, namespace: str | None) -> Session:
    """A session for the given flags; in a pod without a kubeconfig, the in-cluster config."""
    from kubernetes import client, config

    path = kubeconfig_path(kubeconfig)
    if path is None:
        if os.environ.get("KUBERNETES_SERVICE_HOST"):
            config.load_incluster_config()
            return Session(client.ApiClient(), namespace or _pod_namespace(), None)
        raise PluginError("no kubeconfig found: set KUBECONFIG or pass --kubeconfig (kind writes ~/.kube/config "
                          "with `kind create cluster`; `kind export kubeconfig` restores it).")
    name, default_namespace = context_namespace(path, context)
    try:
        api_client = config.new_client_from_config(config_file=path, context=name)
    except Exception as error:  # noqa: BLE001
        raise PluginError(f"cannot use context {name!r} of {path}: {error}") from None
    return Session(api_client, namespace or default_namespace, name)


def _pod_namespace() -> str:
    try:
        with open("/var/run/secrets/kubernetes.io/serviceaccount/namespace") as f:
            return f.read().strip() or "default"
    except OSError:
        return "default"
