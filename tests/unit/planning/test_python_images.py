"""Python images for real requirement sets: the interpreter the pins support, a compiler only where
a package builds from source, and nested requirements files."""

from __future__ import annotations

from hydron.analysis.models import Package
from hydron.planning.dockerfiles import generate_dockerfile
from tests.unit.planning.factories import analysis, service


def python_app(*pins: tuple[str, str | None], version: str | None = None, install="pip install -r requirements.txt",
               files="requirements.txt"):
    svc = service("web", language="python", version=version, framework="Flask", pm="pip", lockfile=None,
                  install=install, start="gunicorn app:app", port=8000)
    svc = svc.model_copy(update={"packages": [Package(name=n, version=v, file=files) for n, v in pins]})
    return generate_dockerfile(svc, analysis(svc))


def stages(text: str) -> tuple[str, str]:
    build, runtime = text.split(" AS runtime\n")
    return build, runtime


def test_psycopg2_from_source_gets_compiler_and_libpq_headers_in_the_build_stage_only():
    build, runtime = stages(python_app(("flask", "==3.0.0"), ("psycopg2", "==2.9.9")))
    assert "build-essential" in build and "libpq-dev" in build
    assert "build-essential" not in runtime and "libpq-dev" not in runtime
    assert "libpq5" in runtime, "the compiled module loads libpq at run time"


def test_psycopg3_with_its_c_extra_compiles_against_the_libpq_headers():
    # psycopg[c] installs psycopg-c, published as source only: its build calls pg_config (libpq-dev)
    build, runtime = stages(python_app(("psycopg", "==3.3.4"), ("psycopg[c]", "==3.3.4"), ("psycopg[pool]", "==3.3.4")))
    assert "build-essential" in build and "libpq-dev" in build
    assert "libpq-dev" not in runtime and "libpq5" in runtime


def test_mysqlclient_gets_the_mysql_client_headers():
    build, runtime = stages(python_app(("mysqlclient", "==2.2.0")))
    assert "default-libmysqlclient-dev" in build and "libmariadb3" in runtime


def test_packages_with_wheels_need_no_compiler():
    text = python_app(("flask", "==3.0.0"), ("psycopg2-binary", "==2.9.9"), ("numpy", ">=1.26"), ("lxml", "==5.1.0"))
    assert not any(line.startswith("RUN apt-get") for line in text.splitlines())  # only the fallback names one
    assert "FROM python:3.12-slim AS build" in text


def test_an_old_numpy_pin_picks_the_newest_python_it_has_wheels_for():
    text = python_app(("numpy", "==1.24.4"), ("pandas", "<2.1"))
    assert "FROM python:3.11-slim AS build" in text and "FROM python:3.11-slim AS runtime" in text
    assert "# Python 3.11: the pinned numpy==1.24.4" in text


def test_a_pin_older_than_any_wheel_for_the_chosen_python_is_compiled():
    text = python_app(("numpy", "==1.19.5"), version=">=3.10")  # the project needs 3.10; numpy 1.19 has no 3.10 wheel
    assert "FROM python:3.10-slim" in text and "build-essential" in text


def test_an_exact_python_pin_of_the_repository_decides():
    assert "FROM python:3.12-slim" in python_app(("numpy", "==1.24.4"), version="3.12.1")


def test_the_upper_bound_of_requires_python_is_respected():
    assert "FROM python:3.11-slim" in python_app(version=">=3.9,<3.12")


def test_nested_requirement_files_are_copied_at_their_own_paths():
    text = python_app(("django", "==5.0"), install="pip install -r requirements/production.txt",
                      files="requirements/base.txt")
    assert "COPY requirements/ requirements/\n" in text
    assert text.index("COPY requirements/ requirements/") < text.index("RUN pip install -r requirements/production.txt")


def test_a_server_the_start_command_runs_but_no_manifest_declares_is_installed():
    assert "RUN pip install gunicorn\n" in python_app(("flask", "==1.1.2"))
    assert "pip install gunicorn" not in python_app(("flask", "==3.0.0"), ("gunicorn", "==22.0.0"))


