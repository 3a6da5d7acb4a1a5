"""Shared text helpers: tables that align with colour on, durations, colour rules."""

from datetime import UTC, datetime

from hydron.cli.render import PLAIN, Style, duration, span, table, visible_len, wants_colour


class Tty:
    def isatty(self) -> bool:
        return True


class Pipe:
    def isatty(self) -> bool:
        return False


def test_table_pads_by_visible_width_so_colour_does_not_shift_columns():
    coloured = Style(True)
    text = table(["A", "B"], [[coloured.status("True"), "x"], ["False", "y"]])
    lines = text.splitlines()
    assert [visible_len(line) for line in lines] == [9, 9, 9]
    assert lines[2] == "False   y"
    assert "\x1b[32mTrue\x1b[0m" in lines[1]


def test_plain_style_writes_no_escape_codes():
    assert PLAIN.status("False") == "False" and PLAIN.state("Failed") == "Failed"


def test_colour_only_on_a_terminal_without_no_color():
    assert wants_colour(Tty(), {}) is True
    assert wants_colour(Tty(), {"NO_COLOR": ""}) is False
    assert wants_colour(Pipe(), {}) is False


def test_durations_read_like_kubectl():
    assert [duration(s) for s in (4, 60, 192, 3600, 7500, 90000)] == ["4s", "1m", "3m12s", "1h", "2h5m", "1d1h"]
    now = datetime(2026, 1, 1, 10, 1, tzinfo=UTC)
    assert span("2026-01-01T10:00:00Z", "2026-01-01T10:00:04Z", now) == "4s"
    assert span("2026-01-01T10:00:00Z", None, now) == "1m"  # still running: time so far
    assert span(None, None, now) == ""
