"""Locates facts in text so each one can cite its file and line."""

from __future__ import annotations

import bisect
import re
from typing import Iterator, Optional

from .models import Evidence


class SourceText:
    """A file's text with its path, answering 'which line is this offset on?'."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self._line_starts: Optional[list[int]] = None

    def line_of(self, offset: int) -> int:
        if self._line_starts is None:
            self._line_starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        return bisect.bisect_right(self._line_starts, offset)

    def line_of_text(self, needle: str) -> Optional[int]:
        """Line of the first occurrence of needle, e.g. a dependency's quoted name in a manifest."""
        index = self.text.find(needle)
        return None if index < 0 else self.line_of(index)

    def evidence(self, detail: str, offset: Optional[int] = None, needle: Optional[str] = None) -> Evidence:
        line = self.line_of(offset) if offset is not None else self.line_of_text(needle) if needle else None
        return Evidence(file=self.path, line=line, detail=detail)

    def matches(self, pattern: re.Pattern[str]) -> Iterator[re.Match[str]]:
        return pattern.finditer(self.text)


def presence(path: str, detail: str) -> Evidence:
    """Evidence that is the file's existence, such as a lockfile."""
    return Evidence(file=path, detail=detail)


def relabel(evidence: Evidence, detail: str) -> Evidence:
    """The same place, described for the fact it now supports."""
    return evidence.model_copy(update={"detail": detail})
