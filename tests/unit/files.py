"""Writing a repository's files for a test: the text of each dedented, so fixtures can be
indented with the test that holds them."""

from __future__ import annotations

import textwrap
from pathlib import Path


def write(root: Path, files: dict[str, str]) -> Path:
    """Write `files` ({relative path: text}) under `root`, folders made; `root` back."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    return root
