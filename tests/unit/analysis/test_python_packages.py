"""Python services report their declared packages with the versions they pin, following nested requirements files."""

from __future__ import annotations

from pathlib import Path

from hydron.analysis import analyze


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_nested_requirements_files_are_followed_and_their_pins_reported(tmp_path):
    repo = write(tmp_path, {
        "requirements.txt": "-r requirements/production.txt\n",
        "requirements/production.txt": "-r base.txt\ngunicorn==21.2.0\n",
        "requirements/base.txt": "Django==3.2.5  # LTS\npsycopg2>=2.8,<2.9 ; python_version >= '3'\n"
                                 "git+https://example.com/lib.git#egg=lib\n",
        "manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site.settings')\n",
    })
    service = analyze(repo).services[0]
    assert service.install_command.value == "pip install -r requirements.txt"
    pins = {p.name: (p.version, p.file) for p in service.packages}
    assert pins["django"] == ("==3.2.5", "requirements/base.txt")
    assert pins["psycopg2"] == (">=2.8,<2.9", "requirements/base.txt")
    assert pins["gunicorn"] == ("==21.2.0", "requirements/production.txt")
    assert "git" not in pins


def test_a_requirements_folder_without_a_root_file_installs_its_production_file(tmp_path):
    """cookiecutter-django's layout: pyproject.toml only configures tools; the requirements live in a folder."""
    repo = write(tmp_path, {"pyproject.toml": "[tool.black]\nline-length = 100\n",
                            "requirements/production.txt": "flask==3.0.0\n",
                            "app.py": "from flask import Flask\napp = Flask(__name__)\n"})
    service = analyze(repo).services[0]
    assert service.install_command.value == "pip install -r requirements/production.txt"
    assert [(p.name, p.version) for p in service.packages] == [("flask", "==3.0.0")]


def test_poetry_constraints_are_reported_as_declared(tmp_path):
    repo = write(tmp_path, {"pyproject.toml": '[tool.poetry]\nname = "x"\n[tool.poetry.dependencies]\n'
                                              'python = "^3.9"\nnumpy = "^1.24"\nfastapi = {version = "0.110.0"}\n'
                                              'uvicorn = "*"\n',
                            "main.py": "from fastapi import FastAPI\napp = FastAPI()\n"})
    pins = {p.name: p.version for p in analyze(repo).services[0].packages}
    assert pins == {"numpy": "^1.24", "fastapi": "0.110.0", "uvicorn": None}


def test_pipfile_lock_packages_count_even_when_the_pipfile_no_longer_names_them(tmp_path):
    """The image installs the lock; a stale lock's psycopg2 still needs libpq headers to build."""
    import json as _json
    (tmp_path / "Pipfile").write_text('[packages]\nflask = "==1.1.2"\n')
    (tmp_path / "Pipfile.lock").write_text(_json.dumps({"default": {"flask": {"version": "==1.1.2"},
                                                                    "psycopg2": {"version": "==2.8.4"}}}))
    (tmp_path / "app.py").write_text("from flask import Flask\napp = Flask(__name__)\n")
    from hydron.analysis import analyze as _analyze
    [service] = _analyze(tmp_path).services
    assert {p.name: p.version for p in service.packages}["psycopg2"] == "==2.8.4"
    assert service.install_command.value == "pipenv install --system --ignore-pipfile"


def test_an_extra_that_installs_a_compiled_package_reaches_the_generated_image(tmp_path):
    """netbox: psycopg[c,pool] installs psycopg-c, an sdist whose build runs pg_config; the extra is a
    package of its own in the analysis, so the image's build stage gets libpq's headers."""
    from hydron.planning.dockerfiles import generate_dockerfile
    analysis = analyze(write(tmp_path, {"requirements.txt": "Django==5.0\npsycopg[c,pool]==3.3.4\n",
                                        "manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', "
                                                     "'site.settings')\n"}))
    service = analysis.services[0]
    assert {"psycopg", "psycopg[c]", "psycopg[pool]"} <= {p.name for p in service.packages}
    build = generate_dockerfile(service, analysis).split(" AS runtime\n")[0]
    assert "libpq-dev" in build and "build-essential" in build
