"""A repository's own compose build reaches the Deployment as it is written: the
Dockerfile's path and context, its build args; Hydron's generated Dockerfiles carry
what the build check expects of their images (port, non-root user)."""

from pathlib import Path

from hydron.analysis import analyze
from hydron.api.base import LocalObjectReference
from hydron.planning import PlanInputs, plan
from hydron.planning.handoff import deployment_spec
from tests.unit.planning.factories import app_spec

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def handed(path: Path) -> dict:
    draft = plan(PlanInputs(app_name="own", application=app_spec(), analysis=analyze(path), source_revision="a" * 40))
    draft.spec.server.server_ref = LocalObjectReference(name="srv")
    spec = deployment_spec(draft.spec, "own", "a" * 40)
    return {s.name: s for s in spec.services}


def test_a_compose_build_keeps_its_dockerfile_path_context_and_build_args():
    services = handed(FIXTURES / "own-builds" / "compose-own-build")
    web, api = services["web"].build, services["api"].build
    assert (web.context, web.dockerfile, web.origin) == (".", "deploy/web.Dockerfile", "Repository")
    assert [(a.name, a.value) for a in web.args] == [("GREETING", "built with a compose build arg")]
    assert web.expect is None  # the repository's own Dockerfile: only its start command is checked
    assert (api.context, api.dockerfile, api.args) == ("api", "Dockerfile", [])
    assert services["db"].image == "postgres:16" and services["db"].build is None


def test_a_generated_dockerfile_expects_its_port_and_a_non_root_user():
    services = handed(FIXTURES / "planning-apps" / "express-api")
    (build,) = [s.build for s in services.values() if s.build is not None]
    assert build.origin == "Generated" and build.expect is not None
    assert build.expect.non_root and build.expect.port == next(s.port for s in services.values() if s.build)
