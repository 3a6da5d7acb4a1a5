"""Replaced containers' logs: kept by a command on the server, never at the cost of a rollout."""

from __future__ import annotations

import logging

from hydron.cli.plugin_deploy import kept_logs_command
from hydron.deploy.keptlogs import KEPT_DIR, keep_command, keeper


def test_the_keep_command_saves_under_the_app_and_service_and_prunes_past_the_retention():
    command = keep_command("shop", "web", "shop-web-3", retention_days=7)
    assert command.mutates
    assert command.argv[-5:] == (KEPT_DIR, "shop", "web", "shop-web-3", "6")  # find -mtime +6: a week and older


async def test_a_failure_to_keep_logs_is_logged_and_the_removal_goes_on(caplog):
    class Broken:
        async def run(self, command):
            raise ConnectionError("server went away")

    with caplog.at_level(logging.WARNING, logger="hydron.deploy.keptlogs"):
        await keeper(Broken())("shop-web-3", "shop", "web")
    assert "logs of replaced container shop-web-3 not kept: server went away" in caplog.text


def test_previous_logs_are_read_from_the_kept_files_with_sudo_for_a_non_root_user():
    (line,) = kept_logs_command("shop", "web", tail=50, user="deploy")
    assert line.startswith("sudo -n sh -c ") and line.endswith(f"sh {KEPT_DIR} shop web 50")
