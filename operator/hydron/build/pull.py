"""Images run as they are (an Application's `source.image`): pulled by the server from
their registry and pinned to the digest the registry served, so a release records
exactly what ran and a rollback runs it again.

- The login comes from the service's kubernetes.io/dockerconfigjson Secret and lives
  only for one pull, in a throwaway Docker config on the server (a mode-700 directory,
  removed after; fed on stdin, so never in argv or logs). Without a Secret, root's
  Docker config applies (the Server's `spec.registries` logins).
- The tag is looked up at the registry the first time and again only when asked
  (`refresh`): otherwise the digest the server pulled last is used, with no registry
  round trip, so a resync never rolls out a new image by surprise.
- A failed pull raises ImagePullFailed with a reason a person can act on:
  RegistryLoginFailed, RegistryLoginMissing, RegistryUntrusted, ImageNotFound,
  RegistryUnreachable (ImagePullFailed for anything else, with Docker's own words).
"""

from __future__ import annotations

import re

from hydron.build.delivery import parse_identity, pick_digest, registry_of, split_reference
from hydron.remote.builders import docker as docker_cmd
from hydron.remote.command import Command, shell
from hydron.remote.dockerconfig import LoginMissing, one_login_config
from hydron.remote.runner import CommandRunner

SOURCE_FIELD = "spec.source.image.pullSecretRef"

_PULL_WITH_LOGIN = (
    'umask 077; d=$(mktemp -d) || exit 125; cat > "$d/config.json" || { rm -rf "$d"; exit 125; }; '
    'docker --config "$d" pull -- "$1"; s=$?; rm -rf "$d"; exit $s'
)


class ImagePullFailed(Exception):
    """The server could not pull an image; `reason` is the condition reason. Nothing in
    the message is secret (Docker never prints a password)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


# --- pure ---------------------------------------------------------------------------


def pull_command(image: str, with_login: bool) -> Command:
    """`docker pull`, with a throwaway config read from stdin when there is a login."""
    if not with_login:
        return docker_cmd.pull(image)
    return shell(_PULL_WITH_LOGIN, image, mutates=True)


def login_config(dockerconfigjson: str, image: str, secret: str) -> str:
    """The throwaway Docker config for pulling `image` (RegistryLoginMissing when the
    Secret has no login for its registry)."""
    host = registry_of(image)
    try:
        return one_login_config(dockerconfigjson, host, secret)
    except LoginMissing as error:
        raise ImagePullFailed("RegistryLoginMissing", f"{error}, which {image} needs: add an entry for {host} "
                                                      "(`kubectl create secret docker-registry`).") from None


_CAUSES: tuple[tuple[str, re.Pattern[str]], ...] = tuple((reason, re.compile(pattern, re.IGNORECASE)) for reason, pattern in (
    ("RegistryUntrusted", r"x509|certificate signed by unknown authority|tls: "),
    ("RegistryLoginFailed", r"unauthorized|authentication required|no basic auth credentials|incorrect username or password"),
    ("ImageNotFound", r"manifest unknown|not found|pull access denied|does not exist"),
    ("RegistryUnreachable", r"no such host|server misbehaving|name resolution|lookup \S+|connection refused|i/o timeout|"
                            r"network is unreachable|no route to host|dial tcp|EOF"),
))


def pull_failure(image: str, output: str, secret: str | None) -> ImagePullFailed:
    """Why a `docker pull` failed, as a reason and a message saying what to do."""
    host = registry_of(image)
    registry, path, suffix = split_reference(image)
    said = next((line.strip() for line in reversed(output.splitlines()) if line.strip()), "the pull failed")[-240:]
    reason = next((reason for reason, pattern in _CAUSES if pattern.search(output)), "ImagePullFailed")
    if reason == "RegistryLoginFailed":
        what = (f"refused the login in Secret {secret}: check its user and password for {host}" if secret else
                f"wants a login: put one in a kubernetes.io/dockerconfigjson Secret and name it in {SOURCE_FIELD}")
        message = f"Registry {host} {what} (pulling {image})."
    elif reason == "RegistryUntrusted":
        message = (f"The server does not trust the TLS certificate of registry {host}: name it in the Server's "
                   "spec.registries with caSecretRef (its CA), or use a publicly trusted certificate.")
    elif reason == "ImageNotFound":
        message = f"Registry {host} has no {path}{suffix}: check the image name and tag ({said})."
    elif reason == "RegistryUnreachable":
        message = f"The server cannot reach registry {host} ({said}); Hydron tries again."
    else:
        message = f"Pulling {image} failed: {said}"
    return ImagePullFailed(reason, message)


def pinned(image: str, identity_output: str) -> str | None:
    """`name@sha256:...` from `docker image inspect` (None without a registry digest)."""
    _, digests = parse_identity(identity_output)
    digest = pick_digest(image, digests)
    if digest is None:
        return None
    name = image
    if name.rfind(":") > name.rfind("/"):
        name = name[: name.rfind(":")]
    return f"{name}@{digest}"


# --- I/O ----------------------------------------------------------------------------


async def resolve(run: CommandRunner, image: str, *, dockerconfigjson: str | None = None,
                  secret: str | None = None, refresh: bool = False) -> tuple[str, bool]:
    """(the image pinned to a digest, whether it was pulled now); present on the
    server. Pulls when the server has no digest for it yet, or when `refresh` asks to
    look up the tag again."""
    config = login_config(dockerconfigjson, image, secret or "") if dockerconfigjson else None
    if "@" in image:
        if not (await run.run(docker_cmd.image_identity(image))).ok:
            await _pull(run, image, config, secret)
            return image, True
        return image, False
    if not refresh:
        here = await run.run(docker_cmd.image_identity(image))
        if here.ok and (pin := pinned(image, here.stdout)):
            return pin, False
    await _pull(run, image, config, secret)
    after = await run.run(docker_cmd.image_identity(image))
    pin = pinned(image, after.stdout) if after.ok else None
    if pin is None:
        raise ImagePullFailed("ImagePullFailed", f"{image} was pulled, yet the server's engine lists no digest for it.")
    return pin, True


async def _pull(run: CommandRunner, image: str, config: str | None, secret: str | None) -> None:
    result = await run.run(pull_command(image, config is not None), check=False,
                           input=config.encode() if config is not None else None)
    if not result.ok:
        raise pull_failure(image, f"{result.stderr}\n{result.stdout}", secret)
