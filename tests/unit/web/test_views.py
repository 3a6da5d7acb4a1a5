"""Pure parts of the web view: the chat thread, how a log ends, when to open a browser."""

from __future__ import annotations

from hydron.cli.kubectl_plugin import build_parser
from hydron.web.logs import end_message, log_command
from hydron.web.serve import has_browser
from hydron.web.views import chat_view, env_view, event_view


def plan(requests: int, taken: int, replies: list[dict]) -> dict:
    return {"spec": {"changeRequests": [{"message": f"change {i}", "author": "bob"} for i in range(1, requests + 1)]},
            "status": {"basis": {"changeRequests": taken}, "assistant": replies}}


def test_a_request_answered_by_the_llm_shows_its_reply():
    [entry] = chat_view(plan(1, 1, [{"changeRequests": 1, "summary": "Moved to Helsinki.", "declined": ["no GPU"]}]))
    assert entry["state"] == "Answered" and entry["reply"]["summary"] == "Moved to Helsinki."
    assert entry["reply"]["declined"] == ["no GPU"] and entry["author"] == "bob"


def test_a_request_taken_in_without_a_reply_says_no_llm_read_it():
    [entry] = chat_view(plan(1, 1, []))
    assert entry["state"] == "NoAssistant" and "no LLM is configured" in entry["note"]


def test_a_request_no_model_will_read_says_so_instead_of_waiting():
    unread = plan(2, 1, [{"changeRequests": 1, "summary": "done"}])
    unread["status"]["findings"] = [{"severity": "Warning", "source": "LLM", "field": "changeRequests",
                                     "message": "1 change request(s) wait for the LLM, which is not configured "
                                                "(ANTHROPIC_API_KEY is unset)"}]
    first, second = chat_view(unread)
    assert first["state"] == "Answered"
    assert second["state"] == "NoAssistant" and "ANTHROPIC_API_KEY is unset" in second["note"]


def test_a_request_not_yet_taken_in_is_waiting():
    first, second = chat_view(plan(2, 1, [{"changeRequests": 1, "summary": "done"}]))
    assert first["state"] == "Answered" and second["state"] == "Waiting"


def test_env_from_a_secret_is_a_reference_and_a_secret_plain_value_is_withheld():
    env = [{"name": "A", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}, {"name": "B", "value": "x"},
           {"name": "C", "value": "plain"}]
    assert env_view(env, {"B"}) == [{"name": "A", "secretRef": {"name": "s", "key": "k"}},
                                    {"name": "B", "withheld": True}, {"name": "C", "value": "plain"}]


def test_an_event_names_the_app_it_concerns():
    assert event_view("InfraPlan", "MODIFIED", {"metadata": {"name": "p"}, "spec": {"applicationRef": {"name": "shop"}}})["app"] == "shop"
    assert event_view("Application", "ADDED", {"metadata": {"name": "shop"}})["app"] == "shop"


def test_a_log_end_says_why():
    assert "unreachable" in end_message(255, "Connection refused", "box")
    assert end_message(3, "no container for service web", "box") == "no container for service web"
    assert end_message(0, "", "box") == "end of log"


def test_build_logs_follow_the_build_file_as_the_plugin_does():
    deployment = {"metadata": {"name": "shop"}, "spec": {"applicationRef": {"name": "shop"}, "services": [{"name": "web"}]}}
    server = {"spec": {"user": "deploy"}}
    [command] = log_command(deployment, server, None, build=True, follow=True, tail=None)
    assert command.startswith("sudo -n sh -c") and "-F" in command


def test_a_browser_opens_only_where_there_is_a_desktop():
    assert has_browser({}, "darwin") and not has_browser({}, "linux") and has_browser({"DISPLAY": ":0"}, "linux")


def test_kubectl_hydron_ui_takes_a_port_and_can_skip_the_browser():
    args = build_parser().parse_args(["ui", "--port", "8123", "--no-browser", "-n", "shop"])
    assert (args.port, args.no_browser, args.namespace) == (8123, True, "shop")
    assert build_parser().parse_args(["ui"]).port == 0
