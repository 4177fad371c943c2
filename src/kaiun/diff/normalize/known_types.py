"""Known-type equivalences and server-populated fields, removed before comparing.

Produces a fresh copy of an object in which values that mean the same thing are spelled
the same way: quantities canonical (``1000m`` = ``1``), int-or-string ports as ints, empty
maps and lists dropped like absent ones, ``null`` dropped, Secret ``stringData`` folded into
``data``; and the fields the API server owns (uid, resourceVersion, managedFields, status…)
removed.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from kaiun.diff.normalize.quantity import canonical_quantity

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
SERVER_METADATA = frozenset(
    {
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "managedFields",
        "selfLink",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
    }
)
# Maps whose values are all resource quantities (container resources, quotas, limit ranges).
QUANTITY_MAPS = frozenset(
    {"limits", "requests", "hard", "used", "capacity", "allocatable", "max", "min", "default"}
    | {"defaultRequest", "maxLimitRequestRatio"}
)
QUANTITY_FIELDS = frozenset({"sizeLimit"})
INT_OR_STRING = frozenset(
    {"port", "targetPort", "containerPort", "hostPort", "nodePort", "maxSurge", "maxUnavailable"}
)
# Keys whose empty value means something (an emptyDir volume has no fields).
KEEP_EMPTY = frozenset({"emptyDir"})


_SPECIAL_SCALARS = INT_OR_STRING | QUANTITY_FIELDS


def metadata_of(obj: object) -> Mapping[str, Any]:
    """``obj.metadata`` when it is a mapping, else empty (objects may be malformed)."""
    metadata = obj.get("metadata") if isinstance(obj, Mapping) else None
    return metadata if isinstance(metadata, Mapping) else {}


def annotations_of(obj: object) -> Mapping[str, Any]:
    """``obj.metadata.annotations`` when it is a mapping, else empty."""
    annotations = metadata_of(obj).get("annotations")
    return annotations if isinstance(annotations, Mapping) else {}


def _canonical_map(value: dict[str, Any], key: str) -> dict[str, Any]:
    if key in QUANTITY_MAPS:
        return {
            k: canonical_quantity(str(v)) if type(v) in (str, int, float) else canonical(v, k)
            for k, v in value.items()
            if v is not None
        }
    out: dict[str, Any] = {}
    for k, v in value.items():
        kind = type(v)
        if kind is dict or kind is list:
            c = canonical(v, k)
            if c or k in KEEP_EMPTY:
                out[k] = c
        elif v is None:
            continue
        elif k in _SPECIAL_SCALARS:
            out[k] = canonical(v, k)
        else:
            out[k] = v
    return out


def canonical(value: Any, key: str = "") -> Any:
    """A copy of ``value`` with equivalent spellings made identical."""
    kind = type(value)
    if kind is dict:
        return _canonical_map(value, key)
    if kind is list:
        return [canonical(v, key) for v in value]
    if key in INT_OR_STRING and kind is str and value.isdigit():
        return int(value)
    if key in QUANTITY_FIELDS and kind in (str, int, float):
        return canonical_quantity(str(value))
    return value


def normalize_object(obj: Mapping[str, Any], *, ignore_status: bool = True) -> dict[str, Any]:
    """A canonical copy of ``obj`` without the fields the server owns."""
    top = {k: v for k, v in obj.items() if not (ignore_status and k == "status")}
    metadata = top.get("metadata")
    if isinstance(metadata, dict):
        # Drop server-owned metadata before copying: managedFields is a large subtree.
        metadata = {k: v for k, v in metadata.items() if k not in SERVER_METADATA}
        annotations = metadata.get("annotations")
        if isinstance(annotations, dict) and LAST_APPLIED in annotations:
            annotations = {k: v for k, v in annotations.items() if k != LAST_APPLIED}
            metadata["annotations"] = annotations
        top["metadata"] = metadata
    out: dict[str, Any] = _canonical_map(top, "")
    if out.get("kind") == "Secret" and out.get("apiVersion") == "v1":
        _fold_string_data(out)
    return out


def _fold_string_data(secret: dict[str, Any]) -> None:
    """Fold ``stringData`` into base64 ``data`` as the API server does on write."""
    string_data = secret.pop("stringData", None)
    if not isinstance(string_data, dict) or not string_data:
        return
    data = dict(secret.get("data") or {})
    for k, v in string_data.items():
        data[k] = base64.b64encode(str(v).encode()).decode()
    secret["data"] = data
