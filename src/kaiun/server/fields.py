"""``fields=``: keep only the named dotted paths of a response (Argo CD's field selection).

``items.metadata.name,items.status.sync.status`` keeps those leaves in every list item;
paths that do not exist are skipped, so a client may ask for optional fields.
"""

from __future__ import annotations

from typing import Any


def select_fields(body: dict[str, Any], fields: str) -> dict[str, Any]:
    """A copy of ``body`` holding only the comma-separated dotted ``fields``."""
    paths = [tuple(p.split(".")) for p in fields.split(",") if p.strip()]
    out: dict[str, Any] = {}
    for path in paths:
        _copy_path(body, out, path)
    return out


def _copy_path(src: Any, dst: dict[str, Any], path: tuple[str, ...]) -> None:
    head, rest = path[0], path[1:]
    if not isinstance(src, dict) or head not in src:
        return
    value = src[head]
    if not rest:
        dst[head] = value
        return
    if isinstance(value, list):
        target = dst.get(head)
        if not isinstance(target, list) or len(target) != len(value):
            target = [{} for _ in value]
            dst[head] = target
        for item, slot in zip(value, target, strict=True):
            _copy_path(item, slot, rest)
    elif isinstance(value, dict):
        sub = dst.setdefault(head, {})
        if isinstance(sub, dict):
            _copy_path(value, sub, rest)
