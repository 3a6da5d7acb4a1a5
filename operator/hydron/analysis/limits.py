"""Bounds that keep analysis of a hostile or huge checkout cheap and finite."""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Every bound the analysis respects; the defaults fit a large real monorepo."""

    max_files: int = 300_000
    max_depth: int = 48
    max_file_bytes: int = 1024 * 1024
    max_total_read_bytes: int = 64 * 1024 * 1024
    max_seconds: float = 10.0
    max_sources_per_service: int = 300
    max_skipped_examples: int = 50
    max_evidence_per_fact: int = 3
    max_env_per_service: int = 200
    max_start_candidates: int = 6
    max_files_per_service: int = 32
    max_packages_per_service: int = 150
    max_services: int = 100  # the analysis lives in a status object, which etcd caps at about 1.5 MiB


class Deadline:
    """Wall-clock budget shared by the walk and the reads."""

    def __init__(self, seconds: float) -> None:
        self._end = time.monotonic() + seconds

    def passed(self) -> bool:
        return time.monotonic() >= self._end
