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
SERVER_METADATA = (
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "managedFields",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
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


def canonical(value: Any, key: str = "") -> Any:
    """A copy of ``value`` with equivalent spellings made identical."""
    if isinstance(value, dict):
        quantities = key in QUANTITY_MAPS
        out: dict[str, Any] = {}
        for k, v in value.items():
            if v is None:
                continue
            if quantities and isinstance(v, str | int | float) and not isinstance(v, bool):
                out[k] = canonical_quantity(str(v))
                continue
            c = canonical(v, k)
            if (c == {} or c == []) and k not in KEEP_EMPTY:
                continue
            out[k] = c
        return out
    if isinstance(value, list):
        return [canonical(v, key) for v in value]
    if key in INT_OR_STRING and isinstance(value, str) and value.isdigit():
        return int(value)
    if key in QUANTITY_FIELDS and isinstance(value, str | int | float):
        return canonical_quantity(str(value))
    return value


def normalize_object(obj: Mapping[str, Any], *, ignore_status: bool = True) -> dict[str, Any]:
    """A canonical copy of ``obj`` without the fields the server owns."""
    out: dict[str, Any] = canonical(dict(obj))
    metadata = out.get("metadata")
    if isinstance(metadata, dict):
        for name in SERVER_METADATA:
            metadata.pop(name, None)
        annotations = metadata.get("annotations")
        if isinstance(annotations, dict) and LAST_APPLIED in annotations:
            del annotations[LAST_APPLIED]
            if not annotations:
                del metadata["annotations"]
    if ignore_status:
        out.pop("status", None)
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