def test_a_pin_caps_python_only_when_every_version_it_allows_predates_the_wheels():
    from hydron.planning.dockerfiles.pythondeps import entirely_below
    numpy_312 = (1, 26, 0)
    assert entirely_below("==1.24.4", numpy_312) and entirely_below("~=1.24.0", numpy_312)
    assert entirely_below("==1.25.*", numpy_312) and entirely_below("<1.26", numpy_312)
    assert entirely_below(">=1.20,<1.25", numpy_312) and entirely_below("^0.29", (0, 30))
    assert not entirely_below("^1.24", numpy_312), "^1.24 allows 1.26"
    assert not entirely_below(">=1.20", numpy_312) and not entirely_below(None, numpy_312)
    assert not entirely_below("<=1.26.0", numpy_312)


def test_an_install_that_fails_for_want_of_a_compiler_retries_with_one():
    """microblog: multidict==6.0.4 has no wheel for Python 3.12 and no table names it; the install retries
    with a compiler instead of failing, and an image whose packages all have wheels never installs one."""
    text = python_app(("flask", "==3.0.0"), ("multidict", "==6.0.4"))
    assert ("RUN pip install -r requirements.txt \\\n || (echo 'hydron: a package builds from source" in text
            and "apt-get install -y --no-install-recommends build-essential pkg-config \\\n"
                "     && pip install -r requirements.txt)" in text)
    assert "build-essential" not in text.split("FROM python:3.12-slim AS runtime")[1]


def test_psycopg2_older_than_the_python_it_compiles_on_caps_the_interpreter():
    """bluelog: psycopg2==2.8.4 does not compile on 3.12 (lvalue required as left operand of assignment)."""
    text = python_app(("flask", "==1.1.2"), ("psycopg2", "==2.8.4"))
    assert "FROM python:3.8-slim AS build" in text


def test_the_pip_cache_is_disabled_in_a_way_the_pip_of_an_old_python_understands():
    from hydron.planning.dockerfiles import generate_dockerfile
    from tests.unit.planning.factories import analysis, service
    old = service("blog", language="python", version="3.6", framework="Django", pm="pip", lockfile=None,
                  install="pip install -r requirements.txt", start="python manage.py runserver 0.0.0.0:8000", port=8000)
    text = generate_dockerfile(old, analysis(old))
    assert "FROM python:3.6-slim" in text
    assert "PIP_NO_CACHE_DIR=off" in text and "PIP_NO_CACHE_DIR=1" not in text


def test_an_old_sdist_that_needs_the_setuptools_of_its_time_builds_with_it_even_inside_pips_build_isolation():
    """realworld-flask: MarkupSafe 1.0 (no wheels) imports setuptools.Feature, gone since setuptools 46; pip
    builds it with the newest setuptools unless PIP_CONSTRAINT, which its isolated build reads, caps it."""
    app = service("web", language="python", version="3.7", framework="Flask", pm="pipenv", lockfile="Pipfile.lock",
                  install="pipenv install --system --ignore-pipfile", start="gunicorn autoapp:app", port=8000)
    old = app.model_copy(update={"packages": [Package(name="markupsafe", version="==1.0", file="Pipfile.lock")]})
    build, runtime = stages(generate_dockerfile(old, analysis(old)))
    assert "RUN echo 'setuptools<46' > /opt/build-constraints.txt\nENV PIP_CONSTRAINT=/opt/build-constraints.txt\n" in build
    assert build.index("/opt/tools/bin/pip install pipenv") < build.index("PIP_CONSTRAINT") < build.index(
        "RUN pipenv install"), "the tools venv's pipenv needs today's setuptools"
    assert "PIP_CONSTRAINT" not in runtime
    new = app.model_copy(update={"packages": [Package(name="markupsafe", version="==1.1.1", file="Pipfile.lock")]})
    assert "PIP_CONSTRAINT" not in generate_dockerfile(new, analysis(new))
