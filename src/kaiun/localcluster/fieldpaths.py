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

import orjson

from kaiun.localcluster.jsonvalue import json_equal
from kaiun.localcluster.schema import DEFAULT_SPEC, FieldSpec, SchemaNode

__all__ = [
    "MISSING",
    "Comparison",
    "FieldPath",
    "ListKeyError",
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
    # Compact, sorted keys, no ASCII escaping: how Kubernetes serializes FieldsV1 keys.
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


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


class ListKeyError(ValueError):
    """An associative list item without its key fields, or a duplicate item."""

    def __init__(self, path: FieldPath, index: int, token: str, missing: str) -> None:
        where = describe(path) or "."
        if missing:
            message = (
                f"{where}: element {index}: associative list with keys has an element that "
                f'omits key field "{missing}" (and doesn\'t have default value)'
            )
        else:
            message = f"{where}: duplicate entries for key {describe((token,))}"
        super().__init__(message)


def owned_set(
    obj: dict[str, Any], root: SchemaNode | None, *, strict: bool = False
) -> set[FieldPath]:
    """The fields an apply configuration claims: leaves, atomic values and list items.

    With ``strict``, associative list items lacking keys or repeated raise ``ListKeyError``.
    """
    out: set[FieldPath] = set()
    _own_map(obj, root, (), out, strict)
    return out


def _own_map(
    obj: dict[str, Any], node: SchemaNode | None, path: FieldPath, out: set[FieldPath], strict: bool
) -> None:
    for key, value in obj.items():
        child = node.child(key) if node is not None else None
        child_path = (*path, "f:" + key)
        _own_value(value, child, child_path, out, strict)
        # Map entries (keys that are not declared fields) are owned as nodes too.
        if node is not None and node.wildcard is not None and key not in node.children:
            out.add(child_path)


def _own_value(
    value: Any, node: SchemaNode | None, path: FieldPath, out: set[FieldPath], strict: bool
) -> None:
    spec = node.spec if node is not None else DEFAULT_SPEC
    if isinstance(value, dict) and not spec.atomic:
        _own_map(value, node, path, out, strict)
    elif isinstance(value, list) and spec.list_type != "atomic":
        for index, item in enumerate(value):
            token = item_token(item, spec, index)
            item_path = (*path, token)
            if strict and (token[0] == "i" or item_path in out):
                missing = "" if token[0] != "i" else _missing_key(item, spec)
                raise ListKeyError(path, index, token, missing)
            out.add(item_path)
            if isinstance(item, dict) and spec.list_type == "map":
                _own_map(item, node, item_path, out, strict)
    else:
        out.add(path)


def _missing_key(item: Any, spec: FieldSpec) -> str:
    if not isinstance(item, dict):
        return spec.list_map_keys[0] if spec.list_map_keys else ""
    defaults = dict(spec.key_defaults)
    return next((k for k in spec.list_map_keys if k not in item and k not in defaults), "")


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
    elif (
        old is not MISSING
        and new is not MISSING
        and type(old) is not type(new)
        and (isinstance(old, dict | list) or isinstance(new, dict | list))
    ):
        # A value changing shape: everything below the old one goes, the new one arrives.
        _compare(old, MISSING, node, path, res, parent)
        _compare(MISSING, new, node, path, res, parent)
        res.removed.discard(path)
        res.modified.add(path)
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


_CONTAINERS = (dict, list)


def _scalar_equal(a: Any, b: Any) -> bool:
    # JSON equality of two non-container values: booleans never equal numbers.
    return a == b and (type(a) is type(b) or not (isinstance(a, bool) or isinstance(b, bool)))


def _compare_map(
    old: dict[str, Any],
    new: dict[str, Any],
    node: SchemaNode | None,
    path: FieldPath,
    res: Comparison,
    old_present: bool,
) -> None:
    for key, value in old.items():
        after = new.get(key, MISSING)
        if after is MISSING or isinstance(value, _CONTAINERS) or isinstance(after, _CONTAINERS):
            child = node.child(key) if node is not None else None
            _compare(value, after, child, (*path, "f:" + key), res, old_present)
        elif not _scalar_equal(value, after):
            res.modified.add((*path, "f:" + key))
    for key, value in new.items():
        if key in old:
            continue
        if isinstance(value, _CONTAINERS):
            child = node.child(key) if node is not None else None
            _compare(MISSING, value, child, (*path, "f:" + key), res, old_present)
        else:
            res.added.add((*path, "f:" + key))


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
    """Encode a field set as Kubernetes' FieldsV1 JSON object (children in sorted order)."""
    tree: dict[str, Any] = {}
    members: set[int] = set()
    # Sorted, a path comes before its extensions: a member node is still empty when its
    # first child arrives, which is when it gets its "." mark (so the mark comes first).
    for path in sorted(paths):
        node = tree
        for token in path:
            child = node.get(token)
            if child is None:
                if not node and id(node) in members:
                    node["."] = {}
                child = node[token] = {}
            node = child
        members.add(id(node))
    return tree


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
