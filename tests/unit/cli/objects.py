"""Objects as the API server returns them, for the plugin's renderers."""

from __future__ import annotations

import copy
from typing import Any


def cond(type_: str, status: str, reason: str, message: str = "") -> dict[str, Any]:
    return {"type": type_, "status": status, "reason": reason, "message": message,
            "lastTransitionTime": "2026-01-01T00:00:00Z"}


APP: dict[str, Any] = {
    "metadata": {"name": "shop", "namespace": "team", "creationTimestamp": "2026-01-01T10:00:00Z"},
    "spec": {"source": {"git": {"url": "https://git.example/shop.git"}}, "planning": {"serverRef": {"name": "fra-1"}}},
    "status": {
        "source": {"url": "https://git.example/shop.git", "ref": "refs/heads/main",
                   "commit": "0123456789abcdef0123456789abcdef01234567"},
        "analysis": {"services": [{"name": "api", "role": {"value": "web"}, "port": {"value": 3000},
                                   "framework": {"name": "express"}}]},
        "planRef": {"name": "shop"},
        "conditions": [
            cond("SourceReady", "True", "Fetched", "Pinned 0123456789ab (main), 12 files."),
            cond("Analyzed", "True", "ServicesFound", "1 service(s): api (express, port 3000)."),
            cond("Planned", "Unknown", "AwaitingApproval", "Revision 2 of InfraPlan shop waits for approval."),
            cond("Deployed", "Unknown", "Pending", "Waiting for the Deployment to answer over HTTPS."),
            cond("Ready", "Unknown", "AwaitingApproval", "Revision 2 of InfraPlan shop waits for approval."),
        ],
    },
}

PLAN: dict[str, Any] = {
    "metadata": {"name": "shop", "namespace": "team", "resourceVersion": "42"},
    "spec": {
        "applicationRef": {"name": "shop"},
        "server": {"provider": "hetzner", "offer": "CX22", "location": "fsn1", "cpus": 2, "memoryMiB": 4096,
                   "diskGiB": 40, "monthlyPrice": 4.51, "rationale": "smallest offer with 2 GiB headroom"},
        "services": [{"name": "api", "role": "web", "port": 3000, "public": True, "context": ".",
                      "dockerfileOrigin": "Generated"}],
        "routes": [{"domain": "shop.example.com", "path": "/", "service": "api", "port": 3000, "tls": "acme"}],
        "firewall": [{"port": 9000, "protocol": "udp", "source": "10.0.0.0/8", "reason": "metrics"}],
        "security": {"firewallDefault": "deny", "sshPort": 22},
        "approval": {"revision": 1, "approvedBy": "alice"},
        "changeRequests": [{"message": "cheaper please", "author": "bob"}],
    },
    "status": {
        "revision": 2, "approvedRevision": None,
        "changes": ["server.offer: hetzner/CX32 → hetzner/CX22 (change request by bob: \"cheaper please\")"],
        "findings": [{"severity": "Warning", "field": "services[api].healthCheck", "message": "no health path"}],
        "conditions": [cond("Valid", "True", "Valid"), cond("Approved", "False", "StaleApproval", "stale"),
                       cond("Ready", "False", "StaleApproval", "stale")],
    },
}

SERVER: dict[str, Any] = {
    "metadata": {"name": "fra-1", "namespace": "team"},
    "spec": {"address": "203.0.113.7"},
    "status": {
        "steps": [
            {"name": "facts", "state": "Succeeded", "startedAt": "2026-01-01T10:00:00Z",
             "finishedAt": "2026-01-01T10:00:04Z", "changed": False, "message": "debian 12, 2 CPUs."},
            {"name": "docker", "state": "Running", "startedAt": "2026-01-01T10:00:04Z"},
            {"name": "firewall", "state": "Pending"},
        ],
        "conditions": [cond("Reachable", "True", "Connected"), cond("Provisioned", "Unknown", "Pending"),
                       cond("Ready", "Unknown", "Pending", "Provisioning.")],
    },
}

DEPLOYMENT: dict[str, Any] = {
    "metadata": {"name": "shop", "namespace": "team"},
    "spec": {"serverRef": {"name": "fra-1"}, "services": [{"name": "api", "image": "x"}]},
    "status": {
        "releases": [{"number": 1, "state": "Superseded", "sourceRevision": "aaaaaaaaaaaaaaaa"},
                     {"number": 2, "state": "Active", "sourceRevision": "0123456789abcdef"}],
        "urls": ["https://shop.example.com"],
        "conditions": [cond("Ready", "True", "Ready")],
    },
}


def fresh(obj: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(obj)
