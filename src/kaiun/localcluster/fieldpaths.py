"""Field paths and field sets, as server-side apply tracks ownership.

A path is a tuple of FieldsV1 tokens from the object root: ``f:<field or map
key>``, ``k:<json of the list-map keys>`` for an item of an associative list,
``v:<json value>`` for an item of a set, ``i:<index>`` as a last resort. A field
set is a ``set`` of paths; a path in the set is a *member* (owned). This module
converts sets to and from Kubernetes' FieldsV1 JSON, derives the set an apply
configuration claims, compares two objects into added/modified/removed sets, and
prints paths the way Kubernetes does in conflict messages. Pure: no IO.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kaiun.localcluster.jsonvalue import json_equal
from kaiun.localcluster.schema import DEFAULT_SPEC, FieldSpec, SchemaNode

__all__ = [
    "MISSING",
    "Comparison",
    "FieldPath",
    "compare",
    "describe",
    "fields_v1",
    "from_fields_v1",
    "item_token",
    "owned_set",
]

FieldPath = tuple[str, ...]
MISSING: Any = object()


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def item_token(item: Any, spec: FieldSpec, index: int) -> str:
    """The FieldsV1 token naming one item of a list with the given merge behaviour."""
    if spec.list_type == "map" and isinstance(item, dict):
        key: dict[str, Any] = {}
        defaults = dict(spec.key_defaults)
        for name in spec.list_map_keys:
            if name in item:
                key[name] = item[name]
            elif name in defaults:
                key[name] = defaults[name]
            else:
                return f"i:{index}"
        return "k:" + _dumps(key)
    elif spec.list_type == "set":
        return "v:" + _dumps(item)
    return f"i:{index}"


def _child(node: SchemaNode | None, name: str) -> SchemaNode | None:
    return node.child(name) if node is not None else None


def _spec(node: SchemaNode | None) -> FieldSpec:
    return node.spec if node is not None else DEFAULT_SPEC


def owned_set(obj: dict[str, Any], root: SchemaNode | None) -> set[FieldPath]:
    """The fields an apply configuration claims: leaves, atomic values and list items."""
    out: set[FieldPath] = set()
    _own_map(obj, root, (), out)
    return out


def _own_map(
    obj: dict[str, Any], node: SchemaNode | None, path: FieldPath, out: set[FieldPath]
) -> None:
    for key, value in obj.items():
        child = _child(node, key)
        _own_value(value, child, (*path, "f:" + key), out)


def _own_value(value: Any, node: SchemaNode | None, path: FieldPath, out: set[FieldPath]) -> None:
    spec = _spec(node)
    if isinstance(value, dict) and not spec.atomic:
        _own_map(value, node, path, out)
    elif isinstance(value, list) and spec.list_type != "atomic":
        for index, item in enumerate(value):
            item_path = (*path, item_token(item, spec, index))
            out.add(item_path)
            if isinstance(item, dict) and spec.list_type == "map":
                _own_map(item, node, item_path, out)
    else:
        out.add(path)


@dataclass(slots=True)
class Comparison:
    """Paths added, modified and removed going from one object to another."""

    added: set[FieldPath] = field(default_factory=set)
    modified: set[FieldPath] = field(default_factory=set)
    removed: set[FieldPath] = field(default_factory=set)

    @property
    def changed(self) -> set[FieldPath]:
        """Added or modified paths: what an update takes ownership of."""
        return self.added | self.modified


def compare(old: dict[str, Any], new: dict[str, Any], root: SchemaNode | None) -> Comparison:
    """Compare two objects field by field, with Kubernetes' notion of list items.

    Maps, structs and list items that appear or disappear count as nodes too,
    except structs that always exist in Kubernetes' typed zero value of an
    existing parent (``implicit``): the API server never sees those appear.
    """
    result = Comparison()
    _compare_map(old, new, root, (), result, old_present=True)
    return result


def _compare(
    old: Any, new: Any, node: SchemaNode | None, path: FieldPath, res: Comparison, parent: bool
) -> None:
    spec = _spec(node)
    old_map, new_map = isinstance(old, dict), isinstance(new, dict)
    old_list, new_list = isinstance(old, list), isinstance(new, list)
    implicit = spec.implicit and parent
    if (
        not spec.atomic
        and (old_map or new_map)
        and (old_map or old is MISSING)
        and (new_map or new is MISSING)
    ):
        _compare_node(old, new, path, res, implicit=implicit)
        present = old_map or implicit
        _compare_map(old if old_map else {}, new if new_map else {}, node, path, res, present)
    elif (
        spec.list_type != "atomic"
        and (old_list or new_list)
        and (old_list or old is MISSING)
        and (new_list or new is MISSING)
    ):
        _compare_node(old, new, path, res, implicit=implicit)
        _compare_list(old if old_list else [], new if new_list else [], node, path, res)
    else:
        _compare_leaf(old, new, path, res)


def _compare_node(old: Any, new: Any, path: FieldPath, res: Comparison, *, implicit: bool) -> None:
    if implicit:
        return
    if old is MISSING:
        res.added.add(path)
    elif new is MISSING:
        res.removed.add(path)


def _compare_leaf(old: Any, new: Any, path: FieldPath, res: Comparison) -> None:
    if old is MISSING:
        if new is not MISSING:
            res.added.add(path)
    elif new is MISSING:
        res.removed.add(path)
    elif not json_equal(old, new):
        res.modified.add(path)


def _compare_map(
    old: dict[str, Any],
    new: dict[str, Any],
    node: SchemaNode | None,
    path: FieldPath,
    res: Comparison,
    old_present: bool,
) -> None:
    for key, value in old.items():
        child_path = (*path, "f:" + key)
        _compare(value, new.get(key, MISSING), _child(node, key), child_path, res, old_present)
    for key, value in new.items():
        if key not in old:
            _compare(MISSING, value, _child(node, key), (*path, "f:" + key), res, old_present)


def _compare_list(
    old: list[Any], new: list[Any], node: SchemaNode | None, path: FieldPath, res: Comparison
) -> None:
    spec = _spec(node)
    old_items = {item_token(x, spec, i): x for i, x in enumerate(old)}
    new_items = {item_token(x, spec, i): x for i, x in enumerate(new)}
    for token in {**old_items, **new_items}:
        before = old_items.get(token, MISSING)
        after = new_items.get(token, MISSING)
        item_path = (*path, token)
        if spec.list_type == "map" and (isinstance(before, dict) or isinstance(after, dict)):
            _compare_node(before, after, item_path, res, implicit=False)
            _compare_map(
                before if isinstance(before, dict) else {},
                after if isinstance(after, dict) else {},
                node,
                item_path,
                res,
                isinstance(before, dict),
            )
        else:
            _compare_leaf(before, after, item_path, res)


def fields_v1(paths: Iterable[FieldPath]) -> dict[str, Any]:
    """Encode a field set as Kubernetes' FieldsV1 JSON object."""
    tree: dict[str, Any] = {}
    members: set[FieldPath] = set()
    for path in paths:
        members.add(path)
        node = tree
        for token in path:
            node = node.setdefault(token, {})
    return _finish(tree, (), members)


