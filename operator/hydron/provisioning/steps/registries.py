"""Registries: the engine knows the Server's mirrors, trusts their CAs, and root's
Docker config holds their logins, so `docker pull` on the server reaches them.

- `registry-mirrors` in /etc/docker/daemon.json (merged: other keys and mirrors
  someone else added are kept; the ones Hydron added and no longer wants go, known
  from /etc/hydron/registry-mirrors.json). dockerd reloads it on SIGHUP, so changing
  it restarts no container; it is only signalled when the file changed.
- a private CA as /etc/docker/certs.d/<host>/ca.crt (read per connection by dockerd);
- logins from `kubernetes.io/dockerconfigjson` Secrets in /root/.docker/config.json,
  mode 600, merged with what is there. That file is read with a sensitive command
  (never logged), and no message names more than the host and the Secret.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hydron.provisioning import daemons, poll
from hydron.provisioning.failures import StepError
from hydron.provisioning.registries import (
    LoginMissing,
    config_differs,
    login_for,
    merged_config,
    merged_mirrors,
    mirror_urls,
    same_mirrors,
)
from hydron.provisioning.step import Observation, Step, StepContext
from hydron.provisioning.steps.log_collection import DAEMON_JSON, read_daemon_json
from hydron.remote import keys
from hydron.remote.builders import docker as docker_cmd
from hydron.remote.builders import files

DOCKER_CONFIG = "/root/.docker/config.json"
OURS = "/etc/hydron/registry-mirrors.json"
DOCKERCONFIGJSON = ".dockerconfigjson"


def ca_path(host: str) -> str:
    return f"/etc/docker/certs.d/{host}/ca.crt"


@dataclass
class Found:
    daemon: dict[str, Any]
    mirrors: list[str]
    """What daemon.json should list."""
    cas: dict[str, str]
    """host → PEM still to write."""
    config: dict[str, Any] | None
    logins: dict[str, dict[str, str]]
    """host → login still to write (the secret part: never in a message)."""


class Registries(Step):
    name = "registries"

    async def observe(self, ctx: StepContext) -> Observation:
        registries = ctx.spec.registries
        daemon = await read_daemon_json(ctx) or {}
        ours_before = await _read_json_list(ctx, OURS)
        wanted_mirrors = mirror_urls(registries)
        mirrors = merged_mirrors(daemon.get("registry-mirrors") or [], ours_before, wanted_mirrors)
        differs = []
        if not same_mirrors(daemon.get("registry-mirrors") or [], mirrors) or not same_mirrors(ours_before, wanted_mirrors):
            differs.append("registry-mirrors")
        cas = {}
        for registry in registries:
            if registry.ca_secret_ref is not None:
                ref = registry.ca_secret_ref
                pem = await keys.read(ctx.read_secret, ref.name, ref.key)
                current = await ctx.run.run(files.read(ca_path(registry.host)))
                if current.stdout.strip() != pem.strip():
                    cas[registry.host] = pem
        if cas:
            differs.append(f"CA of {', '.join(cas)}")
        logins = await _logins(ctx)
        config, stale_logins = None, {}
        if logins:
            config = await _read_config(ctx)
            stale_logins = {h: logins[h] for h in config_differs(config, logins)}
            if stale_logins:
                differs.append(f"login for {', '.join(stale_logins)}")
        found = Found(daemon, mirrors, cas, config, stale_logins)
        if differs:
            return Observation(False, f"not yet configured: {'; '.join(differs)}", found)
        return Observation(True, _summary(registries, wanted_mirrors), found)

    async def change(self, ctx: StepContext, found: Observation) -> str:
        want: Found = found.data
        done = []
        for host, pem in want.cas.items():
            await ctx.run.run(files.write(ca_path(host), (pem.strip() + "\n").encode()))
            done.append(f"trusted the CA of {host}")
        if want.logins:
            config = merged_config(want.config or {}, want.logins)
            await ctx.run.run(files.write(DOCKER_CONFIG, (json.dumps(config, indent=2) + "\n").encode(), "0600", sensitive=True))
            done.append(f"login for {', '.join(want.logins)} written to root's Docker config")
        current = want.daemon.get("registry-mirrors") or []
        if not same_mirrors(current, want.mirrors):
            # An empty list, not a missing key: dockerd's reload only applies keys that are set.
            daemon = {**want.daemon, "registry-mirrors": want.mirrors}
            await ctx.run.run(files.write(DAEMON_JSON, (json.dumps(daemon, indent=2, sort_keys=True) + "\n").encode()))
            if await daemons.is_running(ctx, daemons.DOCKER):
                await ctx.run.run(ctx.services.reload(daemons.DOCKER))
            done.append(f"registry-mirrors set to {', '.join(want.mirrors) or 'none'} (Docker reloaded)")
        wanted = mirror_urls(ctx.spec.registries)
        await ctx.run.run(files.write(OURS, (json.dumps(wanted) + "\n").encode()))
        return "; ".join(done).capitalize() + "." if done else "Recorded the mirrors Hydron manages."

    async def verify(self, ctx: StepContext) -> Observation:
        found = await self.observe(ctx)
        if not found.ok or not await daemons.is_running(ctx, daemons.DOCKER):
            return found
        wanted = found.data.mirrors

        async def engine_uses_them() -> bool:
            out = await ctx.run.run(docker_cmd.registry_mirrors(), check=False)
            try:
                return out.ok and same_mirrors(json.loads(out.stdout or "null") or [], wanted)
            except json.JSONDecodeError:
                return False

        if not await poll.until(engine_uses_them, ctx.settings.daemon_start_timeout):
            return Observation(False, f"Docker does not use the mirrors of {DAEMON_JSON} after a reload: {', '.join(wanted)}")
        return found


async def _logins(ctx: StepContext) -> dict[str, dict[str, str]]:
    logins = {}
    for registry in ctx.spec.registries:
        ref = registry.credentials_secret_ref
        if ref is None:
            continue
        value = await keys.read(ctx.read_secret, ref.name, DOCKERCONFIGJSON)
        try:
            logins[registry.host] = login_for(value, registry.host, ref.name)
        except LoginMissing as error:
            raise StepError(f"{error}; create it with `kubectl create secret docker-registry {ref.name} "
                            f"--docker-server={registry.host} ...`") from None
        finally:
            del value
    return logins


async def _read_config(ctx: StepContext) -> dict[str, Any]:
    result = await ctx.run.run(files.read_sensitive(DOCKER_CONFIG))
    if result.exit_status == files.MISSING or not result.stdout.strip():
        return {}
    try:
        parsed = json.loads(result.stdout)
    except json.JSONDecodeError:
        raise StepError(f"{DOCKER_CONFIG} on the server is not valid JSON; fix or remove it") from None
    return parsed if isinstance(parsed, dict) else {}


async def _read_json_list(ctx: StepContext, path: str) -> list[str]:
    result = await ctx.run.run(files.read(path))
    try:
        parsed = json.loads(result.stdout) if result.exit_status != files.MISSING and result.stdout.strip() else []
    except json.JSONDecodeError:
        return []
    return [m for m in parsed if isinstance(m, str)] if isinstance(parsed, list) else []


def _summary(registries, mirrors: list[str]) -> str:
    if not registries:
        return "No registries named; base images come by plain pull or from the operator."
    hosts = ", ".join(r.host for r in registries)
    return f"Registries {hosts} configured" + (f"; mirrors: {', '.join(mirrors)}." if mirrors else ".")
