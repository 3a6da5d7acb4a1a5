"""Bounds that keep analysis of a hostile or huge checkout cheap and finite.

Every bound counts work (directories listed, files named, files opened, bytes read), never
seconds: the same checkout gives the same analysis on an idle machine and on a loaded one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Every bound the analysis respects; the defaults fit a large real monorepo."""

    max_files: int = 300_000
    max_depth: int = 48
    max_file_bytes: int = 1024 * 1024
    # the largest real repository of the corpus (midday) reads 5.8 MB in 1,252 files at about 0.2 s of CPU per MB:
    # this leaves it 5x room and keeps a hostile checkout (32 MiB of dense matches) to about 9 s of CPU
    max_total_read_bytes: int = 32 * 1024 * 1024
    max_directories: int = 100_000
    max_files_opened: int = 20_000
    max_sources_per_service: int = 300
    max_skipped_examples: int = 50
    max_evidence_per_fact: int = 3
    max_env_per_service: int = 200
    max_start_candidates: int = 6
    max_files_per_service: int = 32
    max_packages_per_service: int = 150
    max_services: int = 100  # the analysis lives in a status object, which etcd caps at about 1.5 MiB

