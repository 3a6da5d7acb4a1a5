"""`kubectl hydron status`: the summary of four objects, and its text."""

from datetime import UTC, datetime

from hydron.cli.plugin_status import list_rows, render_app, render_list, summarize
from tests.unit.cli.objects import APP, DEPLOYMENT, PLAN, SERVER, cond, fresh

NOW = datetime(2026, 1, 1, 10, 1, tzinfo=UTC)


def test_summary_joins_the_four_resources():
    s = summarize(APP, PLAN, SERVER, DEPLOYMENT, NOW)
    assert s["ready"] == {"status": "Unknown", "reason": "AwaitingApproval",
                          "message": "Revision 2 of InfraPlan shop waits for approval."}
    assert s["source"]["commit"].startswith("0123456789ab")
    assert s["services"] == [{"name": "api", "role": "web", "port": 3000, "framework": "express"}]
    assert s["plan"]["revision"] == 2 and s["plan"]["offer"] == "hetzner/CX22"
    assert s["plan"]["approval"].startswith("approval is stale")
    assert [(x["name"], x["state"], x["duration"]) for x in s["server"]["steps"]] == [
        ("facts", "Succeeded", "4s"), ("docker", "Running", "56s"), ("firewall", "Pending", "")]
    assert s["deployment"]["releases"][-1]["state"] == "Active"


def test_text_view_shows_conditions_plan_steps_and_url():
    text = render_app(summarize(APP, PLAN, SERVER, DEPLOYMENT, NOW))
    assert text.startswith("Application team/shop  Unknown (AwaitingApproval)\n")
    assert "  Planned       Unknown   AwaitingApproval" in text
    assert "Source:     https://git.example/shop.git at 0123456789ab (main)\n" in text
    assert "Services:   api (express, web, port 3000)\n" in text
    assert "Plan:       shop revision 2, approval is stale" in text and "4.51 EUR/month" in text
    assert "\n            review: kubectl hydron plan show shop; approve: kubectl hydron plan approve shop\n" in text
    assert "Server:     fra-1 203.0.113.7  Unknown (Pending)\n" in text
    assert "  STEP       STATE       DURATION   MESSAGE\n  facts      Succeeded   4s         debian 12, 2 CPUs.\n" in text
    assert "  2         Active       0123456789ab" in text
    assert text.endswith("URL:        https://shop.example.com\n")
    assert "\x1b[" not in text


def test_a_new_app_says_what_is_missing_instead_of_failing():
    app = fresh(APP)
    app["status"] = {}
    app["spec"]["planning"] = {}
    s = summarize(app, None, None, None, NOW)
    assert s["plan"] is s["server"] is s["deployment"] is None
    text = render_app(s)
    for line in ("Source:     not fetched yet", "Plan:       none yet", "Server:     not chosen yet",
                 "Deployment: none yet", "URL:        none yet"):
        assert line in text


def test_a_named_server_that_does_not_exist_is_reported():
    text = render_app(summarize(APP, None, None, None, NOW))
    assert "Server:     fra-1 (not found in team)" in text


def test_overview_table_one_row_per_app():
    rows = list_rows([APP], [PLAN], NOW)
    assert rows[0]["plan"].startswith("approval is stale") and rows[0]["age"] == "1m"
    text = render_list(rows, "team")
    header, row = text.splitlines()
    assert header.split()[:7] == ["NAME", "READY", "REASON", "PLAN", "SERVER", "URL", "AGE"]
    assert row.startswith("shop   Unknown   AwaitingApproval   approval is stale")
    assert render_list(rows, None).startswith("NAMESPACE   NAME")
    assert render_list([], "team") == "No Hydron applications in namespace team.\n"


def test_text_view_shows_each_service_with_its_usage_and_a_rollback_pin():
    deployment = fresh(DEPLOYMENT)
    deployment["spec"]["rollbackTo"] = 1
    deployment["status"]["services"] = [
        {"name": "api", "state": "Healthy", "restarts": 0, "cpuPercent": 1.5, "memoryMiB": 48},
        {"name": "db", "state": "Unhealthy", "restarts": 4},
    ]
    deployment["status"]["conditions"] = [cond("Ready", "False", "ServiceUnhealthy", "Not serving as it should: db")]
    text = render_app(summarize(APP, PLAN, SERVER, deployment, NOW))
    assert "            Not serving as it should: db\n" in text
    assert "pinned to release 1 (kubectl hydron rollback shop --clear to follow new commits)" in text
    assert "  SERVICE   STATE       RESTARTS   CPU    MEMORY\n" in text
    assert "  api       Healthy     0          1.5%   48 MiB\n" in text
    assert "  db        Unhealthy   4          -      -\n" in text
