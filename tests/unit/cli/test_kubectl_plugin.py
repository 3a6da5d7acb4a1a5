"""Argument handling and wiring of `kubectl hydron`, with a fake API session."""

from __future__ import annotations

import io
import json

import pytest

from hydron.cli import kubectl_plugin
from hydron.cli.plugin_kube import Conflict, PluginError, kubeconfig_path
from tests.unit.cli.objects import APP, PLAN, SERVER, fresh


class FakeSession:
    """Objects by (kind, name); records patches; can raise a conflict first."""

    def __init__(self, objects: dict, namespace: str = "team", conflicts: int = 0) -> None:
        self.objects = objects
        self.namespace = namespace
        self.patches: list[tuple[str, str, dict]] = []
        self.conflicts = conflicts

    def get(self, kind, name, missing_ok=False):
        obj = self.objects.get((kind, name))
        if obj is None and not missing_ok:
            raise PluginError(f"{kind} {name!r} not found in namespace {self.namespace!r}")
        return obj

    def list(self, kind, all_namespaces=False):
        return [o for (k, _), o in self.objects.items() if k == kind]

    def merge_patch(self, kind, name, body):
        self.patches.append((kind, name, body))
        if self.conflicts:
            self.conflicts -= 1
            raise Conflict("changed")
        merged = fresh(self.objects[(kind, name)])
        merged["spec"].update(body["spec"])
        return merged

    def whoami(self):
        return "alice"


def run(argv, session):
    out, err = io.StringIO(), io.StringIO()
    seen = {}

    def connector(kubeconfig, context, namespace):
        seen.update(kubeconfig=kubeconfig, context=context, namespace=namespace)
        return session

    code = kubectl_plugin.main(argv, connector=connector, out=out, err=err)
    return code, out.getvalue(), err.getvalue(), seen


def objects():
    return {("Application", "shop"): fresh(APP), ("InfraPlan", "shop"): fresh(PLAN), ("Server", "fra-1"): fresh(SERVER)}


def test_connection_flags_work_before_and_after_the_subcommand():
    _, _, _, seen = run(["status", "-n", "team", "--context", "c", "--kubeconfig", "k"], FakeSession(objects()))
    assert seen == {"kubeconfig": "k", "context": "c", "namespace": "team"}
    _, _, _, seen = run(["-n", "team", "plan", "show", "shop"], FakeSession(objects()))
    assert seen["namespace"] == "team"


def test_status_json_is_the_summary():
    code, out, _, _ = run(["status", "shop", "-o", "json"], FakeSession(objects()))
    summary = json.loads(out)
    assert code == 0 and summary["plan"]["revision"] == 2 and summary["server"]["name"] == "fra-1"


def test_status_without_an_app_lists_them_without_colour_in_a_pipe():
    code, out, _, _ = run(["status"], FakeSession(objects()))
    assert code == 0 and out.startswith("NAME   READY") and "\x1b[" not in out


def test_approve_patches_the_current_revision_as_the_kube_user():
    session = FakeSession(objects())
    code, out, _, _ = run(["plan", "approve", "shop"], session)
    assert code == 0
    assert session.patches == [("InfraPlan", "shop", {"metadata": {"resourceVersion": "42"},
                                                      "spec": {"approval": {"revision": 2, "approvedBy": "alice"}}})]
    assert out.startswith("Approved revision 2 of InfraPlan shop as alice.")


def test_approve_rereads_the_plan_after_a_conflict():
    session = FakeSession(objects(), conflicts=1)
    code, _, _, _ = run(["plan", "approve", "shop"], session)
    assert code == 0 and len(session.patches) == 2


def test_a_stale_revision_is_refused_without_patching():
    session = FakeSession(objects())
    code, _, err, _ = run(["plan", "approve", "shop", "--revision", "1"], session)
    assert code == 1 and session.patches == []
    assert err.startswith("error: revision 1 of InfraPlan shop is stale")


def test_request_changes_appends_the_message():
    session = FakeSession(objects())
    code, out, _, _ = run(["plan", "request-changes", "shop", "use Helsinki"], session)
    assert code == 0 and "request 2, by alice" in out
    assert session.patches[0][2]["spec"]["changeRequests"][-1] == {"message": "use Helsinki", "author": "alice"}


def test_missing_app_names_the_namespace():
    code, _, err, _ = run(["plan", "show", "nope"], FakeSession(objects()))
    assert code == 1 and "Application 'nope' not found in namespace 'team'" in err


def test_app_without_a_plan_says_why():
    objs = objects()
    del objs[("InfraPlan", "shop")]
    code, _, err, _ = run(["plan", "diff", "shop"], FakeSession(objs))
    assert code == 1 and "has no InfraPlan yet" in err


DEPLOYMENT = {
    "apiVersion": "hydron.dev/v1alpha1", "kind": "Deployment", "metadata": {"name": "shop", "namespace": "team"},
    "spec": {"serverRef": {"name": "fra-1"}, "applicationRef": {"name": "shop"}, "sourceRevision": "c" * 40,
             "services": [{"name": "db", "image": "postgres:16"},
                          {"name": "web", "build": {"context": "."}, "domains": ["shop.example.com"]}]},
    "status": {"releases": [
        {"number": 1, "state": "Superseded", "sourceRevision": "a" * 40, "createdAt": "2026-11-20T10:00:00Z"},
        {"number": 2, "state": "Superseded", "sourceRevision": "b" * 40},
        {"number": 3, "state": "Failed", "sourceRevision": "d" * 40},
        {"number": 4, "state": "Active", "sourceRevision": "c" * 40},
    ]},
}