def _token_order(token: str) -> tuple[int, str]:
    return ("fkvi".find(token[0]) if token else 0, token)


def _finish(tree: dict[str, Any], path: FieldPath, members: set[FieldPath]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if tree and path in members:
        out["."] = {}
    for token in sorted(tree, key=_token_order):
        out[token] = _finish(tree[token], (*path, token), members)
    return out


def from_fields_v1(fields: Any) -> set[FieldPath]:
    """Decode a FieldsV1 JSON object into a field set."""
    out: set[FieldPath] = set()
    if isinstance(fields, dict):
        _decode(fields, (), out)
    return out


def _decode(tree: dict[str, Any], path: FieldPath, out: set[FieldPath]) -> None:
    for token, sub in tree.items():
        if token == ".":
            out.add(path)
            continue
        child = (*path, token)
        if not isinstance(sub, dict) or not sub:
            out.add(child)
        else:
            _decode(sub, child, out)


def _go_string(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return _dumps(value)


def describe(path: FieldPath) -> str:
    """A path as Kubernetes prints it: ``.spec.containers[name="nginx"].image``."""
    parts: list[str] = []
    for token in path:
        kind, _, rest = token.partition(":")
        if kind == "f":
            parts.append("." + rest)
        elif kind == "k":
            key = json.loads(rest)
            parts.append(
                "[" + ",".join(f"{k}={_go_string(v)}" for k, v in sorted(key.items())) + "]"
            )
        elif kind == "v":
            parts.append(f"[={_go_string(json.loads(rest))}]")
        else:
            parts.append(f"[{rest}]")
    return "".join(parts)
