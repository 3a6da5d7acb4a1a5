"""Hand-written routers (no framework) still get their health endpoint found."""

import pytest

from hydron.analysis import analyze

CASES = {
    "node-http": ("package.json", '{"name": "svc", "scripts": {"start": "node server.js"}}',
                  "server.js", 'require("http").createServer((req, res) => {\n  if (req.url === "/healthz") res.end("ok");\n}).listen(8080);\n'),
    "python-http-server": ("requirements.txt", "", "app.py",
                           "class H(BaseHTTPRequestHandler):\n    def do_GET(self):\n        if self.path == '/health':\n            pass\n\n"
                           "HTTPServer(('', int(os.environ.get('PORT', '8000'))), H).serve_forever()\n"),
    "go-switch": ("go.mod", "module example.com/svc\n\ngo 1.22\n", "main.go",
                  'package main\n\nfunc h(w http.ResponseWriter, r *http.Request) {\n\tswitch r.URL.Path {\n\tcase "/up":\n\t}\n}\n\n'
                  'func main() { http.ListenAndServe(":8080", http.HandlerFunc(h)) }\n'),
}
EXPECTED = {"node-http": "/healthz", "python-http-server": "/health", "go-switch": "/up"}


@pytest.mark.parametrize("case", list(CASES))
def test_path_comparison_is_a_health_route(tmp_path, case):
    manifest, manifest_text, source, source_text = CASES[case]
    (tmp_path / manifest).write_text(manifest_text)
    (tmp_path / source).write_text(source_text)
    services = analyze(tmp_path).services
    assert services and services[0].health_check is not None, services
    assert services[0].health_check.path == EXPECTED[case]
    assert services[0].health_check.evidence[0].file == source


def _health(tmp_path, files: dict[str, str]):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    services = analyze(tmp_path).services
    return services[0].health_check.path if services and services[0].health_check else None


def test_a_commented_out_path_comparison_is_not_a_route(tmp_path):
    assert _health(tmp_path, {"package.json": '{"name": "svc", "dependencies": {"express": "4"}}',
                              "server.js": 'const app = require("express")();\n'
                                           '// exclude: (request) => request.path == "/up"\napp.listen(3000);\n'}) is None


def test_a_dictionary_get_of_a_health_word_is_not_a_route(tmp_path):
    assert _health(tmp_path, {"requirements.txt": "flask\n", "app.py": "from flask import Flask\napp = Flask(__name__)\n"
                              "up = form.cleaned_data.get('up')\n"}) is None


def test_a_route_whose_path_is_on_the_next_line(tmp_path):
    assert _health(tmp_path, {"Cargo.toml": '[package]\nname = "svc"\nversion = "0.1.0"\n\n[dependencies]\nactix-web = "4"\n',
                              "src/main.rs": 'fn main() {\n    App::new().route(\n        "/health",\n        web::get().to(ok),\n    ).bind(("0.0.0.0", 8080));\n}\n'}) == "/health"


def test_server_status_route_is_a_health_check_but_not_a_front_end_one(tmp_path):
    server = {"requirements.txt": "django\n", "manage.py": "", "urls.py": "urlpatterns = [path('api/status/', status)]\n"}
    assert _health(tmp_path / "server", server) == "/api/status/"
    front = {"package.json": '{"name": "svc", "dependencies": {"express": "4"}}',
             "router.js": 'const routes = [{ path: "/status", component: Status }];\n'}
    assert _health(tmp_path / "front", front) is None


def test_asp_net_use_health_checks(tmp_path):
    assert _health(tmp_path, {"Web.csproj": '<Project Sdk="Microsoft.NET.Sdk.Web"></Project>',
                              "Program.cs": 'app.UseHealthChecks("/health");\napp.Run();\n'}) == "/health"


def test_a_status_page_with_an_inline_handler_is_not_a_health_check(tmp_path):
    assert _health(tmp_path, {"package.json": '{"name": "svc", "dependencies": {"express": "4"}}',
                              "server.js": 'router.get("/status", cache("5 minutes"), async (request, response) => {\n'
                                           '});\napp.listen(3001);\n'}) is None


DJANGO_STATUS = {
    "requirements.txt": "Django==5.1\n",
    "app/urls.py": 'from django.urls import path\n\nurlpatterns = [path("status/", views.status)]\n',
}


def test_a_healthcheck_script_copied_into_the_image_gives_the_path_it_requests(tmp_path):
    """healthchecks.io: HEALTHCHECK CMD ./fetchstatus.py, copied from docker/, requests /api/v3/status/
    behind a host built in code; the weaker /status/ route of the code loses to it."""
    path = _health(tmp_path, DJANGO_STATUS | {
        "docker/Dockerfile": "FROM python:3.12-slim\nWORKDIR /opt/app\nCOPY . /opt/app/\nCOPY docker/fetchstatus.py /opt/app/\n"
                             "HEALTHCHECK --interval=60s CMD ./fetchstatus.py\nCMD [\"uwsgi\", \"docker/uwsgi.ini\"]\n",
        "docker/fetchstatus.py": '#!/usr/bin/env python\nimport os\nSITE_ROOT = os.getenv("SITE_ROOT", "http://localhost:8000")\n'
                                 'url = f"http://localhost:8000{root.path}/api/v3/status/"\nurlopen(url)\n',
    })
    assert path == "/api/v3/status/"


def test_a_healthcheck_script_named_by_its_path_under_a_variable_gives_the_path_it_requests(tmp_path):
    """mealie: HEALTHCHECK CMD python $MEALIE_HOME/mealie/scripts/healthcheck.py gets
    http://127.0.0.1:{port}/api/app/about; no route in the code has a health word."""
    path = _health(tmp_path, {
        "pyproject.toml": '[project]\nname = "app"\ndependencies = ["fastapi", "uvicorn"]\n',
        "app/main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
        "app/scripts/healthcheck.py": 'import os, requests\n# see http://localhost/docs\nport = os.getenv("API_PORT", 9000)\n'
                                      'r = requests.get(f"http://127.0.0.1:{port}/api/app/about")\n',
        "docker/Dockerfile": "FROM python:3.12-slim\nENV APP_HOME=/app\nCOPY . $APP_HOME\n"
                             "HEALTHCHECK CMD python $APP_HOME/app/scripts/healthcheck.py || exit 1\nCMD [\"python\", \"-m\", \"app\"]\n",
        "docker/docker-compose.yml": "services:\n  app:\n    build:\n      context: ..\n      dockerfile: docker/Dockerfile\n"
                                     "    ports: ['9000:9000']\n",
    })
    assert path == "/api/app/about"


def test_a_healthcheck_script_that_probes_no_local_url_leaves_the_routes_to_decide(tmp_path):
    path = _health(tmp_path, DJANGO_STATUS | {
        "Dockerfile": "FROM python:3.12-slim\nCOPY . .\nHEALTHCHECK CMD ./check.sh\n",
        "check.sh": "#!/bin/sh\npg_isready -h db\ncurl -f https://status.example.com/ping\n",
    })
    assert path == "/status/"
