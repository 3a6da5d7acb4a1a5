"""Python services: pip, poetry, uv, pipenv; Django, Flask, FastAPI and workers.

Dependencies go into a virtualenv at /opt/venv in the build stage; the runtime stage
copies only that venv and the sources. Package-manager tools live in a separate venv
(/opt/tools) so they never reach the runtime image.
"""

from __future__ import annotations

from . import images
from .common import Context, add_user, env_lines, expose, header, healthcheck, port_env, python_check, start

VENV_ENV = {"VIRTUAL_ENV": "/opt/venv", "PATH": "/opt/venv/bin:$PATH"}
BUILD_ENV = {"PIP_NO_CACHE_DIR": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PYTHONDONTWRITEBYTECODE": "1"}
TOOLS = {"poetry": "poetry", "uv": "uv", "pipenv": "pipenv"}


def _tool(pm: str) -> str:
    if pm not in TOOLS:
        return ""
    return (f"RUN python -m venv /opt/tools && /opt/tools/bin/pip install {TOOLS[pm]} "
            f"&& ln -s /opt/tools/bin/{TOOLS[pm]} /usr/local/bin/{TOOLS[pm]}\n")


def _install_steps(ctx: Context, pm: str) -> str:
    """Manifests and lockfile first, install, then the sources (and the project itself where it is a package)."""
    install = ctx.install
    if pm == "poetry":
        return ("COPY pyproject.toml poetry.lock* ./\n"
                f"RUN {install or 'poetry install --no-interaction --no-root --only main'}\n"
                "COPY . .\n")
    if pm == "uv":
        sync = install or "uv sync --frozen --no-dev"
        return ("ENV UV_PROJECT_ENVIRONMENT=/opt/venv UV_PYTHON_DOWNLOADS=never UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy\n"
                "COPY pyproject.toml uv.lock* ./\n"
                f"RUN {sync} --no-install-project\n"
                "COPY . .\n"
                f"RUN {sync}\n")
    if pm == "pipenv":
        return ("COPY Pipfile Pipfile.lock* ./\n"
                f"RUN {install or 'pipenv install --deploy --system'}\n"
                "COPY . .\n")
    if install and "requirements" in install:
        return "COPY requirements*.txt ./\n" f"RUN {install}\n" "COPY . .\n"
    # `pip install .` needs the package's sources: no separate dependency layer is possible.
    return "COPY . .\n" f"RUN {install or 'pip install .'}\n"


def generate(ctx: Context) -> str:
    pm = ctx.service.package_manager.name if ctx.service.package_manager else "pip"
    base = images.python(ctx.version)
    build = f"RUN {ctx.build}\n" if ctx.build else ""
    runtime_env = {"PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1", **VENV_ENV, **port_env(ctx)}
    return (
        header(ctx, f"python, {pm}{', ' + ctx.framework if ctx.framework else ''}")
        + "\n"
        f"FROM {base} AS build\n"
        f"{env_lines({**BUILD_ENV, **VENV_ENV})}"
        "WORKDIR /app\n"
        "RUN python -m venv /opt/venv\n"
        f"{_tool(pm)}"
        f"{_install_steps(ctx, pm)}"
        f"{build}"
        "\n"
        f"FROM {base} AS runtime\n"
        f"{env_lines(runtime_env)}"
        f"{add_user()}"
        "WORKDIR /app\n"
        "COPY --from=build /opt/venv /opt/venv\n"
        "COPY --from=build --chown=app:app /app /app\n"
        "USER app\n"
        f"{expose(ctx)}"
        f"{healthcheck(python_check(ctx.port, ctx.health_path), ctx.check)}"
        f"{start(ctx)}\n"
    )
