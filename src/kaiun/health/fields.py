"""Typed reads from raw Kubernetes objects (plain dicts) for the health checks."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, TypeGuard

Obj = Mapping[str, Any]


def mapping(obj: object, *keys: str) -> Mapping[str, Any]:
    """The mapping at ``keys`` below ``obj``; empty when absent or not a mapping."""
    cur: object = obj
    for key in keys:
        if not isinstance(cur, Mapping):
            return {}
        cur = cur.get(key)
    return cur if isinstance(cur, Mapping) else {}


def items(obj: object, *keys: str) -> list[Mapping[str, Any]]:
    """The list of mappings at ``keys``; non-mapping entries are skipped."""
    *head, last = keys
    value = mapping(obj, *head).get(last)
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, Mapping)]


def text(obj: object, *keys: str) -> str:
    """The string at ``keys``; empty when absent."""
    *head, last = keys
    value = mapping(obj, *head).get(last)
    return value if isinstance(value, str) else ""


def integer(obj: object, *keys: str, default: int = 0) -> int:
    """The integer at ``keys`` (JSON numbers may arrive as floats); ``default`` if absent."""
    *head, last = keys
    value = mapping(obj, *head).get(last)
    if not _number(value):
        return default
    return int(value)


def _number(value: object) -> TypeGuard[int | float]:
    # NaN and infinities (YAML's .inf) are no count of anything; int() would raise on them.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return not isinstance(value, float) or math.isfinite(value)


def optional_int(obj: object, *keys: str) -> int | None:
    """The integer at ``keys``, or None when absent (``spec.replicas`` style pointers)."""
    *head, last = keys
    value = mapping(obj, *head).get(last)
    if not _number(value):
        return None
    return int(value)


def condition(obj: object, cond_type: str) -> Mapping[str, Any] | None:
    """The ``status.conditions`` entry of ``cond_type``, if any."""
    for cond in items(obj, "status", "conditions"):
        if cond.get("type") == cond_type:
            return cond
    return None


def group_of(api_version: str) -> str:
    """The API group of an ``apiVersion`` ("" for the core group)."""
    group, sep, _ = api_version.rpartition("/")
    return group if sep else ""
