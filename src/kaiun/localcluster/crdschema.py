"""Custom resources against their CRD's structural ``openAPIV3Schema``: pruning, defaulting
and validation, in the order and words of the Kubernetes 1.32 apiextensions-apiserver.

The server calls, on every write of a custom resource: ``prune`` (unknown fields are
dropped; the returned paths feed ``fieldValidation=Strict|Warn``), ``apply_defaults``
(``default`` values, and nulls of non-nullable fields dropped), then ``validate``.
CEL rules (``x-kubernetes-validations``) are not evaluated. CRD objects themselves are
checked by ``crdvalidation``. Pure: no IO.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from typing import Any

from kaiun.localcluster import fielderrors as fe
from kaiun.localcluster.crdformats import format_ok
from kaiun.localcluster.fielderrors import Cause
from kaiun.localcluster.jsonshape import mapping

Schema = Mapping[str, Any]

OBJECT_META_FIELDS = frozenset(
    (
        "name",
        "generateName",
        "namespace",
        "selfLink",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "labels",
        "annotations",
        "ownerReferences",
        "finalizers",
        "managedFields",
    )
)
_ROOT_FIELDS = ("apiVersion", "kind", "metadata")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


# --- pruning -------------------------------------------------------------------------------


def _prune_meta(meta: Any, path: str, pruned: list[str]) -> None:
    if isinstance(meta, dict):
        for key in [k for k in meta if k not in OBJECT_META_FIELDS]:
            del meta[key]
            pruned.append(_join(path, key))


def _prune(value: Any, schema: Schema, path: str, pruned: list[str], *, root: bool) -> None:
    embedded = bool(schema.get("x-kubernetes-embedded-resource"))
    if isinstance(value, dict):
        properties = mapping(schema.get("properties"))
        additional = schema.get("additionalProperties")
        preserve = bool(schema.get("x-kubernetes-preserve-unknown-fields"))
        for key in list(value):
            child_path = _join(path, key)
            if (root or embedded) and key in _ROOT_FIELDS:
                if key == "metadata":
                    _prune_meta(value[key], child_path, pruned)
                continue
            if key in properties:
                _prune(value[key], properties[key], child_path, pruned, root=False)
            elif isinstance(additional, Mapping):
                _prune(value[key], additional, child_path, pruned, root=False)
            elif not preserve and additional is not True:
                del value[key]
                pruned.append(child_path)
    elif isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        for i, item in enumerate(value):
            _prune(item, schema["items"], f"{path}[{i}]", pruned, root=False)


def prune(obj: dict[str, Any], schema: Schema) -> list[str]:
    """Drop, in place, fields the schema does not declare; return their paths (``spec.foo``)."""
    pruned: list[str] = []
    _prune(obj, schema, "", pruned, root=True)
    return pruned


# --- defaulting ------------------------------------------------------------------------------


def _default(value: Any, schema: Schema) -> None:
    if isinstance(value, dict):
        properties = mapping(schema.get("properties"))
        for key, sub in properties.items():
            if not isinstance(sub, Mapping):
                continue
            if key in value and value[key] is None and not sub.get("nullable"):
                # Structural defaulting: non-nullable nulls are defaulted, or dropped.
                del value[key]
            if key not in value and "default" in sub:
                value[key] = copy.deepcopy(sub["default"])
            if key in value:
                _default(value[key], sub)
        additional = schema.get("additionalProperties")
        if isinstance(additional, Mapping):
            for key in [k for k in value if k not in properties]:
                if value[key] is None and not additional.get("nullable"):
                    if "default" in additional:
                        value[key] = copy.deepcopy(additional["default"])
                    else:
                        del value[key]
                        continue
                _default(value[key], additional)
    elif isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        for item in value:
            _default(item, schema["items"])


def apply_defaults(obj: dict[str, Any], schema: Schema) -> None:
    """Apply the schema's ``default`` values in place (only under objects that exist)."""
    _default(obj, schema)


