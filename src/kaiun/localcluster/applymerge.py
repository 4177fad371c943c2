"""Merging an apply configuration into a live object, and pruning what it dropped.

The value side of server-side apply (``fieldmanager`` keeps the ownership side):
configuration values win, granular maps merge key by key, associative lists
(``map``/``set``) merge item by item with shared items in the configuration's
order, atomic values are replaced whole. Pure: no IO.
"""

from __future__ import annotations

from typing import Any

from kaiun.localcluster.fieldpaths import FieldPath, item_token
from kaiun.localcluster.jsonvalue import deep_copy
from kaiun.localcluster.schema import DEFAULT_SPEC, SchemaNode

__all__ = ["merge_config", "prune", "strip_nulls"]


def _merge_value(live: Any, config: Any, node: SchemaNode | None) -> Any:
    """Apply-merge one value: configuration wins, granular maps and keyed lists merge."""
    spec = node.spec if node is not None else DEFAULT_SPEC
    if isinstance(config, dict) and isinstance(live, dict) and not spec.atomic:
        return merge_config(live, config, node)
    if isinstance(config, list) and isinstance(live, list) and spec.list_type != "atomic":
        return _merge_list(live, config, node)
    return config


def merge_config(
    live: dict[str, Any], config: dict[str, Any], node: SchemaNode | None
) -> dict[str, Any]:
    """``live`` with the apply configuration merged in (``node``: its schema).

    The result shares nothing with ``live`` but takes over the (fresh) ``config``'s
    values; the caller must not use ``config`` afterwards.
    """
    out: dict[str, Any] = {}
    for key, value in live.items():
        if key in config:
            child = node.child(key) if node is not None else None
            out[key] = _merge_value(value, config[key], child)
        else:
            out[key] = deep_copy(value)
    for key, value in config.items():
        if key not in live:
            out[key] = value
    return out


def _merge_list(live: list[Any], config: list[Any], node: SchemaNode | None) -> list[Any]:
    """Merge an associative list in structured-merge-diff's order.

    Items only in the live list keep their places; shared items come in the
    configuration's order; new items are placed where the configuration has them
    relative to the shared ones.
    """
    spec = node.spec if node is not None else DEFAULT_SPEC
    lhs = [(item_token(x, spec, i), x) for i, x in enumerate(live)]
    rhs = [(item_token(x, spec, i), x) for i, x in enumerate(config)]
    live_items: dict[str, Any] = {}
    for token, item in lhs:
        live_items.setdefault(token, item)
    config_items = dict(rhs)
    shared = [t for t, _ in rhs if t in live_items]
    next_shared = 0
    merged: set[str] = set()
    out: list[Any] = []

    def take(token: str) -> None:
        """Append the configuration's item, merged into the live one if there is one."""
        merged.add(token)
        before, after = live_items.get(token), config_items[token]
        if isinstance(before, dict) and isinstance(after, dict) and spec.list_type == "map":
            out.append(merge_config(before, after, node))
        else:
            out.append(after)

    li = ri = 0
    while li < len(lhs) or ri < len(rhs):
        if li < len(lhs) and ri < len(rhs):
            token = lhs[li][0]
            if token == rhs[ri][0] and token not in merged:
                take(token)
                li, ri, next_shared = li + 1, ri + 1, next_shared + 1
                continue
            wanted = shared[next_shared] if next_shared < len(shared) else None
            if token in config_items and wanted is not None and wanted != token:
                li += 1  # a shared item, but not the one due now
                continue
        if li < len(lhs):
            token, item = lhs[li]
            if token not in config_items:
                out.append(deep_copy(item))
                li += 1
                continue
            if token in merged:
                li += 1
                continue
        if ri < len(rhs):
            token = rhs[ri][0]
            ri += 1
            if token in merged:
                continue
            take(token)
            if next_shared < len(shared) and shared[next_shared] == token:
                next_shared += 1
        else:
            li += 1  # only reachable with duplicate keys; never loop forever
    return out


def strip_nulls(value: Any) -> Any:
    """A fresh copy of a JSON value without null map entries (unset in apply terms)."""
    if isinstance(value, dict):
        return {k: strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip_nulls(v) for v in value]
    return value


def _remove_path(obj: dict[str, Any], path: FieldPath, root: SchemaNode | None) -> None:
    """Remove the field or list item at ``path`` from ``obj`` if it is there."""
    container: Any = obj
    node = root
    for depth, token in enumerate(path):
        last = depth == len(path) - 1
        if token.startswith("f:"):
            name = token[2:]
            if not isinstance(container, dict) or name not in container:
                return
            if last:
                del container[name]
                return
            node = node.child(name) if node is not None else None
            container = container[name]
            continue
        if not isinstance(container, list):
            return
        spec = node.spec if node is not None else DEFAULT_SPEC
        index = next((i for i, x in enumerate(container) if item_token(x, spec, i) == token), None)
        if index is None:
            return
        if last:
            del container[index]
            return
        container = container[index]


def prune(
    merged: dict[str, Any], dropped: set[FieldPath], owned: set[FieldPath], root: SchemaNode | None
) -> None:
    """Remove from ``merged`` the ``dropped`` fields that nothing in ``owned`` keeps alive."""
    kept_prefixes = {p[:n] for p in owned for n in range(1, len(p) + 1)}
    # Parents first: removing an item's fields first would change the item's key.
    doomed = sorted((p for p in dropped if p not in kept_prefixes), key=len)
    for path in doomed:
        _remove_path(merged, path, root)
