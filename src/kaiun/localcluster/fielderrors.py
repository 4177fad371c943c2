"""Kubernetes field errors (``StatusCause``) and the 422 ``Status`` built from them.

Rendering follows Kubernetes 1.32 ``k8s.io/apimachinery/pkg/util/validation/field``:
simple values print like Go's ``%v``/``%q``, composite values like Go's ``%#v``, which is
why callers hand composite values over as ``GoLiteral`` strings rendered by the helpers here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypedDict


class Cause(TypedDict):
    """One entry of ``Status.details.causes`` as the Kubernetes API returns it."""

    reason: str
    message: str
    field: str


class GoLiteral(str):
    """A bad value already rendered the way Go's ``%#v`` prints it."""


_TYPE_TEXT = {
    "FieldValueNotFound": "Not found",
    "FieldValueRequired": "Required value",
    "FieldValueDuplicate": "Duplicate value",
    "FieldValueInvalid": "Invalid value",
    "FieldValueNotSupported": "Unsupported value",
    "FieldValueForbidden": "Forbidden",
    "FieldValueTooLong": "Too long",
    "FieldValueTooMany": "Too many",
    "FieldValueTypeInvalid": "Invalid value",
    "InternalError": "Internal error",
}
_NO_VALUE = {"FieldValueRequired", "FieldValueForbidden", "FieldValueTooLong", "InternalError"}


def go_quote(text: str) -> str:
    """Go's ``%q`` of a string (close enough: JSON escaping without ASCII-forcing)."""
    return json.dumps(text, ensure_ascii=False)


def render_value(value: Any) -> str:
    """Render a bad value the way ``field.Error.ErrorBody`` does in Kubernetes 1.32."""
    if isinstance(value, GoLiteral):
        return str(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return go_quote(value)
    if isinstance(value, Mapping):
        return go_string_map(value)
    if isinstance(value, list | tuple):
        return go_string_slice([str(v) for v in value])
    return str(value)


def _cause(reason: str, field: str, value: Any, detail: str) -> Cause:
    text = _TYPE_TEXT[reason]
    body = text if reason in _NO_VALUE else f"{text}: {render_value(value)}"
    if detail:
        body += f": {detail}"
    return {"reason": reason, "message": body, "field": field}


def required(field: str, detail: str = "") -> Cause:
    """``field.Required``."""
    return _cause("FieldValueRequired", field, None, detail)


def forbidden(field: str, detail: str) -> Cause:
    """``field.Forbidden``."""
    return _cause("FieldValueForbidden", field, None, detail)


def invalid(field: str, value: Any, detail: str) -> Cause:
    """``field.Invalid``."""
    return _cause("FieldValueInvalid", field, value, detail)


def type_invalid(field: str, value: Any, detail: str) -> Cause:
    """``field.TypeInvalid`` (a value of the wrong JSON type)."""
    return _cause("FieldValueTypeInvalid", field, value, detail)


def duplicate(field: str, value: Any) -> Cause:
    """``field.Duplicate``."""
    return _cause("FieldValueDuplicate", field, value, "")


def not_found(field: str, value: Any) -> Cause:
    """``field.NotFound``."""
    return _cause("FieldValueNotFound", field, value, "")


def not_supported(field: str, value: Any, supported: Iterable[str]) -> Cause:
    """``field.NotSupported`` listing the supported values in the given order."""
    values = ", ".join(go_quote(v) for v in supported)
    return _cause(
        "FieldValueNotSupported", field, value, f"supported values: {values}" if values else ""
    )


def too_long(field: str, max_length: int) -> Cause:
    """``field.TooLong`` (the value itself is never echoed)."""
    unit = "byte" if max_length == 1 else "bytes"
    return _cause("FieldValueTooLong", field, None, f"may not be more than {max_length} {unit}")


def too_many(field: str, actual: int, max_items: int) -> Cause:
    """``field.TooMany``."""
    unit = "item" if max_items == 1 else "items"
    return _cause("FieldValueTooMany", field, actual, f"must have at most {max_items} {unit}")


# --- Go %#v renderings of the composite values Kubernetes puts in its messages ---------


def go_string_map(value: Mapping[str, Any] | None) -> GoLiteral:
    """``map[string]string{"a":"b"}`` with Go's sorted keys; ``(nil)`` when absent."""
    if value is None:
        return GoLiteral("map[string]string(nil)")
    items = ", ".join(f"{go_quote(k)}:{go_quote(str(value[k]))}" for k in sorted(value))
    return GoLiteral(f"map[string]string{{{items}}}")


def go_string_slice(value: Sequence[str] | None) -> GoLiteral:
    """``[]string{"a", "b"}``; ``[]string(nil)`` when absent."""
    if value is None:
        return GoLiteral("[]string(nil)")
    return GoLiteral("[]string{" + ", ".join(go_quote(v) for v in value) + "}")


def go_label_selector(selector: Mapping[str, Any] | None) -> GoLiteral:
    """A ``metav1.LabelSelector`` as ``v1.LabelSelector{MatchLabels:..., MatchExpressions:...}``."""
    if selector is None:
        return GoLiteral("null")
    labels = go_string_map(selector.get("matchLabels"))
    exprs = selector.get("matchExpressions")
    if exprs is None:
        rendered = "[]v1.LabelSelectorRequirement(nil)"
    else:
        parts = [
            "v1.LabelSelectorRequirement{"
            f"Key:{go_quote(str(e.get('key', '')))}, "
            f"Operator:{go_quote(str(e.get('operator', '')))}, "
            f"Values:{go_string_slice(e.get('values'))}}}"
            for e in exprs
        ]
        rendered = "[]v1.LabelSelectorRequirement{" + ", ".join(parts) + "}"
    return GoLiteral(f"v1.LabelSelector{{MatchLabels:{labels}, MatchExpressions:{rendered}}}")


# --- Status objects ----------------------------------------------------------------------


def error_text(cause: Cause) -> str:
    """``field.Error.Error()``: the field path, a colon, then the message."""
    return f"{cause['field']}: {cause['message']}"


def aggregate_message(causes: Sequence[Cause]) -> str:
    """Join causes like ``utilerrors.Aggregate``: one as is, several as ``[a, b]``, deduplicated."""
    seen: list[str] = []
    for cause in causes:
        text = error_text(cause)
        if text not in seen:
            seen.append(text)
    if len(seen) == 1:
        return seen[0]
    return "[" + ", ".join(seen) + "]"


def qualified_kind(kind: str, group: str) -> str:
    """``schema.GroupKind.String()``: ``Deployment.apps``, or ``Service`` for the core group."""
    return f"{kind}.{group}" if group else kind


def invalid_message(*, kind: str, group: str, name: str, causes: Sequence[Cause]) -> str:
    """The ``message`` of a 422 Invalid Status, e.g. ``Deployment.apps "web" is invalid: ...``."""
    head = f"{qualified_kind(kind, group)} {go_quote(name)} is invalid"
    return f"{head}: {aggregate_message(causes)}" if causes else head


def invalid_status(*, kind: str, group: str, name: str, causes: Sequence[Cause]) -> dict[str, Any]:
    """A complete 422 ``Status`` object (``reason: Invalid``) carrying ``details.causes``."""
    details: dict[str, Any] = {"name": name}
    if group:
        details["group"] = group
    details["kind"] = kind
    details["causes"] = [dict(c) for c in causes]
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": invalid_message(kind=kind, group=group, name=name, causes=causes),
        "reason": "Invalid",
        "details": details,
        "code": 422,
    }