def deployed():
    return {**objects(), ("Deployment", "shop"): fresh(DEPLOYMENT)}


def test_rollback_goes_to_the_release_before_the_active_one():
    session = FakeSession(deployed())
    code, out, _, _ = run(["rollback", "shop"], session)
    assert code == 0 and session.patches == [("Deployment", "shop", {"spec": {"rollbackTo": 2}})]
    assert "back to release 2 (commit bbbbbbbbbbbb)" in out and "kubectl hydron rollback shop --clear" in out


def test_rollback_to_a_named_release_and_clearing_the_pin():
    session = FakeSession(deployed())
    assert run(["rollback", "shop", "1"], session)[0] == 0
    assert run(["rollback", "shop", "--clear"], session)[0] == 0
    assert [body for _, _, body in session.patches] == [{"spec": {"rollbackTo": 1}}, {"spec": {"rollbackTo": None}}]


@pytest.mark.parametrize(("release", "words"), [
    ("3", "release 3 failed its health check and never served"),
    ("9", "release 9 is not kept for shop (kept: 1 (Superseded), 2 (Superseded), 3 (Failed), 4 (Active))"),
])
def test_rollback_refuses_what_cannot_run(release, words):
    session = FakeSession(deployed())
    code, _, err, _ = run(["rollback", "shop", release], session)
    assert code == 1 and words in err and session.patches == []


def test_commands_on_an_app_not_deployed_yet_say_so():
    code, _, err, _ = run(["logs", "shop"], FakeSession(objects()))
    assert code == 1 and "'shop' is not deployed yet" in err


@pytest.fixture
def ssh_calls(monkeypatch):
    calls = []

    def fake_run_ssh(session, server, command):
        calls.append((server["metadata"]["name"], command))
        return 0

    monkeypatch.setattr(kubectl_plugin, "run_ssh", fake_run_ssh)
    return calls


def test_logs_default_to_the_public_service_and_read_docker_on_its_server(ssh_calls):
    code, _, _, _ = run(["logs", "shop", "-f", "--tail", "50"], FakeSession(deployed()))
    assert code == 0
    ((server, (command,)),) = ssh_calls
    assert server == "fra-1"
    assert "dev.hydron.app shop dev.hydron.service web follow '' --tail 50" in command


def test_build_logs_follow_the_file_the_operator_writes(ssh_calls):
    assert run(["logs", "shop", "web", "--build", "-f"], FakeSession(deployed()))[0] == 0
    ((_, (command,)),) = ssh_calls
    assert command.endswith("sh /var/lib/hydron/logs/shop/build-web.log -F +1")


def test_logs_of_an_unknown_service_list_the_services(ssh_calls):
    code, _, err, _ = run(["logs", "shop", "cache"], FakeSession(deployed()))
    assert code == 1 and "no service 'cache' in Deployment shop (it has: db, web)" in err and ssh_calls == []


def test_no_kubeconfig_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    assert kubeconfig_path(None, {"KUBECONFIG": str(tmp_path / "missing")}) is None
    err = io.StringIO()
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing"))
    assert kubectl_plugin.main(["status"], out=io.StringIO(), err=err) == 1
    assert "no kubeconfig found: set KUBECONFIG or pass --kubeconfig" in err.getvalue()


def test_kubeconfig_flag_must_exist(tmp_path):
    with pytest.raises(PluginError, match="no such file"):
        kubeconfig_path(str(tmp_path / "nope"))


def test_context_namespace_comes_from_the_kubeconfig(tmp_path):
    from hydron.cli.plugin_kube import context_namespace

    path = tmp_path / "config"
    path.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "a",
        "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1"}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "a", "context": {"cluster": "c", "user": "u", "namespace": "shop"}},
                     {"name": "b", "context": {"cluster": "c", "user": "u"}}],
    }))
    assert context_namespace(str(path), None) == ("a", "shop")
    assert context_namespace(str(path), "b") == ("b", "default")
    with pytest.raises(PluginError, match="context 'x' is not in .* \\(it has: a, b\\)"):
        context_namespace(str(path), "x")


def test_the_servers_usage_from_its_node_exporter_reads_in_one_line():
    from hydron.cli.plugin_status import server_usage_text
    line = server_usage_text({"cpuPercent": 12.5, "memoryUsedMiB": 900, "memoryTotalMiB": 4096, "diskUsedPercent": 40,
                              "load1": 0.52, "load5": 0.31, "load15": 0.2, "source": "node-exporter"})
    assert line == "cpu 12.5%  memory 900/4096 MiB  disk 40%  load 0.52 0.31 0.2 (node-exporter)"
    assert server_usage_text({}) == "cpu -  memory -  disk -"


@pytest.mark.parametrize("argv", [["status", "-w"], ["status", "shop", "-w", "-o", "json"]])
def test_status_watch_follows_one_app_as_text(argv):
    code, _, err, _ = run(argv, FakeSession(objects()))
    assert code == 1 and "status -w follows one app as text: kubectl hydron status APP -w" in err
