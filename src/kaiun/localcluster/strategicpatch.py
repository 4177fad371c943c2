"""Kubernetes strategic merge patch, applied on the server side.

Maps merge recursively and ``null`` deletes a key. Lists replace unless the
field's ``patchStrategy`` is ``merge``: then lists of maps merge item by item on
the ``patchMergeKey`` and primitive lists take the union. Directives understood:
``$patch: replace|delete|merge`` (on maps and as list items),
``$setElementOrder/<field>``, ``$deleteFromPrimitiveList/<field>`` and
``$retainKeys``. kubectl's client-side apply computes a three-way patch of this
kind; the server only applies it, as here. Pure: no IO.
"""

from __future__ import annotations

from typing import Any

from kaiun.localcluster.jsonvalue import deep_copy, json_equal
from kaiun.localcluster.patcherrors import MalformedPatchError, PatchError
from kaiun.localcluster.schema import (
    DEFAULT_SPEC,
    FieldSpec,
    KindSchema,
    SchemaNode,
    builtin_schema,
)

__all__ = ["strategic_merge_patch"]

_PATCH = "$patch"
_RETAIN = "$retainKeys"
_ORDER = "$setElementOrder/"
_DELETE_PRIMITIVE = "$deleteFromPrimitiveList/"
_DELETED = object()


def strategic_merge_patch(
    obj: dict[str, Any],
    patch: Any,
    *,
    group: str,
    kind: str,
    schema: KindSchema | None = None,
) -> dict[str, Any]:
    """Apply a strategic merge patch to a copy of ``obj`` using the kind's merge keys."""
    if not isinstance(patch, dict):
        raise MalformedPatchError(
            "invalid JSON document: a strategic merge patch must be an object"
        )
    kind_schema = schema if schema is not None else builtin_schema(group, kind)
    result = _merge_map(deep_copy(obj), patch, kind_schema.root)
    if result is _DELETED:
        return {}
    assert isinstance(result, dict)
    return result


def _merge_map(original: dict[str, Any], patch: dict[str, Any], node: SchemaNode | None) -> Any:
    """Merge ``patch`` into ``original`` (which is owned and mutated); _DELETED deletes it."""
    directive = patch.get(_PATCH)
    if directive == "replace":
        return {k: deep_copy(v) for k, v in patch.items() if k != _PATCH}
    if directive == "delete":
        return _DELETED
    if directive not in (None, "merge"):
        raise MalformedPatchError(f"unknown patch type: {directive} in map: {_go_repr(patch)}")
    if _RETAIN in patch:
        _retain_keys(original, patch)
    for key, values in patch.items():
        if key.startswith(_DELETE_PRIMITIVE):
            _delete_from_primitive_list(original, key[len(_DELETE_PRIMITIVE) :], values)
    for key, value in patch.items():
        if key.startswith("$"):
            continue
        if value is None:
            original.pop(key, None)
            continue
        child = node.child(key) if node is not None else None
        if isinstance(value, dict):
            current = original.get(key)
            merged = _merge_map(current if isinstance(current, dict) else {}, value, child)
            if merged is _DELETED:
                original.pop(key, None)
            else:
                original[key] = merged
        elif isinstance(value, list):
            spec = child.spec if child is not None else DEFAULT_SPEC
            order = patch.get(_ORDER + key)
            original[key] = _merge_list(original.get(key), value, spec, child, order)
        else:
            original[key] = value
    _reorder_unpatched(original, patch, node)
    return original


def _retain_keys(original: dict[str, Any], patch: dict[str, Any]) -> None:
    retain = patch[_RETAIN]
    if not isinstance(retain, list) or not all(isinstance(k, str) for k in retain):
        raise MalformedPatchError("invalid patch format of retainKeys")
    keep = set(retain)
    for key, value in patch.items():
        if not key.startswith("$") and value is not None and key not in keep:
            raise PatchError("patch content doesn't match retainKeys list")
    for key in [k for k in original if k not in keep]:
        del original[key]


def _delete_from_primitive_list(original: dict[str, Any], field: str, values: Any) -> None:
    if not isinstance(values, list):
        raise MalformedPatchError("invalid patch format of primitive list")
    current = original.get(field)
    if isinstance(current, list):
        original[field] = [x for x in current if not any(json_equal(x, v) for v in values)]


