"""A template Application: parameters checked with a message saying what to do, and a
template for your own code pins a commit of the repository its parameters name (a
real local Git repository), keeping the template's stack as the analysis."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

from hydron.api.application import Application
from hydron.controllers.application import ApplicationDeps, reconcile


def app(parameters: dict[str, str], name: str = "node-api") -> Application:
    return Application.model_validate({
        "spec": {"source": {"template": {"name": name, "parameters": [{"name": k, "value": v} for k, v in parameters.items()]}},
                 "domains": ["api.example.com"]}})


def run(application: Application, tmp_path: Path):
    async def no_secrets(name: str) -> dict:
        return {}
    deps = ApplicationDeps(namespace="ns", name="api", workdir=tmp_path / "work", read_secret_data=no_secrets)
    return asyncio.run(reconcile(application, 1, deps)).status


def condition(status, type_):
    return next(c for c in status.conditions if c.type == type_)


def test_a_missing_parameter_is_a_condition_that_says_what_to_set(tmp_path):
    status = run(app({}), tmp_path)
    found = condition(status, "SourceReady")
    assert (found.status, found.reason) == ("False", "TemplateParameterInvalid")
    assert "needs the parameter repository" in found.message and "spec.source.template.parameters" in found.message


def test_a_template_for_your_own_code_pins_its_repository_and_keeps_the_templates_stack(tmp_path):
    repo = tmp_path / "api"
    repo.mkdir()
    (repo / "package.json").write_text('{"name": "api", "scripts": {"build": "true"}}')
    for args in (["init", "-q", "--initial-branch=main"], ["add", "-A"],
                 ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "first"]):
        subprocess.run(["git", *args], cwd=repo, check=True)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()
    status = run(app({"repository": f"file://{repo}"}), tmp_path)
    assert condition(status, "SourceReady").status == "True", status.conditions
    assert status.source.commit == commit and status.source.template == "node-api"
    assert condition(status, "Analyzed").status == "True"
    assert [s.name for s in status.analysis.services] == ["api"] and status.analysis.template == "node-api"
    assert {d.name for d in status.analysis.databases} == {"postgres", "redis"}


def test_an_image_template_needs_no_repository(tmp_path):
    status = run(app({"tablePrefix": "blog_"}, "wordpress"), tmp_path)
    assert condition(status, "SourceReady").reason == "Template"
    env = {v.name: v.default for v in status.analysis.services[0].env}
    assert env["WORDPRESS_TABLE_PREFIX"] == "blog_"
