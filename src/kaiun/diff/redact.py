"""Secret redaction for every diff output, with stable masks.

Each distinct value of a Secret key, across target, live and the live object's
last-applied configuration, is replaced by a run of ``+`` whose length is fixed per value:
equal values get equal masks and different values different ones, so a reader sees
*whether* a key changed and never *what* it holds.
"""

from __future__ import annotations

import json
from typing import Any

from kaiun.diff.normalize.known_types import LAST_APPLIED, annotations_of

MASK_CHAR = "+"
_BASE_LENGTH = 8


def is_secret(obj: Any) -> bool:
    """Whether ``obj`` is a core Secret."""
    return isinstance(obj, dict) and obj.get("kind") == "Secret" and obj.get("apiVersion") == "v1"


def _payload(obj: Any) -> dict[str, Any]:
    if not isinstance(obj, dict):
        return {}
    out: dict[str, Any] = {}
    for field in ("data", "stringData"):
        values = obj.get(field)
        if isinstance(values, dict):
            out.update(values)
    return out


def _last_applied(obj: Any) -> dict[str, Any] | None:
    raw = annotations_of(obj).get(LAST_APPLIED)
    if not isinstance(raw, str):
        return None
    try:
        parsed = json.loads(raw)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def redact_secrets(*objects: Any) -> tuple[Any, ...]:
    """Copies of ``objects`` with Secret values masked consistently across all of them.

    Non-Secret objects are returned unchanged. A last-applied annotation on a Secret is
    masked too (as JSON), since it repeats the values.
    """
    if not any(is_secret(o) for o in objects):
        return objects
    applied = [_last_applied(o) for o in objects]
    masks: dict[str, dict[str, str]] = {}
    for source in [*objects, *applied]:
        for key, value in _payload(source).items():
            per_key = masks.setdefault(key, {})
            token = json.dumps(value, sort_keys=True)
            if token not in per_key:
                per_key[token] = MASK_CHAR * (_BASE_LENGTH + len(per_key))
    return tuple(_mask(o, masks, a) for o, a in zip(objects, applied, strict=True))


def _mask_values(obj: dict[str, Any], masks: dict[str, dict[str, str]]) -> dict[str, Any]:
    out = dict(obj)
    for field in ("data", "stringData"):
        values = out.get(field)
        if isinstance(values, dict):
            out[field] = {k: masks[k][json.dumps(v, sort_keys=True)] for k, v in values.items()}
    return out


def _mask(obj: Any, masks: dict[str, dict[str, str]], applied: dict[str, Any] | None) -> Any:
    if not is_secret(obj):
        return obj
    out = _mask_values(obj, masks)
    if applied is not None:
        metadata = dict(out["metadata"])  # a last-applied annotation implies both maps
        annotations = dict(metadata["annotations"])
        annotations[LAST_APPLIED] = json.dumps(_mask_values(applied, masks), sort_keys=True)
        metadata["annotations"] = annotations
        out["metadata"] = metadata
    return out
