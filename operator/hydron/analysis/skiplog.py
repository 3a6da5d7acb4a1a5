"""Records what the analysis did not read: exact counts per reason, a bounded sample of paths."""

from __future__ import annotations

from collections import Counter

from .models import SkipCount, SkippedPath, SkipReason


class SkipLog:
    def __init__(self, max_examples: int) -> None:
        self._max_examples = max_examples
        self._counts: Counter[str] = Counter()
        self._examples: list[SkippedPath] = []

    def add(self, path: str, reason: SkipReason) -> None:
        self._counts[reason] += 1
        if len(self._examples) < self._max_examples:
            self._examples.append(SkippedPath(path=path, reason=reason))

    def examples(self) -> list[SkippedPath]:
        return sorted(self._examples, key=lambda s: (s.reason, s.path))

    def counts(self) -> list[SkipCount]:
        return [SkipCount(reason=r, count=c) for r, c in sorted(self._counts.items())]
