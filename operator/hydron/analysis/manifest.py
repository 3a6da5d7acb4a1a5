"""Parses manifests without trusting them: a malformed file yields nothing rather than an error."""

from __future__ import annotations

import json
import tomllib
from typing import Any, Optional

from .evidence import SourceText


def json_object(source: Optional[SourceText]) -> dict[str, Any]:
    if source is None:
        return {}
    try:
        data = json.loads(source.text)
    except (ValueError, RecursionError):  # deep nesting is hostile input, not a crash
        return {}
    return data if isinstance(data, dict) else {}


def toml_document(source: Optional[SourceText]) -> dict[str, Any]:
    if source is None:
        return {}
    try:
        return tomllib.loads(source.text)
    except (ValueError, RecursionError):
        return {}


def table(data: Any, *keys: str) -> dict[str, Any]:
    """data[k1][k2]... as a dict, or {} when any level is missing or not a mapping."""
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, dict) else {}


def text_value(data: Any, *keys: str) -> Optional[str]:
    for key in keys[:-1]:
        data = data.get(key) if isinstance(data, dict) else None
    value = data.get(keys[-1]) if isinstance(data, dict) else None
    return value if isinstance(value, str) else None
