"""Every template of the gallery reaches HTTPS on one shared server: ghost, wordpress,
umami, plausible, static-site and node-api, each with its databases, side by side as a
person would host them. Parameters set on an Application show up in what runs; the two
templates for your own code (static-site, node-api) build the repository their
parameters name, served by the test bed's Git server; static-site serves the
repository's page, not nginx's default one.

The official app and database images cannot be pulled here: the test bed's stand-ins
under the official names (hack/testbed/README.md) run instead, each keeping the image's
port, health path, env names and a real connection to its database; the page each
shows is a visit stored in that database through the credentials Hydron generated.
They are loaded onto the server in one stream before the apps are applied (their
shared layers cross once), as a registry pull would bring them: how Hydron delivers an
image it lacks is test_multi_service's to prove, and repeating it here for eleven
images would cost minutes of suite time."""

from __future__ import annotations

import json
import re
import subprocess
import time
import uuid

import pytest

from hydron_testbed import REPO
from hydron_testbed.acme import acme_server
from hydron_testbed.git_server import GitDaemon, WorkRepo

pytestmark = [pytest.mark.controlplane, pytest.mark.docker]
STARTERS = REPO / "examples" / "templates"
# Keys a person fills in each app's Secret before deploying (the plan says so).
USER_SECRETS = {"umami": "APP_SECRET", "plausible": "SECRET_KEY_BASE", "node-api": "SESSION_SECRET"}
HYDRON_KINDS = ("applications", "infraplans", "deployments.hydron.dev")
GALLERY_IMAGES = ["ghost:5-alpine", "wordpress:6.5-apache", "ghcr.io/umami-software/umami:postgresql-v2.11.3",
                  "ghcr.io/plausible/community-edition:v2.1.1", "mysql:8.4", "postgres:16-alpine", "redis:7.2-alpine",
                  "clickhouse/clickhouse-server:24.3-alpine",
                  "node:22-slim", "nginxinc/nginx-unprivileged:1.27-alpine"]  # the builds of the two for your own code
DEADLINE_S = 1200


def preload(host, images: list[str]) -> None:
    """`docker save` here into `docker load` on the server: one stream, shared layers once."""
    save = subprocess.Popen(["docker", "save", *images], stdout=subprocess.PIPE)
    load = subprocess.run(["docker", "exec", "-i", host.container.name, "docker", "load", "-q"],
                          stdin=save.stdout, capture_output=True, text=True)
    save.stdout.close()
    assert save.wait() == 0 and load.returncode == 0, f"preloading the gallery images failed: {load.stderr[-2000:]}"


def domain(app: str) -> str:
    return f"{app}.example.test"


def application(app: str, parameters: dict[str, str]) -> str:
    return json.dumps({
        "apiVersion": "hydron.dev/v1alpha1", "kind": "Application", "metadata": {"name": app},
        "spec": {"source": {"template": {"name": app, "parameters": [
                     {"name": k, "value": v} for k, v in parameters.items()]}},
                 "domains": [domain(app)], "planning": {"serverRef": {"name": "srv"}, "autoApprove": True}},
    })


def where_things_stand(kube, host) -> str:
    lines = []
    for kind in HYDRON_KINDS:
        listed = json.loads(kube.run("get", kind, "-o", "json", check=False).stdout or '{"items": []}')
        for item in listed["items"]:
            for c in (item.get("status") or {}).get("conditions", []):
                if c["status"] != "True":
                    lines.append(f"{kind}/{item['metadata']['name']} {c['type']}={c['status']} {c.get('reason', '')}: "
                                 f"{c.get('message', '')[:300]}")
    lines.append(host.sh("docker ps -a --format '{{.Names}} {{.Status}}' 2>&1", check=False))
    return "\n".join(lines)


def container_env(host, app: str, service: str) -> dict[str, str]:
    name = host.sh(f"docker ps --filter label=dev.hydron.app={app} --filter label=dev.hydron.service={service} "
                   "--format '{{.Names}}'").split()[0]
    listed = json.loads(host.sh(f"docker inspect --format '{{{{json .Config.Env}}}}' {name}"))
    return dict(item.split("=", 1) for item in listed)


def body(page: str) -> str:
    head, _, rest = page.partition("\r\n\r\n")
    assert head.splitlines()[0].endswith("200 OK"), f"the page did not answer 200:\n{page[:2000]}"
    return rest


