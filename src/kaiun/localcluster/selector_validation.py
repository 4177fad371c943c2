"""Label selectors: validation of ``metav1.LabelSelector`` and matching against labels."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kaiun.localcluster import fielderrors as fe
from kaiun.localcluster import names
from kaiun.localcluster.fielderrors import Cause
from kaiun.localcluster.jsonshape import mapping
from kaiun.localcluster.podspec_validation import validate_labels

_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def validate_selector(selector: Any, path: str) -> list[Cause]:
    """``ValidateLabelSelector``: matchLabels as labels, matchExpressions' keys/operators/values."""
    if not isinstance(selector, Mapping):
        return []
    causes = validate_labels(selector.get("matchLabels"), f"{path}.matchLabels")
    exprs = selector.get("matchExpressions")
    for i, expr in enumerate(exprs if isinstance(exprs, list) else []):
        p = f"{path}.matchExpressions[{i}]"
        if not isinstance(expr, Mapping):
            continue
        operator = expr.get("operator")
        values = expr.get("values") or []
        if operator in ("In", "NotIn") and not values:
            detail = "must be specified when `operator` is 'In' or 'NotIn'"
            causes.append(fe.required(f"{p}.values", detail))
        elif operator in ("Exists", "DoesNotExist") and values:
            detail = "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
            causes.append(fe.forbidden(f"{p}.values", detail))
        elif operator not in _OPERATORS:
            causes.append(fe.invalid(f"{p}.operator", operator, "not a valid selector operator"))
        key = str(expr.get("key") or "")
        causes += [fe.invalid(f"{p}.key", key, m) for m in names.is_qualified_name(key)]
    return causes


def _requirement_holds(expr: Any, labels: Mapping[str, Any]) -> bool:
    if not isinstance(expr, Mapping):
        return False
    key, operator = str(expr.get("key")), expr.get("operator")
    raw = expr.get("values")
    values: list[Any] = raw if isinstance(raw, list) else []
    present = key in labels
    if operator == "In":
        return present and labels[key] in values
    if operator == "NotIn":
        return not present or labels[key] not in values
    if operator == "Exists":
        return present
    return operator == "DoesNotExist" and not present


def selector_matches(selector: Any, labels: Mapping[str, Any] | None) -> bool:
    """Whether ``labels`` satisfy ``selector``; a missing selector matches nothing."""
    if not isinstance(selector, Mapping):
        return False
    present = mapping(labels)
    for key, value in mapping(selector.get("matchLabels")).items():
        if present.get(key) != value:
            return False
    exprs = selector.get("matchExpressions")
    return all(_requirement_holds(e, present) for e in (exprs if isinstance(exprs, list) else []))


def is_empty_selector(selector: Any) -> bool:
    """A selector with neither matchLabels nor matchExpressions."""
    if not isinstance(selector, Mapping):
        return False
    return not selector.get("matchLabels") and not selector.get("matchExpressions")
