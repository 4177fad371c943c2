"""The three patch types of the Kubernetes API, applied to plain dicts.

``merge_patch`` is RFC 7386 (``application/merge-patch+json``), ``json_patch``
is RFC 6902 (``application/json-patch+json``) and ``strategic_merge_patch`` is
Kubernetes' own (``application/strategic-merge-patch+json``, see
``strategicpatch``). Inputs are never mutated; results share nothing with them.
Failures raise ``PatchError`` (HTTP 422) or ``MalformedPatchError`` (HTTP 400)
with the messages the API server gives. Pure: no IO.
"""

from __future__ import annotations

from typing import Any

from kaiun.localcluster.jsonvalue import deep_copy, json_equal
from kaiun.localcluster.patcherrors import MalformedPatchError, PatchError, UnsupportedPatchError
from kaiun.localcluster.strategicpatch import strategic_merge_patch

__all__ = [
    "APPLY_PATCH",
    "JSON_PATCH",
    "MERGE_PATCH",
    "STRATEGIC_MERGE_PATCH",
    "MalformedPatchError",
    "PatchError",
    "UnsupportedPatchError",
    "json_patch",
    "merge_patch",
    "patch_object",
    "strategic_merge_patch",
]

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"


def patch_object(
    obj: dict[str, Any],
    document: Any,
    content_type: str,
    *,
    group: str,
    kind: str,
    custom_resource: bool = False,
) -> Any:
    """Apply a decoded PATCH body by its ``Content-Type`` (server-side apply excluded).

    Custom resources refuse strategic merge patch with 415, as Kubernetes does.
    """
    media = content_type.split(";", 1)[0].strip().lower()
    if media == JSON_PATCH:
        return json_patch(obj, document)
    if media == MERGE_PATCH:
        return merge_patch(obj, document)
    if media == STRATEGIC_MERGE_PATCH and not custom_resource:
        return strategic_merge_patch(obj, document, group=group, kind=kind)
    accepted = [JSON_PATCH, MERGE_PATCH, APPLY_PATCH]
    if not custom_resource:
        accepted.insert(2, STRATEGIC_MERGE_PATCH)
    raise UnsupportedPatchError(
        "the body of the request was in an unknown format - accepted media types include: "
        + ", ".join(accepted)
    )


def merge_patch(obj: Any, patch: Any) -> dict[str, Any]:
    """Apply an RFC 7386 JSON merge patch; the API server requires an object patch."""
    if not isinstance(patch, dict):
        raise MalformedPatchError("Invalid JSON Patch: a merge patch must be a JSON object")
    result = _merge(obj, patch)
    assert isinstance(result, dict)  # a dict patch always yields a dict
    return result


