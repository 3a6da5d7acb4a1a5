"""The repository's own build, end to end on the real engine: a compose file with a web
service built by a multi-stage Dockerfile at a non-default path (deploy/web.Dockerfile,
context the repository root) with a build arg, an api with its own Dockerfile, and
Postgres. The app answers over HTTPS with the build arg's value and a visit the api
stored. Then a commit whose image cannot start (its CMD names a program the image
lacks) is stopped by the build check before any rollout, naming what is missing,
while the live release keeps serving."""

from __future__ import annotations

import re

import pytest

from hydron_testbed import REPO
from hydron_testbed.cluster import git_application
from hydron_testbed.git_server import served_app

pytestmark = [pytest.mark.controlplane, pytest.mark.docker]
OWN = REPO / "tests" / "fixtures" / "own-builds" / "compose-own-build"
APP = "ownbuild"
GREETING = "built with a compose build arg"


def conditions(kube, resource: str) -> str:
    status = kube.get(resource, APP).get("status") or {}
    return "\n".join(f"{c['type']}={c['status']} {c.get('reason')}: {c.get('message', '')[:400]}"
                     for c in status.get("conditions", []))


def page_visit(page: str) -> int:
    assert page.splitlines()[0].endswith("200 OK"), page
    assert f"<h1>{GREETING}</h1>" in page, f"the page does not show the build arg:\n{page}"
    match = re.search(r"Visit (\d+), stored in \w+", page)
    assert match, f"the page shows no visit stored by the api:\n{page}"
    return int(match.group(1))


@pytest.mark.timeout(1200)
def test_own_dockerfiles_and_compose_reach_https_and_an_image_that_cannot_start_is_not_rolled_out(
        shared_site, tmp_path):
    kube, server, domain = shared_site.kube, shared_site.server, shared_site.domain(APP)
    with served_app(tmp_path, OWN, APP) as (work, daemon):
        kube.apply(git_application(APP, daemon.url(f"{APP}.git"), domain, server.name, poll_seconds=3600))
        try:
            kube.wait("applications", APP, "condition=Ready", timeout=1000)
        except AssertionError as error:
            raise AssertionError(f"{error}\n{conditions(kube, 'deployments.hydron.dev')}") from None

        # The plan builds the repository's own Dockerfiles, with the compose build arg.
        plan = {s["name"]: s for s in kube.get("infraplans", APP)["spec"]["services"]}
        assert (plan["web"]["context"], plan["web"]["dockerfile"], plan["web"]["dockerfileOrigin"]) == \
            (".", "deploy/web.Dockerfile", "Repository")
        assert plan["web"]["buildArgs"] == [{"name": "GREETING", "value": GREETING}]
        assert (plan["api"]["context"], plan["api"]["dockerfile"]) == ("api", "Dockerfile")
        assert plan["db"]["image"] == "postgres:16"

        first = page_visit(server.https_get(timeout=120, domain=domain))
        assert page_visit(server.https_get(timeout=60, domain=domain)) > first  # each visit is a row the api stored
        revision = work.rev_parse("HEAD")
        web = f"hydron/{APP}-web:{revision[:12]}"
        # Only the runtime stage is in the image: the build stage's /src is not.
        assert server.host.sh(f"docker image inspect --format '{{{{.Config.User}}}} {{{{.Config.WorkingDir}}}}' {web}").split() \
            == ["node", "/app"]
        inside = server.host.sh(f"docker run --rm --entrypoint sh {web} -c 'ls /app; test -e /src || echo no-src'")
        assert inside.split() == ["build-info.json", "server.js", "no-src"], inside
        releases = kube.get("deployments.hydron.dev", APP)["status"]["releases"]

        # A commit whose start command names a program the image lacks is stopped before any rollout.
        dockerfile = (OWN / "deploy" / "web.Dockerfile").read_text()
        work.write("deploy/web.Dockerfile", dockerfile.replace('CMD ["node", "server.js"]', 'CMD ["node-server", "server.js"]'))
        broken = work.commit("start the web with a program the image lacks")
        work.publish(daemon.root / f"{APP}.git")
        kube.run("annotate", "application", APP, "refresh.hydron.dev/requested=broken", "--overwrite")
        kube.wait("deployments.hydron.dev", APP, f"jsonpath={{.spec.sourceRevision}}={broken}", timeout=300)
        kube.wait("applications", APP, 'jsonpath={.status.conditions[?(@.type=="Deployed")].reason}=ImageCheckFailed',
                  timeout=600)
        built = next(c for c in kube.get("deployments.hydron.dev", APP)["status"]["conditions"] if c["type"] == "Built")
        assert built["status"] == "False" and built["reason"] == "ImageCheckFailed"
        assert "node-server is not in the image" in built["message"] and "Nothing was rolled out" in built["message"]
        assert kube.get("deployments.hydron.dev", APP)["status"]["releases"] == releases  # no new release
        assert page_visit(server.https_get(timeout=60, domain=domain)) > first  # the live release serves on
        running = server.host.sh(f"docker ps --filter label=dev.hydron.app={APP} --format '{{{{.Image}}}}'")
        assert broken[:12] not in running and revision[:12] in running
