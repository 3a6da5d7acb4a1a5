"""A compose `command:` is the start of the image the compose file builds; where Hydron generates the image
(no Dockerfile for the service) it is kept only when it runs in that image."""

from __future__ import annotations

from pathlib import Path

from hydron.analysis import analyze
from hydron.analysis.fits import fits_generated_image, simple_commands
from hydron.analysis.walk import Tree

SETTINGS = "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'hc.settings')\n"


def django_repo(root: Path, command: str, requirements: str = "Django==5.0\n") -> Path:
    """healthchecks' layout: the Dockerfile its compose builds is gone, uwsgi.ini stays under docker/."""
    files = {"requirements.txt": requirements, "manage.py": SETTINGS, "hc/__init__.py": "", "hc/settings.py": "",
             "hc/wsgi.py": "", "docker/uwsgi.ini": "[uwsgi]\n",
             "docker/docker-compose.yml": ("services:\n  web:\n    build:\n      context: ..\n"
                                           "      dockerfile: docker/Dockerfile\n    ports: ['8000:8000']\n"
                                           f"    command: {command}\n")}
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def web(root: Path):
    return next(s for s in analyze(root).services if s.role.value == "web")


def test_a_compose_command_for_another_images_program_and_layout_gives_way_to_the_frameworks_start(tmp_path):
    command = "bash -c 'while !</dev/tcp/db/5432; do sleep 1; done; uwsgi /opt/healthchecks/docker/uwsgi.ini'"
    service = web(django_repo(tmp_path, f'"{command}"'))
    assert service.start_command.value == "python manage.py runserver 0.0.0.0:8000"
    assert all("uwsgi" not in c.value for c in service.start_candidates)


def test_a_compose_command_the_apps_own_dependencies_run_is_kept(tmp_path):
    service = web(django_repo(tmp_path, "uwsgi --http :8000 --module hc.wsgi", "Django==5.0\nuwsgi==2.0.28\n"))
    assert service.start_command.value == "uwsgi --http :8000 --module hc.wsgi"


def test_what_fits_the_generated_image_the_shell_the_runtime_the_dependencies_and_the_repositorys_files():
    tree = Tree(root="/nowhere", files={"": ["manage.py"], "scripts": ["start.sh"], "docker": ["uwsgi.ini"]})

    def fits(command: str, dependencies=("django", "celery")) -> bool:
        return fits_generated_image(command, "python", dependencies, tree, "")

    assert fits("sh -c 'python manage.py migrate && exec gunicorn hc.wsgi -b 0.0.0.0:$PORT'")
    assert fits("celery -A hc worker") and fits("./scripts/start.sh") and fits("/app/scripts/start.sh")
    assert fits("/opt/venv/bin/celery -A hc beat") and fits("python manage.py runserver --settings /data/x.py")
    assert not fits("uwsgi docker/uwsgi.ini"), "uwsgi is no dependency of the app"
    assert not fits("python /code/manage.py runserver"), "the repository copied to /code is another image's layout"
    assert not fits("/opt/other/start.sh")
    assert fits_generated_image("uwsgi x.ini", "go", (), tree, ""), "ecosystems without a table are not judged"
    assert simple_commands("FOO=1 gunicorn a:b 2>&1 | tee log") == [["gunicorn", "a:b", "2"], ["tee", "log"]]
