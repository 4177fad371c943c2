"""RFC 6902 JSON patches between two objects (live -> target)."""

from __future__ import annotations

from typing import Any


def _escape(token: str | int) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def json_patch(source: Any, target: Any, path: str = "") -> list[dict[str, Any]]:
    """The operations that turn ``source`` into ``target``.

    Maps are diffed key by key; lists of equal length item by item; other changes
    replace the value whole.
    """
    if source == target:
        return []
    if isinstance(source, dict) and isinstance(target, dict):
        ops: list[dict[str, Any]] = []
        for key in source:
            if key not in target:
                ops.append({"op": "remove", "path": f"{path}/{_escape(key)}"})
        for key, value in target.items():
            sub = f"{path}/{_escape(key)}"
            if key not in source:
                ops.append({"op": "add", "path": sub, "value": value})
            else:
                ops.extend(json_patch(source[key], value, sub))
        return ops
    if isinstance(source, list) and isinstance(target, list) and len(source) == len(target):
        ops = []
        for i, (a, b) in enumerate(zip(source, target, strict=True)):
            ops.extend(json_patch(a, b, f"{path}/{i}"))
        return ops
    return [{"op": "replace", "path": path, "value": target}]
