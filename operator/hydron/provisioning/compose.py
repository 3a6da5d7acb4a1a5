"""`docker compose` on the server, whichever Compose the release packages.

Ubuntu ships the CLI plugin (`docker-compose-v2`). Debian 12 ships only the standalone
Compose v1 (`docker-compose` 1.29, no plugin): there Hydron adds a small Docker CLI
plugin that hands `docker compose ...` to `docker-compose ...`, so people type the same
command on every server. The plugin protocol: the CLI runs the plugin with
`docker-cli-plugin-metadata` to list it, and with `compose ARGS` to run it.
"""

from __future__ import annotations

import json

from hydron.remote.command import Command, observe

PLUGIN_PATH = "/usr/local/lib/docker/cli-plugins/docker-compose"
MARKER = "# Managed by Hydron"


def plugin_script(version: str) -> str:
    metadata = json.dumps({"SchemaVersion": "0.1.0", "Vendor": "Hydron", "Version": version or "v1",
                           "ShortDescription": "Docker Compose (runs docker-compose)"})
    return (
        "#!/bin/sh\n"
        f"{MARKER}: `docker compose` for the standalone docker-compose this release packages.\n"
        'if [ "$1" = docker-cli-plugin-metadata ]; then\n'
        f"  echo '{metadata}'\n"
        "  exit 0\n"
        "fi\n"
        '[ "$1" = compose ] && shift\n'
        'exec docker-compose "$@"\n'
    )


def version() -> Command:
    """`docker compose version --short`: answers once Compose is there, as plugin or through ours."""
    return observe("docker", "compose", "version", "--short", ok_exit=(0, 1, 125, 127))


def standalone_version() -> Command:
    return observe("docker-compose", "version", "--short", ok_exit=(0, 1, 127))
