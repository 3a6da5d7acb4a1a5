"""The Argo CD health script, run by a real Lua interpreter over Hydron's conditions."""

from pathlib import Path

import lupa  # a real Lua interpreter, as Argo CD embeds one
import yaml

from hydron.api.application import ApplicationStatus
from hydron.api.conditions import set_condition, summarize_ready
from hydron.controllers.common import conclude, with_invalid_spec

ARGO = Path(__file__).resolve().parents[2] / "examples" / "gitops" / "argocd"
SCRIPT = (ARGO / "health.lua").read_text()


def health(status: ApplicationStatus | None, generation: int = 1) -> dict:
    lua = lupa.LuaRuntime(unpack_returned_tuples=True)
    obj = {"metadata": {"generation": generation}}
    if status is not None:
        obj["status"] = status.to_api()
    to_lua = lambda v: lua.table_from({k: to_lua(x) for k, x in v.items()}) if isinstance(v, dict) else (  # noqa: E731
        lua.table_from([to_lua(x) for x in v]) if isinstance(v, list) else v
    )
    result = lua.execute(f"return function(obj)\n{SCRIPT}\nend")(to_lua(obj))
    return dict(result.items())


def test_no_status_yet_is_progressing():
    assert health(None)["status"] == "Progressing"


def test_pending_work_is_progressing_with_hydrons_reason():
    result = health(conclude(ApplicationStatus(), 1, {"SourceReady": "fetching"}))
    assert result == {"status": "Progressing", "message": "Pending: fetching"}


def test_stalled_is_degraded():
    result = health(with_invalid_spec(ApplicationStatus(), 1, "spec.port: bad"))
    assert result == {"status": "Degraded", "message": "InvalidSpec: spec.port: bad"}


def test_ready_is_healthy_only_for_the_latest_generation():
    conditions = summarize_ready(set_condition([], "SourceReady", "True", "Done", "", 1), ["SourceReady"], 1)
    status = ApplicationStatus(conditions=conditions, observed_generation=1)
    assert health(status, generation=1)["status"] == "Healthy"
    assert health(status, generation=2)["status"] == "Progressing"


def test_configmap_patch_carries_the_script_for_all_four_kinds():
    data = yaml.safe_load((ARGO / "argocd-cm-patch.yaml").read_text())["data"]
    assert set(data) == {f"resource.customizations.health.hydron.dev_{k}" for k in ("Application", "InfraPlan", "Server", "Deployment")}
    assert all(value.strip() == SCRIPT.strip() for value in data.values())
