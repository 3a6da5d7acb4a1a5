"""A Django site one folder below the requirements (netbox: requirements.txt at the root, netbox/manage.py):
the service is the root, and its commands name the site's folder."""

from __future__ import annotations

from pathlib import Path

from hydron.analysis import analyze


def netbox_layout(root: Path, requirements: str) -> Path:
    files = {"requirements.txt": requirements, "docs/index.md": "",
             "netbox/manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'netbox.settings')\n",
             "netbox/netbox/__init__.py": "", "netbox/netbox/wsgi.py": "",
             "netbox/netbox/settings.py": "STATIC_ROOT = BASE_DIR / 'static'\n"}
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_a_django_site_a_folder_below_its_requirements_starts_and_collects_static_from_that_folder(tmp_path):
    services = analyze(netbox_layout(tmp_path, "Django==5.0\ngunicorn==23.0.0\ndjango-rq==3.0\n")).services
    web = next(s for s in services if s.role.value == "web")
    assert web.path == "." and web.framework.name == "Django"
    assert web.start_command.value == "gunicorn --chdir netbox netbox.wsgi:application --bind 0.0.0.0:8000"
    assert web.build_command.value == "python netbox/manage.py collectstatic --noinput"
    worker = next(s for s in services if s.role.value == "worker")
    assert worker.start_command.value == "python netbox/manage.py rqworker"


def test_without_gunicorn_the_site_below_runs_its_own_manage_py(tmp_path):
    web = analyze(netbox_layout(tmp_path, "Django==5.0\n")).services[0]
    assert web.start_command.value == "python netbox/manage.py runserver 0.0.0.0:8000"