def _reorder_unpatched(
    original: dict[str, Any], patch: dict[str, Any], node: SchemaNode | None
) -> None:
    """Apply ``$setElementOrder`` to lists the patch orders without changing."""
    for key, order in patch.items():
        if not key.startswith(_ORDER):
            continue
        field = key[len(_ORDER) :]
        current = original.get(field)
        if field in patch or not isinstance(current, list):
            continue
        child = node.child(field) if node is not None else None
        spec = child.spec if child is not None else DEFAULT_SPEC
        original[field] = _apply_order(current, current, order, spec)


def _item_key(item: Any, spec: FieldSpec) -> Any:
    """What identifies a list item: its merge key value, or the item for primitives."""
    if isinstance(item, dict):
        return ("k", repr(item.get(spec.patch_merge_key)))
    return ("v", repr(item), type(item).__name__)


def _merge_list(
    original: Any, patch: list[Any], spec: FieldSpec, node: SchemaNode | None, order: Any
) -> list[Any]:
    if not spec.smp_merge:
        return [_strip(item) for item in patch]
    current: list[Any] = original if isinstance(original, list) else []
    if any(isinstance(item, dict) and item.get(_PATCH) == "replace" for item in patch):
        return [
            _strip(i) for i in patch if not (isinstance(i, dict) and i.get(_PATCH) == "replace")
        ]
    if spec.patch_merge_key and any(isinstance(item, dict) for item in patch):
        merged = _merge_keyed(current, patch, spec, node)
    else:
        merged = list(current)
        for item in patch:
            if isinstance(item, dict | list):
                raise MalformedPatchError("invalid patch format of primitive list")
            if not any(json_equal(item, x) for x in merged):
                merged.append(item)
    # Kubernetes always orders the result: by $setElementOrder, or else by the patch's own order.
    return _apply_order(merged, current, order if order is not None else patch, spec)


def _merge_keyed(
    current: list[Any], patch: list[Any], spec: FieldSpec, node: SchemaNode | None
) -> list[Any]:
    key = spec.patch_merge_key
    merged = list(current)
    for item in patch:
        if not isinstance(item, dict):
            raise PatchError(
                f"merging an object in json but data type is not map, got {_go_repr(item)}"
            )
        if key not in item:
            raise PatchError(f"map: {_go_repr(item)} does not contain declared merge key: {key}")
        wanted = item[key]
        index = next(
            (
                i
                for i, x in enumerate(merged)
                if isinstance(x, dict) and json_equal(x.get(key), wanted)
            ),
            -1,
        )
        if item.get(_PATCH) == "delete":
            merged = [
                x for x in merged if not (isinstance(x, dict) and json_equal(x.get(key), wanted))
            ]
            continue
        if index >= 0:
            merged[index] = _merge_map(merged[index], item, node)
        else:
            merged.append(_merge_map({}, item, node))
    return [x for x in merged if x is not _DELETED]


def _apply_order(merged: list[Any], server: list[Any], order: Any, spec: FieldSpec) -> list[Any]:
    """Order ``merged`` as ``$setElementOrder`` says, keeping server-only items in place.

    Items named by the order come in its sequence; the others keep their relative
    server positions, placed before the first ordered item that the server had
    after them.
    """
    if not isinstance(order, list):
        raise MalformedPatchError("invalid patch format of setElementOrder list")
    rank = {_item_key(o, spec): i for i, o in enumerate(order)}
    server_rank = {_item_key(x, spec): i for i, x in enumerate(server)}
    patched = sorted(
        (x for x in merged if _item_key(x, spec) in rank), key=lambda x: rank[_item_key(x, spec)]
    )
    server_only = [x for x in merged if _item_key(x, spec) not in rank]
    result: list[Any] = []
    i = j = 0
    while i < len(server_only) or j < len(patched):
        if j >= len(patched):
            result.append(server_only[i])
            i += 1
        elif i >= len(server_only):
            result.append(patched[j])
            j += 1
        else:
            left = server_rank.get(_item_key(server_only[i], spec))
            right = server_rank.get(_item_key(patched[j], spec))
            if left is not None and right is not None and left < right:
                result.append(server_only[i])
                i += 1
            else:
                result.append(patched[j])
                j += 1
    return result


def _strip(value: Any) -> Any:
    """A copy of a replaced value with patch directives removed."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if not k.startswith("$")}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _go_repr(value: Any) -> str:
    """A value printed the way Go's ``%v`` prints decoded JSON, as Kubernetes messages do."""
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{_go_repr(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(_go_repr(v) for v in value) + "]"
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