def _merge(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return deep_copy(patch)
    if not isinstance(target, dict):
        target = {}
    # Keep the target's key order, then new keys, as clients would see them.
    result: dict[str, Any] = {}
    for key, value in target.items():
        if key not in patch:
            result[key] = deep_copy(value)
        elif patch[key] is not None:
            result[key] = _merge(value, patch[key])
    for key, value in patch.items():
        if key not in target and value is not None:
            result[key] = _merge(None, value)
    return result


def _parse_pointer(pointer: Any, op: str) -> list[str]:
    if not isinstance(pointer, str):
        raise MalformedPatchError(f"{op} operation does not apply: path is not a string")
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise PatchError(f"{op} operation does not apply: invalid JSON pointer: {pointer!r}")
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def _index(container: list[Any], token: str, *, allow_end: bool, path: str, op: str) -> int:
    if token == "-" and allow_end:
        return len(container)
    if not token.isdigit() or (len(token) > 1 and token[0] == "0"):
        raise PatchError(f"{op} operation does not apply: invalid array index {token!r} in {path}")
    index = int(token)
    limit = len(container) if allow_end else len(container) - 1
    if index > limit:
        raise PatchError(
            f"{op} operation does not apply: doc is missing path: {path!r}: "
            f"Unable to access invalid index: {index}: invalid index referenced"
        )
    return index


def _parent(doc: Any, tokens: list[str], path: str, op: str) -> Any:
    """The container holding the last token of ``tokens``."""
    current = doc
    for token in tokens[:-1]:
        if isinstance(current, dict) and token in current:
            current = current[token]
        elif isinstance(current, list):
            current = current[_index(current, token, allow_end=False, path=path, op=op)]
        else:
            raise PatchError(f'{op} operation does not apply: doc is missing path: "{path}"')
    return current


def _get(doc: Any, pointer: Any, op: str) -> Any:
    tokens = _parse_pointer(pointer, op)
    if not tokens:
        return doc
    parent = _parent(doc, tokens, pointer, op)
    last = tokens[-1]
    if isinstance(parent, dict) and last in parent:
        return parent[last]
    if isinstance(parent, list):
        return parent[_index(parent, last, allow_end=False, path=pointer, op=op)]
    raise PatchError(f'{op} operation does not apply: doc is missing path: "{pointer}"')


def _add(doc: Any, pointer: Any, value: Any, op: str = "add") -> Any:
    tokens = _parse_pointer(pointer, op)
    if not tokens:
        return value
    parent = _parent(doc, tokens, pointer, op)
    last = tokens[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, last, allow_end=True, path=pointer, op=op), value)
    else:
        raise PatchError(f'{op} operation does not apply: doc is missing path: "{pointer}"')
    return doc


def _remove(doc: Any, pointer: Any, op: str = "remove") -> tuple[Any, Any]:
    """Remove the value at ``pointer``; returns (new doc, removed value)."""
    tokens = _parse_pointer(pointer, op)
    if not tokens:
        return None, doc
    parent = _parent(doc, tokens, pointer, op)
    last = tokens[-1]
    if isinstance(parent, dict) and last in parent:
        return doc, parent.pop(last)
    if isinstance(parent, list):
        return doc, parent.pop(_index(parent, last, allow_end=False, path=pointer, op=op))
    raise PatchError(f'{op} operation does not apply: doc is missing path: "{pointer}"')


def _operation(doc: Any, operation: Any) -> Any:
    if not isinstance(operation, dict):
        raise MalformedPatchError("json: cannot unmarshal operation: not a JSON object")
    op = operation.get("op")
    path = operation.get("path")
    if op in ("add", "replace", "test") and "value" not in operation:
        raise MalformedPatchError(f"{op} operation does not apply: missing value")
    if op == "add":
        return _add(doc, path, deep_copy(operation["value"]))
    if op == "remove":
        return _remove(doc, path)[0]
    if op == "replace":
        _get(doc, path, "replace")  # the target must exist
        doc, _ = _remove(doc, path, "replace")
        return _add(doc, path, deep_copy(operation["value"]), "replace")
    if op == "move":
        source = operation.get("from")
        if path != source and isinstance(path, str) and path.startswith(f"{source}/"):
            raise PatchError(f"move operation does not apply: cannot move {source} into {path}")
        doc, value = _remove(doc, source, "move")
        return _add(doc, path, value, "move")
    if op == "copy":
        value = deep_copy(_get(doc, operation.get("from"), "copy"))
        return _add(doc, path, value, "copy")
    if op == "test":
        if not json_equal(_get(doc, path, "test"), operation["value"]):
            raise PatchError(f"testing value {path} failed: test failed")
        return doc
    raise MalformedPatchError(f"Unexpected kind: {op}")


def json_patch(obj: Any, ops: Any) -> Any:
    """Apply an RFC 6902 JSON patch (a list of operations) to a copy of ``obj``."""
    if not isinstance(ops, list):
        raise MalformedPatchError(
            "json: cannot unmarshal object into Go value of type jsonpatch.Patch"
        )
    doc = deep_copy(obj)
    for operation in ops:
        doc = _operation(doc, operation)
    return doc
