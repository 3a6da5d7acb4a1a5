"""Elixir services: mix; Phoenix. Built as an OTP release, run on plain Debian.

A release carries its own Erlang runtime, so the runtime stage needs only the C
libraries it links against, not Elixir or mix.
"""

from __future__ import annotations

import json

from . import images
from .common import (
    Context, add_user, apt_install, bash_check, cmd, env_lines, expose, header, healthcheck, owned_workdir, port_env,
)


def generate(ctx: Context) -> str:
    app = ctx.service.name.replace("-", "_")
    phoenix = ctx.framework == "Phoenix"
    assets = "RUN mix assets.deploy\n" if ctx.build and "assets.deploy" in ctx.build else ""
    environment = {"MIX_ENV": "prod", "LANG": "C.UTF-8", **port_env(ctx), **({"PHX_SERVER": "true"} if phoenix else {})}
    start = (cmd(ctx.start_command) if ctx.start_command and ctx.start_overridden
             else "CMD " + json.dumps([f"/app/bin/{app}", "start"]))
    return (
        header(ctx, f"elixir, mix{', ' + ctx.framework if ctx.framework else ''}")
        + "\n"
        f"FROM {images.elixir(ctx.version)} AS build\n"
        f"{apt_install('build-essential', 'git')}"
        "ENV MIX_ENV=prod\n"
        "WORKDIR /app\n"
        "RUN mix local.hex --force && mix local.rebar --force\n"
        "COPY mix.exs mix.lock* ./\n"
        "RUN mix deps.get --only prod\n"
        "# Compile-time configuration, then the dependencies, before the application's sources.\n"
        "RUN mkdir config\n"
        "COPY config/config.exs* config/prod.exs* config/\n"
        "RUN mix deps.compile\n"
        "COPY . .\n"
        f"{assets}"
        "RUN mix compile && mix release\n"
        "\n"
        f"FROM {images.DEBIAN} AS runtime\n"
        f"{apt_install('libstdc++6', 'openssl', 'libncurses6', 'locales', 'ca-certificates')}"
        f"{env_lines(environment)}"
        f"{add_user()}"
        f"{owned_workdir('/app', writable=ctx.writable)}"
        f"COPY --from=build --chown=app:app /app/_build/prod/rel/{app} ./\n"
        "USER app\n"
        f"{expose(ctx)}"
        f"{healthcheck(bash_check(ctx.port, ctx.health_path), ctx.check)}"
        f"{start}\n"
    )
