"""Ruby services: bundler; Rails (assets precompiled at build), Sinatra, Rack, Sidekiq."""

from __future__ import annotations

from . import images
from .common import (
    Context, add_user, apt_install, env_lines, expose, header, healthcheck, owned_workdir, port_env, ruby_check, start,
)

BUNDLE_ENV = {"BUNDLE_DEPLOYMENT": "1", "BUNDLE_PATH": "/usr/local/bundle", "BUNDLE_WITHOUT": "development:test"}
# Native libraries the database gems compile against (build) and load (runtime).
DB_LIBS = {"postgres": ("libpq-dev", "libpq5"), "mysql": ("default-libmysqlclient-dev", "libmariadb3"),
           "mariadb": ("default-libmysqlclient-dev", "libmariadb3")}


def generate(ctx: Context) -> str:
    base = images.ruby(ctx.version)
    rails = ctx.framework == "Rails"
    build_libs = ["build-essential", "git", "libyaml-dev", "pkg-config"]
    runtime_libs = ["libyaml-0-2"]
    for kind in sorted(ctx.backing_kinds & DB_LIBS.keys()):
        build_libs.append(DB_LIBS[kind][0])
        runtime_libs.append(DB_LIBS[kind][1])
    environment = {**BUNDLE_ENV, **({"RAILS_ENV": "production", "RAILS_LOG_TO_STDOUT": "1",
                                     "RAILS_SERVE_STATIC_FILES": "1"} if rails else {"RACK_ENV": "production"})}
    precompile = ""
    if ctx.build:
        # Rails needs a secret to boot for asset precompilation; a dummy one never reaches the runtime.
        precompile = f"RUN {'SECRET_KEY_BASE_DUMMY=1 ' if rails else ''}{ctx.build}\n"
    return (
        header(ctx, f"ruby, bundler{', ' + ctx.framework if ctx.framework else ''}")
        + "\n"
        f"FROM {base} AS build\n"
        f"{apt_install(*build_libs)}"
        f"{env_lines(environment)}"
        "WORKDIR /app\n"
        "COPY Gemfile Gemfile.lock* ./\n"
        "RUN bundle install && rm -rf ~/.bundle /usr/local/bundle/ruby/*/cache\n"
        "COPY . .\n"
        f"{precompile}"
        "\n"
        f"FROM {base} AS runtime\n"
        f"{apt_install(*runtime_libs)}"
        f"{env_lines({**environment, **port_env(ctx)})}"
        f"{add_user()}"
        f"{owned_workdir('/app', writable=ctx.writable)}"
        "COPY --from=build /usr/local/bundle /usr/local/bundle\n"
        "COPY --from=build --chown=app:app /app /app\n"
        "USER app\n"
        f"{expose(ctx)}"
        f"{healthcheck(ruby_check(ctx.port, ctx.health_path), ctx.check)}"
        f"{start(ctx)}\n"
    )
