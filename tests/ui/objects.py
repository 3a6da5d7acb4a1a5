"""The four objects of one app, as the operator would have written them, put straight
into the API server (no operator: the test decides what status says and when)."""

from __future__ import annotations

import json

from hydron_testbed.cluster import Kube

API = "hydron.dev/v1alpha1"
SECRET_VALUE = "s3cret-value-never-shown"
NOW = "2026-01-01T00:00:00Z"


def condition(type_: str, status: str, reason: str, message: str = "") -> dict:
    return {"type": type_, "status": status, "reason": reason, "message": message, "lastTransitionTime": NOW}


def patch_status(kube: Kube, plural: str, name: str, status: dict) -> None:
    kube.run("patch", plural, name, "--subresource=status", "--type=merge", "-p", json.dumps({"status": status}))


def application(kube: Kube, name: str) -> None:
    kube.apply(json.dumps({"apiVersion": API, "kind": "Application", "metadata": {"name": name},
                           "spec": {"source": {"image": {"name": "traefik/whoami:v1.10", "port": 80}},
                                    "planning": {"autoApprove": False}}}))


def plan(kube: Kube, name: str, revision: int = 1) -> None:
    kube.run("create", "secret", "generic", f"{name}-secrets", f"--from-literal=API_TOKEN={SECRET_VALUE}")
    kube.apply(json.dumps({"apiVersion": API, "kind": "InfraPlan", "metadata": {"name": name}, "spec": {
        "applicationRef": {"name": name},
        "server": {"provider": "hetzner", "offer": "CX22", "location": "hel1", "monthlyPrice": 4.59,
                   "cpus": 2, "memoryMiB": 4096, "diskGiB": 40, "rationale": "one small web service; 2 vCPU is plenty"},
        "services": [{"name": "web", "image": "traefik/whoami:v1.10", "port": 80, "public": True,
                      "healthCheck": {"path": "/health"},
                      "env": [{"name": "MODE", "value": "demo"},
                              {"name": "API_TOKEN", "valueFrom": {"secretKeyRef": {"name": f"{name}-secrets", "key": "API_TOKEN"}}}]}],
        "routes": [{"domain": f"{name}.example.com", "service": "web", "port": 80}],
        "firewall": [{"port": 9000, "source": "10.0.0.0/8", "reason": "metrics scraper"}],
    }}))
    patch_status(kube, "infraplans", name, {
        "revision": revision, "changes": ["server.offer: CX11 -> CX22 (more memory)"] if revision > 1 else [],
        "findings": [{"severity": "Warning", "source": "Planning", "message": "no backups planned for this app"}],
        "conditions": [condition("Ready", "False", "AwaitingApproval", f"revision {revision} waits for approval")]})
    patch_status(kube, "applications", name, {"planRef": {"name": name}, "deploymentRef": {"name": name},
                                               "conditions": [condition("Ready", "False", "AwaitingApproval")]})


def server_and_deployment(kube: Kube, name: str, server: str) -> None:
    kube.apply(json.dumps({"apiVersion": API, "kind": "Server", "metadata": {"name": server},
                           "spec": {"address": "192.0.2.10", "sshKeySecretRef": {"name": f"{server}-ssh", "key": "ssh-privatekey"}}}))
    patch_status(kube, "servers", server, {"steps": [
        {"name": "connect", "state": "Succeeded", "startedAt": NOW, "finishedAt": "2026-01-01T00:00:02Z"},
        {"name": "docker", "state": "Running", "startedAt": "2026-01-01T00:00:02Z"}]})
    kube.apply(json.dumps({"apiVersion": API, "kind": "Deployment", "metadata": {"name": name},
                           "spec": {"serverRef": {"name": server}, "applicationRef": {"name": name},
                                    "services": [{"name": "web", "image": "traefik/whoami:v1.10", "port": 80}]}}))
    patch_status(kube, "deployments.hydron.dev", name, {
        "releases": [{"number": 1, "state": "Superseded", "sourceRevision": "a" * 40, "createdAt": NOW},
                     {"number": 2, "state": "Active", "sourceRevision": "b" * 40, "createdAt": NOW}],
        "services": [{"name": "web", "state": "Healthy", "restarts": 2, "cpuPercent": 1.5, "memoryMiB": 12}]})
