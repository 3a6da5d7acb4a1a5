"""Python services: pip, poetry, uv, pipenv; Django, Flask, FastAPI and workers.

Dependencies go into a virtualenv at /opt/venv in the build stage; the runtime stage
copies only that venv and the sources. Package-manager tools live in a separate venv
(/opt/tools) so they never reach the runtime image.
"""

from __future__ import annotations

import posixpath
import re

from hydron.analysis.fits import PYTHON_SERVERS

from . import images
from .common import (
    Context, add_user, apt_install, env_lines, expose, header, healthcheck, owned_workdir, port_env, python_check,
    relative_to, start,
)
from .pythondeps import build_needs, interpreter, setuptools_cap

VENV_ENV = {"VIRTUAL_ENV": "/opt/venv", "PATH": "/opt/venv/bin:$PATH"}
# PIP_NO_CACHE_DIR=off disables pip's cache in every pip: "1" crashes the pip of old Pythons (pip 18 on 3.6:
# "TypeError: expected str, bytes or os.PathLike object, not int"), which old pins need.
BUILD_ENV = {"PIP_NO_CACHE_DIR": "off", "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PYTHONDONTWRITEBYTECODE": "1"}
TOOLS = {"poetry": "poetry", "uv": "uv", "pipenv": "pipenv"}
# Servers a start command runs that are packages of their own: (program, package).
SERVERS = PYTHON_SERVERS
_REQUIREMENT_FILE = re.compile(r"(?:-r|--requirement|-c|--constraint)[ =]+(\S+)")


def _tool(pm: str) -> str:
    if pm not in TOOLS:
        return ""
    return (f"RUN python -m venv /opt/tools && /opt/tools/bin/pip install {TOOLS[pm]} "
            f"&& ln -s /opt/tools/bin/{TOOLS[pm]} /usr/local/bin/{TOOLS[pm]}\n")


def _install_steps(ctx: Context, pm: str, has_compiler: bool = False) -> str:
    """Manifests and lockfile first, install, then the sources (and the project itself where it is a package)."""
    install = ctx.install

    def run(command: str) -> str:
        return f"RUN {command if has_compiler else _or_compile(command)}\n"

    if pm == "poetry":
        return ("COPY pyproject.toml poetry.lock* ./\n"
                f"{run(install or 'poetry install --no-interaction --no-root --only main')}"
                "COPY . .\n")
    if pm == "uv":
        sync = install or "uv sync --frozen --no-dev"
        return ("ENV UV_PROJECT_ENVIRONMENT=/opt/venv UV_PYTHON_DOWNLOADS=never UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy\n"
                "COPY pyproject.toml uv.lock* ./\n"
                f"{run(sync + ' --no-install-project')}"
                "COPY . .\n"
                f"RUN {sync}\n")
    if pm == "pipenv":
        return ("COPY Pipfile Pipfile.lock* ./\n"
                f"{run(install or 'pipenv install --system --ignore-pipfile')}"
                "COPY . .\n")
    if install and "requirements" in install:
        return f"{_copy_requirements(ctx, install)}{run(install)}" "COPY . .\n"
    # `pip install .` needs the package's sources: no separate dependency layer is possible.
    return "COPY . .\n" f"{run(install or 'pip install .')}"


def _or_compile(command: str) -> str:
    """The install, and where it fails, again with a compiler: a pin with no wheel for this Python builds
    from source (microblog's multidict==6.0.4 on 3.12), and no table names every C extension. Images whose
    packages all ship wheels stay free of the compiler."""
    return (f"{command} \\\n || (echo 'hydron: a package builds from source (no wheel for this Python); installing a "
            "compiler and retrying' >&2 \\\n     && apt-get update && apt-get install -y --no-install-recommends "
            f"build-essential pkg-config \\\n     && {command})")


