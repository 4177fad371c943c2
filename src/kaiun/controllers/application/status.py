"""Shaping what the controller writes on an Application: status, conditions, history.

The Application CRD has no status subresource (as in Argo CD), so status is written with a
JSON merge patch of the whole object; ``merge_patch`` computes the minimal one (``null``
for removed keys) so a write never leaves stale nested fields behind.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from kaiun.engine.comparison import Comparison, Condition

# The status keys a refresh owns; operationState and history belong to the operation worker.
REFRESH_KEYS = (
    "sync",
    "health",
    "resources",
    "conditions",
    "summary",
    "reconciledAt",
    "sourceType",
    "sourceTypes",
    "controllerNamespace",
)


def timestamp(now: datetime) -> str:
    """RFC 3339 in UTC with a ``Z``, to the second (Kubernetes' ``metav1.Time``)."""
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def merge_patch(old: Any, new: Any) -> Any:
    """The RFC 7386 merge patch turning ``old`` into ``new`` (``{}`` when equal)."""
    if not isinstance(old, Mapping) or not isinstance(new, Mapping):
        return new
    patch: dict[str, Any] = {}
    for key in old:
        if key not in new:
            patch[key] = None
    for key, value in new.items():
        if key not in old:
            patch[key] = value
        elif old[key] != value:
            if isinstance(old[key], Mapping) and isinstance(value, Mapping):
                patch[key] = merge_patch(old[key], value)
            else:
                patch[key] = value
    return patch


def conditions(
    new: Sequence[Condition], old: Sequence[Mapping[str, Any]], now: datetime
) -> list[dict[str, Any]]:
    """Conditions with ``lastTransitionTime`` kept for ones that were already there."""
    seen: dict[tuple[str, str], str] = {
        (str(c.get("type")), str(c.get("message"))): str(c.get("lastTransitionTime") or "")
        for c in old
    }
    out: list[dict[str, Any]] = []
    unique: set[tuple[str, str]] = set()
    for c in new:
        key = (c.type, c.message)
        if key in unique:
            continue
        unique.add(key)
        out.append({**c.to_dict(), "lastTransitionTime": seen.get(key) or timestamp(now)})
    return out


def refresh_status(
    comparison: Comparison,
    *,
    old: Mapping[str, Any],
    now: datetime,
    namespace: str,
    with_health: bool,
    extra_conditions: Sequence[Condition] = (),
) -> dict[str, Any]:
    """The refresh-owned part of ``status`` after ``comparison``."""
    status: dict[str, Any] = {
        "sync": comparison.sync_dict(),
        "health": comparison.health_dict(),
        "resources": comparison.resources_list(with_health=with_health),
        "reconciledAt": timestamp(now),
        "controllerNamespace": namespace,
        **comparison.source_type_fields(),
    }
    conds = conditions(
        [*comparison.conditions, *extra_conditions], old.get("conditions") or [], now
    )
    if conds:
        status["conditions"] = conds
    summary = comparison.summary()
    if summary:
        status["summary"] = summary
    return status


def refresh_patch(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """Merge patch of ``status`` limited to the keys a refresh owns."""
    before = {k: v for k, v in old.items() if k in REFRESH_KEYS}
    patch = merge_patch(before, new)
    return patch if isinstance(patch, dict) else {}


def history_entry(
    state: Mapping[str, Any], history: Sequence[Mapping[str, Any]], *, multi_source: bool
) -> dict[str, Any]:
    """The ``status.history`` entry of a finished sync (Argo CD's RevisionHistory)."""
    result = state.get("syncResult") or {}
    entry: dict[str, Any] = {
        "id": max((int(h.get("id") or 0) for h in history), default=-1) + 1,
        "deployedAt": state.get("finishedAt"),
        "deployStartedAt": state.get("startedAt"),
        "initiatedBy": (state.get("operation") or {}).get("initiatedBy") or {},
    }
    if multi_source:
        entry["revisions"] = list(result.get("revisions") or [])
        entry["sources"] = list(result.get("sources") or [])
    else:
        entry["revision"] = result.get("revision", "")
        if result.get("source"):
            entry["source"] = result["source"]
    return entry


def trimmed(history: Sequence[Mapping[str, Any]], limit: int) -> list[dict[str, Any]]:
    """The newest ``limit`` entries (Argo CD keeps at least one)."""
    keep = max(limit, 1)
    return [dict(h) for h in history][-keep:]
