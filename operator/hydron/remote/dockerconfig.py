"""Registry logins from a `kubernetes.io/dockerconfigjson` Secret's value, reduced to
what Docker reads. Pure; shared by the registries provisioning step (root's Docker
config) and image pulls (a throwaway config for one pull)."""

from __future__ import annotations

import base64
import json

DOCKER_HUB_KEYS = ("docker.io", "index.docker.io", "registry-1.docker.io", "https://index.docker.io/v1/")
DOCKER_HUB_AUTH_KEY = "https://index.docker.io/v1/"
"""The key Docker's CLI files Docker Hub's login under."""


class LoginMissing(ValueError):
    """The Secret holds no usable login for the host (the message names neither user nor password)."""


def login_for(dockerconfigjson: str, host: str, secret: str) -> dict[str, str]:
    """The `auths` entry for `host` from a kubernetes.io/dockerconfigjson Secret's value,
    reduced to the `auth` field Docker reads (user:password, base64). Docker Hub
    (`docker.io`) matches any of the names it is filed under."""
    try:
        config = json.loads(dockerconfigjson)
    except (json.JSONDecodeError, TypeError):
        raise LoginMissing(f"Secret {secret} key .dockerconfigjson is not JSON") from None
    auths = config.get("auths") if isinstance(config, dict) else None
    if not isinstance(auths, dict):
        raise LoginMissing(f"Secret {secret} has no `auths` in .dockerconfigjson")
    wanted = {_host_of(k) for k in DOCKER_HUB_KEYS} if host == "docker.io" else {host}
    for key, entry in auths.items():
        if _host_of(key) not in wanted or not isinstance(entry, dict):
            continue
        if entry.get("auth"):
            return {"auth": str(entry["auth"])}
        if entry.get("username") and entry.get("password"):
            token = base64.b64encode(f"{entry['username']}:{entry['password']}".encode()).decode()
            return {"auth": token}
    raise LoginMissing(f"Secret {secret} has no login for {host} in .dockerconfigjson")


def one_login_config(dockerconfigjson: str, host: str, secret: str) -> str:
    """A Docker client config holding only the login for `host` (for `docker --config`)."""
    key = DOCKER_HUB_AUTH_KEY if host == "docker.io" else host
    return json.dumps({"auths": {key: login_for(dockerconfigjson, host, secret)}})


def _host_of(key: str) -> str:
    """`https://r:5000/v1/` → `r:5000`: Secrets name hosts in several ways."""
    return key.split("://", 1)[-1].split("/", 1)[0]
