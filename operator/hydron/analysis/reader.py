"""Reads a file of the checkout as text, safely: inside the root, bounded, never through a symlink."""

from __future__ import annotations

import errno
import os
import stat
from typing import Optional

from .evidence import SourceText
from .limits import Limits
from .skiplog import SkipLog

_SNIFF_BYTES = 8192


class SourceReader:
    """Every file the analysis opens goes through here, so the safety rules live in one place."""

    def __init__(self, root: str, limits: Limits, skips: SkipLog) -> None:
        self._root = root
        self._limits = limits
        self._skips = skips
        self._cache: dict[str, Optional[SourceText]] = {}
        self._inside: dict[str, bool] = {}
        self.bytes_read = 0
        self.files_opened = 0
        self.out_of_budget = False

    def source(self, rel: str) -> Optional[SourceText]:
        """The file's text, or None when it is missing, too big, binary or unsafe to open."""
        if rel not in self._cache:
            text = self._read(rel)
            self._cache[rel] = None if text is None else SourceText(rel, text)
        return self._cache[rel]

    def _read(self, rel: str) -> Optional[str]:
        if self.out_of_budget or self.files_opened >= self._limits.max_files_opened:
            self.out_of_budget = True
            self._skips.add(rel, "read-budget")
            return None
        if ".." in rel.split("/") or rel.startswith("/") or not self._directory_inside(rel):
            self._skips.add(rel, "symlink-outside-root")
            return None
        self.files_opened += 1
        try:
            fd = os.open(os.path.join(self._root, rel), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError as error:
            self._skips.add(rel, "symlink" if error.errno == errno.ELOOP else "unreadable")
            return None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                self._skips.add(rel, "special-file")
                return None
            if info.st_size > self._limits.max_file_bytes:
                self._skips.add(rel, "too-large")
                return None
            if self.bytes_read + info.st_size > self._limits.max_total_read_bytes:
                self.out_of_budget = True
                self._skips.add(rel, "read-budget")
                return None
            data = _read_at_most(fd, self._limits.max_file_bytes + 1)
        except OSError:
            self._skips.add(rel, "unreadable")
            return None
        finally:
            os.close(fd)
        self.bytes_read += len(data)
        if len(data) > self._limits.max_file_bytes:  # grew after fstat
            self._skips.add(rel, "too-large")
            return None
        decoded = decode(data)
        if decoded is None:
            self._skips.add(rel, "binary")
        return decoded

    def _directory_inside(self, rel: str) -> bool:
        """The walk never enters symlinked directories, but the tree may change under us."""
        directory = rel.rpartition("/")[0]
        if directory not in self._inside:
            real = os.path.realpath(os.path.join(self._root, directory))
            self._inside[directory] = real == self._root or real.startswith(self._root + os.sep)
        return self._inside[directory]


def _read_at_most(fd: int, size: int) -> bytes:
    chunks = []
    remaining = size
    while remaining > 0:
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def decode(data: bytes) -> Optional[str]:
    """Text from bytes of unknown encoding; None for binaries. Odd bytes become U+FFFD."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if b"\x00" in data[:_SNIFF_BYTES]:
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.decode("utf-8", errors="replace")