def _copy_requirements(ctx: Context, install: str) -> str:
    """The requirements files the install reads and every file they include, each at its own path
    (a folder such as requirements/ is copied whole, so `-r base.txt` inside it resolves)."""
    named = set(_REQUIREMENT_FILE.findall(install))
    named |= {relative_to(p.file, ctx.service.path) for p in ctx.service.packages or () if p.file.endswith(".txt")}
    named = {posixpath.normpath(n) for n in named if not n.startswith("../")}
    if not named:
        return "COPY requirements*.txt ./\n"
    folders = sorted({n.split("/")[0] for n in named if "/" in n})
    files = sorted(n for n in named if "/" not in n)
    return "".join([f"COPY {' '.join(files)} ./\n" if files else "",
                    *(f"COPY {folder}/ {folder}/\n" for folder in folders)])


def _missing_server(ctx: Context, pm: str) -> str:
    """Install the server the start command runs when the manifests do not declare it (a Procfile's
    `gunicorn app:app` with no gunicorn pin, or the analysis' own choice of server for a Flask app)."""
    if ctx.service.packages is None or not ctx.start_command:
        return ""
    words = ctx.start_command.split()
    program = next((w for w in words if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", w)), "")
    package = SERVERS.get(program.rsplit("/", 1)[-1])
    if package is None or package in {p.name for p in ctx.service.packages}:
        return ""
    install = f"uv pip install --python /opt/venv/bin/python {package}" if pm == "uv" else f"pip install {package}"
    return f"# The start command runs {package}, which the manifests do not declare.\nRUN {install}\n"


def _build_constraints(packages) -> str:
    """Old sdists whose setup.py needs a setuptools of their time: pip reads PIP_CONSTRAINT in the isolated
    environment it builds each sdist in too (a --constraint argument would not reach it). Set after the
    tools venv, whose pipenv needs a new setuptools."""
    cap = setuptools_cap(packages)
    if cap is None:
        return ""
    below, pin = cap
    return (f"# The pinned {pin} builds only with setuptools older than {images.dotted(below)}.\n"
            f"RUN echo 'setuptools<{images.dotted(below)}' > /opt/build-constraints.txt\n"
            "ENV PIP_CONSTRAINT=/opt/build-constraints.txt\n")


def generate(ctx: Context) -> str:
    pm = ctx.service.package_manager.name if ctx.service.package_manager else "pip"
    packages = ctx.service.packages or []
    version, reason = interpreter(ctx.version, packages, images.DEFAULTS["python"])
    base = images.python(images.dotted(version))
    why = f"# Python {images.dotted(version)}: {reason}.\n" if reason else ""
    build_packages, runtime_packages = build_needs(packages, version)
    build_tools = ("# Compiler and headers for the packages that build from source (build stage only).\n"
                   f"{apt_install(*build_packages)}") if build_packages else ""
    build = f"RUN {ctx.build}\n" if ctx.build else ""
    runtime_env = {"PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1", **VENV_ENV, **port_env(ctx)}
    return (
        header(ctx, f"python, {pm}{', ' + ctx.framework if ctx.framework else ''}")
        + why
        + "\n"
        f"FROM {base} AS build\n"
        f"{build_tools}"
        f"{env_lines({**BUILD_ENV, **VENV_ENV})}"
        "WORKDIR /app\n"
        "RUN python -m venv /opt/venv\n"
        f"{_tool(pm)}"
        f"{_build_constraints(packages)}"
        f"{_install_steps(ctx, pm, 'build-essential' in build_packages)}"
        f"{_missing_server(ctx, pm)}"
        f"{build}"
        "\n"
        f"FROM {base} AS runtime\n"
        f"{apt_install(*runtime_packages)}"
        f"{env_lines(runtime_env)}"
        f"{add_user()}"
        f"{owned_workdir('/app', writable=ctx.writable)}"
        "COPY --from=build /opt/venv /opt/venv\n"
        "COPY --from=build --chown=app:app /app /app\n"
        "USER app\n"
        f"{expose(ctx)}"
        f"{healthcheck(python_check(ctx.port, ctx.health_path), ctx.check)}"
        f"{start(ctx)}\n"
    )