# --- validation ------------------------------------------------------------------------------


def json_type(value: Any) -> str:
    """The OpenAPI type name of a decoded JSON value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _type_matches(value: Any, wanted: str) -> bool:
    actual = json_type(value)
    return actual == wanted or (wanted == "number" and actual == "integer")


def _in_body(path: str, text: str) -> str:
    return f"{path} in body {text}"


def _check_type(value: Any, schema: Schema, path: str) -> list[Cause]:
    actual = json_type(value)
    if schema.get("x-kubernetes-int-or-string"):
        if actual in ("integer", "string"):
            return []
        detail = _in_body(path, f"must be of type integer,string: {fe.go_quote(actual)}")
        return [fe.type_invalid(path, actual, detail)]
    wanted = schema.get("type")
    if value is None and schema.get("nullable"):
        return []
    if not wanted:
        return []
    if _type_matches(value, str(wanted)):
        return []
    detail = _in_body(path, f"must be of type {wanted}: {fe.go_quote(actual)}")
    return [fe.type_invalid(path, actual, detail)]


def _go_number(number: Any) -> str:
    if isinstance(number, float) and number.is_integer():
        return str(int(number))
    return str(number)


def _numeric(value: Any, schema: Schema, path: str) -> list[Cause]:
    causes: list[Cause] = []
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None:
        exclusive = bool(schema.get("exclusiveMinimum"))
        if value < low or (exclusive and value == low):
            word = "greater than" if exclusive else "greater than or equal to"
            causes.append(
                fe.invalid(path, value, _in_body(path, f"should be {word} {_go_number(low)}"))
            )
    if high is not None:
        exclusive = bool(schema.get("exclusiveMaximum"))
        if value > high or (exclusive and value == high):
            word = "less than" if exclusive else "less than or equal to"
            causes.append(
                fe.invalid(path, value, _in_body(path, f"should be {word} {_go_number(high)}"))
            )
    factor = schema.get("multipleOf")
    if factor and (value / factor) != int(value / factor):
        causes.append(
            fe.invalid(path, value, _in_body(path, f"should be a multiple of {_go_number(factor)}"))
        )
    return causes


def _string(value: str, schema: Schema, path: str) -> list[Cause]:
    causes: list[Cause] = []
    length = len(value)
    if schema.get("maxLength") is not None and length > schema["maxLength"]:
        causes.append(fe.too_long(path, int(schema["maxLength"])))
    if schema.get("minLength") is not None and length < schema["minLength"]:
        detail = _in_body(path, f"should be at least {schema['minLength']} chars long")
        causes.append(fe.invalid(path, value, detail))
    pattern = schema.get("pattern")
    if pattern and not re.search(str(pattern), value):
        causes.append(fe.invalid(path, value, _in_body(path, f"should match '{pattern}'")))
    fmt = schema.get("format")
    if fmt and not format_ok(str(fmt), value):
        detail = _in_body(path, f"must be of type {fmt}: {fe.go_quote(value)}")
        causes.append(fe.type_invalid(path, value, detail))
    return causes


def _array(value: list[Any], schema: Schema, path: str) -> list[Cause]:
    causes: list[Cause] = []
    if schema.get("maxItems") is not None and len(value) > schema["maxItems"]:
        causes.append(fe.too_many(path, len(value), int(schema["maxItems"])))
    if schema.get("minItems") is not None and len(value) < schema["minItems"]:
        detail = _in_body(path, f"should have at least {schema['minItems']} items")
        causes.append(fe.invalid(path, fe.GoLiteral(_render_list(value)), detail))
    if schema.get("uniqueItems") or schema.get("x-kubernetes-list-type") == "set":
        seen: list[Any] = []
        for i, item in enumerate(value):
            if item in seen:
                if schema.get("x-kubernetes-list-type") == "set":
                    causes.append(fe.duplicate(f"{path}[{i}]", item))
                else:
                    detail = _in_body(path, "shouldn't contain duplicates")
                    causes.append(fe.invalid(path, fe.GoLiteral(_render_list(value)), detail))
                break
            seen.append(item)
    items = schema.get("items")
    if isinstance(items, Mapping):
        for i, item in enumerate(value):
            causes += _validate(item, items, f"{path}[{i}]")
    return causes


def _render_list(value: list[Any]) -> str:
    return "[]interface {}{" + ", ".join(fe.render_value(v) for v in value) + "}"


def _object(value: Mapping[str, Any], schema: Schema, path: str, *, root: bool) -> list[Cause]:
    causes: list[Cause] = []
    for key in schema.get("required") or []:
        if key not in value:
            causes.append(fe.required(_join(path, str(key))))
    properties = mapping(schema.get("properties"))
    additional = schema.get("additionalProperties")
    for key in sorted(value):
        if (root or schema.get("x-kubernetes-embedded-resource")) and key in _ROOT_FIELDS:
            continue
        sub = properties.get(key)
        if sub is None and isinstance(additional, Mapping):
            sub = additional
        if isinstance(sub, Mapping):
            causes += _validate(value[key], sub, _join(path, key))
    if schema.get("x-kubernetes-embedded-resource"):
        for key in ("apiVersion", "kind"):
            if not value.get(key):
                causes.append(fe.required(_join(path, key), "must not be empty"))
    count = len(value)
    if schema.get("maxProperties") is not None and count > schema["maxProperties"]:
        causes.append(fe.too_many(path, count, int(schema["maxProperties"])))
    if schema.get("minProperties") is not None and count < schema["minProperties"]:
        detail = _in_body(path, f"should have at least {schema['minProperties']} properties")
        causes.append(fe.invalid(path, "", detail))
    return causes


def _combinators(value: Any, schema: Schema, path: str) -> list[Cause]:
    causes: list[Cause] = []
    for sub in schema.get("allOf") or []:
        causes += _validate(value, sub, path)
    branches = schema.get("anyOf")
    if branches and not any(not _validate(value, b, path) for b in branches):
        detail = _in_body(path, "must validate at least one schema (anyOf)")
        causes.append(fe.invalid(path, "", detail))
    branches = schema.get("oneOf")
    if branches and sum(1 for b in branches if not _validate(value, b, path)) != 1:
        detail = _in_body(path, "must validate one and only one schema (oneOf)")
        causes.append(fe.invalid(path, "", detail))
    negated = schema.get("not")
    if isinstance(negated, Mapping) and not _validate(value, negated, path):
        causes.append(fe.invalid(path, "", _in_body(path, "must not validate the schema (not)")))
    return causes


def _validate(value: Any, schema: Schema, path: str, *, root: bool = False) -> list[Cause]:
    causes = _check_type(value, schema, path)
    if causes or value is None:
        return causes
    enum = schema.get("enum")
    if enum is not None and value not in enum:
        # Non-string enum values are listed as their JSON text, as Kubernetes does.
        supported = [v if isinstance(v, str) else json.dumps(v) for v in enum]
        causes.append(fe.not_supported(path, value, supported))
    if isinstance(value, bool):
        pass
    elif isinstance(value, int | float):
        causes += _numeric(value, schema, path)
    elif isinstance(value, str):
        causes += _string(value, schema, path)
    elif isinstance(value, list):
        causes += _array(value, schema, path)
    elif isinstance(value, Mapping):
        causes += _object(value, schema, path, root=root)
    if not schema.get("x-kubernetes-int-or-string"):
        causes += _combinators(value, schema, path)
    return causes


def validate(obj: Mapping[str, Any], schema: Schema) -> list[Cause]:
    """Schema causes for a custom resource (metadata is checked by ``validation``)."""
    return _validate(obj, schema, "", root=True)
