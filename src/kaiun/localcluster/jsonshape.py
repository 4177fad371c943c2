"""Tolerant access to decoded JSON: malformed shapes read as empty, so checks never crash."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_EMPTY: Mapping[str, Any] = {}


def mapping(value: Any) -> Mapping[str, Any]:
    """``value`` when it is a JSON object, else an empty mapping."""
    return value if isinstance(value, Mapping) else _EMPTY


def dicts(value: Any) -> list[dict[str, Any]]:
    """The JSON objects in ``value`` when it is a list, else nothing."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
