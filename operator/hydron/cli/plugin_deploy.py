"""`kubectl hydron logs` and `kubectl hydron rollback`: pure parts.

Logs are read on the server itself, over the same ssh as `kubectl hydron ssh`: a
service's from Docker (`docker logs`), a build's from the file the operator writes
while it builds (see hydron.build.buildlog). Nothing goes through the operator, so
logs are there even when it is down.

A rollback sets the Deployment's spec.rollbackTo; the operator rolls that release
out with the usual zero-downtime switch and keeps it until the pin is cleared.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from typing import Any

from hydron.build.buildlog import build_log_path
from hydron.cli.plugin_kube import PluginError
from hydron.deploy.keptlogs import KEPT_DIR
from hydron.deploy.plan import APP_LABEL, SERVICE_LABEL

Obj = Mapping[str, Any]
NO_CONTAINER = 3

_SERVICE_LOGS = """\
c=$(docker ps -q --filter "label=$1=$2" --filter "label=$3=$4" | head -n 1)
[ -n "$c" ] || c=$(docker ps -aq --latest --filter "label=$1=$2" --filter "label=$3=$4")
[ -n "$c" ] || { echo "no container for service $4 of $2 on this server (yet)" >&2; exit 3; }
app_label=$1 app=$2 service_label=$3 service=$4 follow=$5 later=$6
shift 6
[ "$follow" = follow ] || exec docker logs "$@" "$c"
docker logs --follow "$@" "$c"
while :; do
  ended=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  n=""
  while [ -z "$n" ]; do
    running=$(docker ps -q --no-trunc --filter "label=$app_label=$app" --filter "label=$service_label=$service")
    n=$(echo "$running" | grep -v "^$c" | head -n 1)
    [ -n "$n" ] || n=$(echo "$running" | head -n 1)
    [ -n "$n" ] || sleep 1
  done
  case "$n" in
    "$c"*) docker logs --follow --since "$ended" $later "$c" ;;
    *) echo "hydron: $service was redeployed; following its new container" >&2; c=$n
       docker logs --follow $later "$c" ;;
  esac
done
"""

_KEPT_LOGS = """\
d="$1/$2/$3"
files=$(ls "$d"/*.log.gz 2>/dev/null | sort)
[ -n "$files" ] || { echo "no logs of a replaced container of service $3 are kept on this server" >&2; exit 3; }
for f in $files; do echo "==> ${f##*/} <=="; gzip -dc "$f"; done | tail -n "$4"
"""

_BUILD_LOG = """\
[ -e "$1" ] || [ "$2" = -F ] || { echo "no build of this service has run on this server yet" >&2; exit 3; }
exec tail "$2" -n "$3" "$1"
"""


def app_label(deployment: Obj) -> str:
    """The app name Hydron labels the containers with (the Application's name)."""
    spec = deployment.get("spec") or {}
    return (spec.get("applicationRef") or {}).get("name") or deployment["metadata"]["name"]


def pick_service(deployment: Obj, wanted: str | None) -> str:
    """The named service, else the only one, else the first public one."""
    services = (deployment.get("spec") or {}).get("services") or []
    names = [s["name"] for s in services]
    if wanted is not None:
        if wanted not in names:
            raise PluginError(f"no service {wanted!r} in Deployment {deployment['metadata']['name']} (it has: {', '.join(names)})", status=404)
        return wanted
    public = [s["name"] for s in services if s.get("domains")]
    if len(names) == 1 or public:
        return (public or names)[0]
    raise PluginError(f"which service? {deployment['metadata']['name']} has {', '.join(names)}: name one.", status=400)


def _remote(argv: Sequence[str], user: str) -> list[str]:
    """One string for ssh to hand to the remote shell; root or `sudo -n` for Docker."""
    command = list(argv) if user == "root" else ["sudo", "-n", *argv]
    return [shlex.join(command)]


def service_logs_command(app: str, service: str, *, follow: bool, tail: int | None, since: str | None,
                         timestamps: bool, user: str = "root") -> list[str]:
    """docker logs of the service's running container (else its newest one); following,
    it moves on to the container a redeploy starts, and to the same one after a restart."""
    options = ["--tail", str(tail) if tail is not None else "all"]
    if since:
        options += ["--since", since]
    if timestamps:
        options.append("--timestamps")
    later = "--timestamps" if timestamps else ""
    return _remote(["sh", "-c", _SERVICE_LOGS, "sh", APP_LABEL, app, SERVICE_LABEL, service,
                    "follow" if follow else "once", later, *options], user)


def kept_logs_command(app: str, service: str, *, tail: int | None, user: str = "root") -> list[str]:
    """The kept logs of the service's replaced containers, oldest first (see hydron.deploy.keptlogs)."""
    return _remote(["sh", "-c", _KEPT_LOGS, "sh", KEPT_DIR, app, service, "+1" if tail is None else str(tail)], user)


def build_logs_command(app: str, service: str, *, follow: bool, tail: int | None, user: str = "root") -> list[str]:
    """The last (or running) build's output; with follow, waits for a build to start."""
    return _remote(["sh", "-c", _BUILD_LOG, "sh", build_log_path(app, service), "-F" if follow else "-q",
                    "+1" if tail is None else str(tail)], user)


def choose_release(deployment: Obj, wanted: int | None) -> dict[str, Any]:
    """The release to go back to: the one named, else the newest that ran before the
    active one. Failed releases never ran, so they cannot be chosen."""
    releases = list((deployment.get("status") or {}).get("releases") or [])
    name = deployment["metadata"]["name"]
    if not releases:
        raise PluginError(f"Deployment {name} has no releases yet: nothing to roll back to.", status=409)
    kept = ", ".join(f"{r['number']} ({r.get('state')})" for r in releases)
    if wanted is not None:
        release = next((r for r in releases if r.get("number") == wanted), None)
        if release is None:
            raise PluginError(f"release {wanted} is not kept for {name} (kept: {kept}).", status=404)
        if release.get("state") == "Failed":
            raise PluginError(f"release {wanted} failed its health check and never served; pick one of: {kept}.", status=409)
        return release
    active = next((i for i in range(len(releases) - 1, -1, -1) if releases[i].get("state") == "Active"), len(releases))
    for release in reversed(releases[:active]):
        if release.get("state") in ("Superseded", "RolledBack"):
            return release
    raise PluginError(f"no earlier release of {name} ran before the active one (kept: {kept}).", status=409)


def rollback_patch(release: int | None) -> dict[str, Any]:
    return {"spec": {"rollbackTo": release}}


def describe_release(release: Obj) -> str:
    revision = (release.get("sourceRevision") or "")[:12]
    when = release.get("createdAt") or ""
    return f"release {release['number']}" + (f" (commit {revision}" + (f", {when}" if when else "") + ")" if revision else "")
