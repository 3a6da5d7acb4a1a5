"""A stand-in for the API server at the network edge: the plugin Session's four calls
over objects in memory, with the refusals a real API server gives."""

from __future__ import annotations

import copy
from typing import Any

from hydron.cli.plugin_kube import Conflict, PluginError

SECRET_VALUE = "hunter2-do-not-show"


def merge(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """RFC 7386 merge patch."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)
    return target


class FakeSession:
    def __init__(self, namespace: str = "shop") -> None:
        self.namespace = namespace
        self.context = "test"
        self.objects: dict[tuple[str, str], dict[str, Any]] = {}
        self.secrets = {"shop-secrets": {"DATABASE_PASSWORD": SECRET_VALUE}}
        self.forbidden_patch: set[str] = set()
        self.before_patch: Any = None
        self.patches: list[tuple[str, str, dict[str, Any]]] = []
        self.version = 1
        self.events_posted: list[dict[str, Any]] = []
        self.forbidden_events = False
        self.forbidden_everywhere = False
        self.sessions: dict[str, FakeSession] = {}

    def add(self, obj: dict[str, Any]) -> dict[str, Any]:
        obj.setdefault("metadata", {}).setdefault("namespace", self.namespace)
        self.version += 1
        obj["metadata"]["resourceVersion"] = str(self.version)
        self.objects[(obj["kind"], obj["metadata"]["name"])] = obj
        return obj

    def get(self, kind: str, name: str, missing_ok: bool = False) -> dict[str, Any] | None:
        obj = self.objects.get((kind, name))
        if obj is None:
            if missing_ok:
                return None
            raise PluginError(f"{kind} {name!r} not found in namespace {self.namespace!r}", status=404)
        return copy.deepcopy(obj)

    def list(self, kind: str, all_namespaces: bool = False) -> list[dict[str, Any]]:
        if all_namespaces and self.forbidden_everywhere:
            raise PluginError(f"not allowed to read or change {kind}s in namespace {self.namespace!r} (HTTP 403): "
                              "cannot list resource at the cluster scope", status=403)
        mine = [copy.deepcopy(o) for (k, _), o in sorted(self.objects.items()) if k == kind]
        if not all_namespaces:
            return mine
        return mine + [o for other in self.sessions.values() for o in other.list(kind)]

    def in_namespace(self, namespace: str) -> FakeSession:
        """Another namespace of the same cluster: a session of its own, made on first use."""
        if namespace == self.namespace:
            return self
        return self.sessions.setdefault(namespace, FakeSession(namespace))

    def events(self, kind: str, name: str) -> list[dict[str, Any]]:
        if self.forbidden_events:
            raise PluginError(f"not allowed to read or change Events in namespace {self.namespace!r} (HTTP 403): "
                              "events is forbidden", status=403)
        return [copy.deepcopy(e) for e in self.events_posted
                if e["involvedObject"]["kind"] == kind and e["involvedObject"]["name"] == name]

    def merge_patch(self, kind: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        if kind in self.forbidden_patch:
            raise PluginError(f"not allowed to read or change {kind} {name!r} in namespace {self.namespace!r} "
                              f"(HTTP 403): infraplans.hydron.dev is forbidden", status=403)
        if self.before_patch is not None:
            hook, self.before_patch = self.before_patch, None
            hook()
        obj = self.objects[(kind, name)]
        wanted = (body.get("metadata") or {}).get("resourceVersion")
        if wanted is not None and wanted != obj["metadata"]["resourceVersion"]:
            raise Conflict(f"{kind} {self.namespace}/{name} changed while it was being updated", status=409)
        body = copy.deepcopy(body)
        (body.get("metadata") or {}).pop("resourceVersion", None)
        self.patches.append((kind, name, body))
        merge(obj, body)
        self.version += 1
        obj["metadata"]["resourceVersion"] = str(self.version)
        return copy.deepcopy(obj)

    def whoami(self) -> str:
        return "alice@example.com"


def shop(session: FakeSession) -> FakeSession:
    """An app `shop` with a plan at revision 2 (not approved), a server mid-provisioning
    and a deployment with two releases; its env takes a password from a Secret."""
    session.add({"kind": "Application", "metadata": {"name": "shop", "creationTimestamp": "2026-01-01T00:00:00Z"},
                 "spec": {"source": {"git": {"url": "https://git.example/shop.git"}}},
                 "status": {"url": "https://shop.example.com", "planRef": {"name": "shop"},
                            "deploymentRef": {"name": "shop"},
                            "conditions": [{"type": "Ready", "status": "False", "reason": "AwaitingApproval",
                                            "message": "revision 2 waits for approval"}]}})
    session.add({"kind": "InfraPlan", "metadata": {"name": "shop"},
                 "spec": {"applicationRef": {"name": "shop"},
                          "server": {"serverRef": {"name": "box"}, "offer": "KS-LE-B", "provider": "ovh",
                                     "location": "gra", "monthlyPrice": 12.5, "rationale": "fits 2 services"},
                          "services": [{"name": "web", "port": 3000, "public": True, "dockerfileOrigin": "Generated",
                                        "dockerfile": "FROM node:20\nCMD node server.js",
                                        "healthCheck": {"path": "/health"},
                                        "env": [{"name": "NODE_ENV", "value": "production"},
                                                {"name": "DATABASE_PASSWORD",
                                                 "valueFrom": {"secretKeyRef": {"name": "shop-secrets",
                                                                                "key": "DATABASE_PASSWORD"}}},
                                                {"name": "API_TOKEN", "value": SECRET_VALUE}],
                                        "envDefinitions": [{"name": "API_TOKEN", "secret": True, "source": "Application"}]}],
                          "routes": [{"domain": "shop.example.com", "service": "web", "port": 3000}],
                          "firewall": [{"port": 5432, "source": "10.0.0.0/8", "reason": "replica"}],
                          "changeRequests": [{"message": "use a server in Helsinki", "author": "bob"}]},
                 "status": {"revision": 2, "approvedRevision": 1, "changes": ["server.location: gra -> hel1"],
                            "findings": [{"severity": "Warning", "message": "no health check on worker"}],
                            "basis": {"changeRequests": 1, "planner": "RulesAndLLM"},
                            "assistant": [{"changeRequests": 1, "summary": "Moved the server to Helsinki."}]}})
    session.add({"kind": "Server", "metadata": {"name": "box"},
                 "spec": {"address": "203.0.113.7", "sshKeySecretRef": {"name": "box-key", "key": "ssh-privatekey"}},
                 "status": {"steps": [{"name": "docker", "state": "Succeeded", "startedAt": "2026-01-01T00:00:00Z",
                                       "finishedAt": "2026-01-01T00:01:00Z"},
                                      {"name": "firewall", "state": "Running", "startedAt": "2026-01-01T00:01:00Z"}]}})
    session.add({"kind": "Deployment", "metadata": {"name": "shop"},
                 "spec": {"serverRef": {"name": "box"}, "applicationRef": {"name": "shop"},
                          "services": [{"name": "web", "build": {"context": "."}}]},
                 "status": {"releases": [
                     {"number": 1, "state": "Superseded", "sourceRevision": "a" * 40,
                      "services": [{"name": "web", "env": [{"name": "API_TOKEN", "value": SECRET_VALUE}]}]},
                     {"number": 2, "state": "Active", "sourceRevision": "b" * 40},
                     {"number": 3, "state": "Failed", "sourceRevision": "c" * 40}],
                     "services": [{"name": "web", "state": "Healthy", "restarts": 1, "cpuPercent": 3.5, "memoryMiB": 80}]}})
    return session