@pytest.mark.timeout(2700)  # provisioning, then six stacks, thirteen containers and two builds on one server
def test_every_gallery_template_reaches_https_on_one_server_with_its_parameters(kube, operator, hosts, tmp_path):
    (tmp_path / "served").mkdir()
    daemon = GitDaemon(tmp_path / "served").start()
    try:
        for starter in ("static-site", "node-api"):  # "public repositories", on the test bed's Git server
            work = WorkRepo(tmp_path / starter)
            work.write_tree(STARTERS / starter)
            work.commit(f"{starter} starter")
            work.publish(daemon.root / f"{starter}.git")
        host = hosts(1)[0]
        server = acme_server(kube, host, base_images=[])
        parameters = {
            "ghost": {"url": "https://ghost.example.test/blog"},
            "wordpress": {"tablePrefix": "shop_"},
            "umami": {},
            "plausible": {"registration": "false"},
            "static-site": {"repository": daemon.url("static-site.git")},
            "node-api": {"repository": daemon.url("node-api.git"), "ref": "main"},
        }
        kube.wait("servers", server.name, "condition=Ready", timeout=DEADLINE_S)  # its Docker engine runs
        preload(host, GALLERY_IMAGES)
        for app, key in USER_SECRETS.items():
            kube.run("create", "secret", "generic", f"{app}-env", f"--from-literal={key}={uuid.uuid4().hex}")
        for app in parameters:
            server.serve_domain(domain(app))
            kube.apply(application(app, parameters[app]))
        deadline = time.monotonic() + DEADLINE_S
        for app in parameters:
            try:
                kube.wait("applications", app, "condition=Ready", timeout=max(1, int(deadline - time.monotonic())))
            except AssertionError as error:
                raise AssertionError(f"{app}: {error}\n--- where things stand ---\n"
                                     f"{where_things_stand(kube, host)}") from None

        pages = {app: body(server.https_get(timeout=120, domain=domain(app))) for app in parameters}

        # The image stacks: each page is a visit stored in the stack's own database.
        for app, title, engine in [("ghost", "Ghost", "mysql"), ("wordpress", "WordPress", "mysql"),
                                   ("umami", "Umami", "postgres"), ("plausible", "Plausible", "postgres")]:
            assert re.search(rf"<h1>{title} .*</h1><p>Visit \d+ stored in {engine}</p>", pages[app]), \
                f"{app} does not show a visit stored in {engine}:\n{pages[app][:1500]}"
        assert "<p>events store: 1</p>" in pages["plausible"], "plausible did not reach ClickHouse with its credentials"
        # Parameters reach what runs; a default comes from the Application's domain.
        assert "Site URL: https://ghost.example.test/blog" in pages["ghost"]
        assert container_env(host, "wordpress", "wordpress")["WORDPRESS_TABLE_PREFIX"] == "shop_"
        plausible = container_env(host, "plausible", "plausible")
        assert plausible["DISABLE_REGISTRATION"] == "false"
        assert plausible["BASE_URL"] == "https://plausible.example.test"
        # static-site serves the repository's page, not the web server's default one.
        assert "<h1>Hello from my static site</h1>" in pages["static-site"], pages["static-site"][:1500]
        assert "Welcome to nginx" not in pages["static-site"]
        # node-api: built from its repository, answering from Postgres and Redis.
        found = re.search(r"\{.*\}", pages["node-api"])  # the body may come chunked
        api = json.loads(found.group(0)) if found else {}
        assert api.get("api") == "node-api starter" and api.get("note", 0) >= 1 and api.get("hits", 0) >= 1, \
            pages["node-api"][:1500]
        assert api.get("env") == "production"
        # Every stack runs with its databases, all on the one server.
        running = host.sh("docker ps --format '{{.Label \"dev.hydron.app\"}}/{{.Label \"dev.hydron.service\"}}'")
        assert sorted(line for line in running.split() if line != "/") == sorted([
            "ghost/ghost", "ghost/mysql", "wordpress/wordpress", "wordpress/mysql", "umami/umami", "umami/postgres",
            "plausible/plausible", "plausible/postgres", "plausible/clickhouse", "static-site/site",
            "node-api/api", "node-api/postgres", "node-api/redis"]), running
    finally:
        daemon.stop()
