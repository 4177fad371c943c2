"""Label and field selector parsing and matching, as Kubernetes defines them."""

from __future__ import annotations

import pytest

from kaiun.localcluster.selectors import (
    SelectorError,
    field_matcher,
    label_matcher,
    match_expressions,
)

LABELS = {"app": "web", "tier": "frontend", "env": "prod"}

CASES = [
    ("app=web", True),
    ("app==web", True),
    ("app!=web", False),
    ("app!=db", True),
    ("missing!=x", True),
    ("tier in (frontend, backend)", True),
    ("tier notin (frontend)", False),
    ("missing notin (a)", True),
    ("env", True),
    ("!env", False),
    ("!missing", True),
    ("app=web,env=dev", False),
    ("app=web, tier in (frontend),!legacy", True),
    ("", True),
]


@pytest.mark.parametrize(("selector", "expected"), CASES)
def test_label_selector(selector: str, expected: bool) -> None:
    match = label_matcher(selector)
    assert (True if match is None else match(LABELS)) is expected


@pytest.mark.parametrize("bad", ["app=web,,(", "tier in (a", "a b"])
def test_bad_label_selector(bad: str) -> None:
    with pytest.raises(SelectorError):
        label_matcher(bad)


def test_match_expressions() -> None:
    selector = {
        "matchLabels": {"app": "web"},
        "matchExpressions": [
            {"key": "tier", "operator": "In", "values": ["frontend"]},
            {"key": "legacy", "operator": "DoesNotExist"},
        ],
    }
    assert match_expressions(selector)(LABELS)
    assert not match_expressions(selector)({**LABELS, "legacy": "yes"})
    assert match_expressions(None)({})


def test_field_selector() -> None:
    obj = {"metadata": {"name": "a", "namespace": "ns"}, "status": {"phase": "Running"}}
    match = field_matcher("metadata.name=a,status.phase!=Pending")
    assert match is not None and match(obj)
    other = field_matcher("metadata.namespace==other")
    assert other is not None and not other(obj)
    with pytest.raises(SelectorError):
        field_matcher("metadata.name")
