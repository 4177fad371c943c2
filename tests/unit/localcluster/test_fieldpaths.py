"""FieldsV1 encoding, path printing and the apply field set."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaiun.localcluster import fieldpaths, schema

TOKENS = st.sampled_from(
    [
        "f:spec",
        "f:metadata",
        "f:a",
        "f:b.c",
        'k:{"name":"x"}',
        'k:{"port":80,"protocol":"TCP"}',
        'v:"x"',
        "v:1",
        "i:0",
    ]
)


@given(st.sets(st.lists(TOKENS, min_size=1, max_size=4).map(tuple), max_size=12))
def test_fields_v1_round_trip(paths: set[tuple[str, ...]]) -> None:
    assert fieldpaths.from_fields_v1(fieldpaths.fields_v1(paths)) == paths


def test_fields_v1_marks_members_with_children() -> None:
    paths = {
        ("f:metadata", "f:labels"),
        ("f:metadata", "f:labels", "f:app"),
        ("f:spec", "f:replicas"),
    }
    assert fieldpaths.fields_v1(paths) == {
        "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
        "f:spec": {"f:replicas": {}},
    }


@pytest.mark.parametrize(
    ("path", "text"),
    [
        (("f:spec", "f:replicas"), ".spec.replicas"),
        (
            ("f:spec", "f:template", "f:spec", "f:containers", 'k:{"name":"nginx"}', "f:image"),
            '.spec.template.spec.containers[name="nginx"].image',
        ),
        (
            ("f:spec", "f:ports", 'k:{"port":80,"protocol":"TCP"}'),
            '.spec.ports[port=80,protocol="TCP"]',
        ),
        (("f:metadata", "f:finalizers", 'v:"a/b"'), '.metadata.finalizers[="a/b"]'),
        (("f:items", "i:3"), ".items[3]"),
        (
            ("f:metadata", "f:labels", "f:app.kubernetes.io/name"),
            ".metadata.labels.app.kubernetes.io/name",
        ),
    ],
)
def test_describe_prints_like_kubernetes(path: tuple[str, ...], text: str) -> None:
    assert fieldpaths.describe(path) == text


def test_item_tokens_use_keys_defaults_and_values() -> None:
    ports = schema.builtin_schema("", "Service").field(("spec", "ports"))
    assert fieldpaths.item_token({"port": 80}, ports, 0) == 'k:{"port":80,"protocol":"TCP"}'
    assert fieldpaths.item_token({"name": "x"}, ports, 2) == "i:2"
    finalizers = schema.builtin_schema("", "Pod").field(("metadata", "finalizers"))
    assert fieldpaths.item_token("kubernetes.io/pvc", finalizers, 0) == 'v:"kubernetes.io/pvc"'


def _owned(obj: dict[str, Any], kind: str = "Deployment") -> dict[str, Any]:
    root = schema.builtin_schema("apps", kind).root
    return fieldpaths.fields_v1(fieldpaths.owned_set(obj, root))


def test_owned_set_treats_atomic_values_as_leaves() -> None:
    config = {
        "spec": {
            "selector": {"matchLabels": {"a": "b"}},
            "template": {"spec": {"containers": [{"name": "c", "args": ["x"], "resources": {}}]}},
        }
    }
    assert _owned(config) == {
        "f:spec": {
            "f:selector": {},
            "f:template": {
                "f:spec": {
                    "f:containers": {'k:{"name":"c"}': {".": {}, "f:args": {}, "f:name": {}}}
                }
            },
        }
    }


def test_compare_reports_added_modified_removed() -> None:
    root = schema.builtin_schema("apps", "Deployment").root
    old = {
        "spec": {
            "replicas": 1,
            "paused": True,
            "template": {"spec": {"containers": [{"name": "a", "image": "x"}]}},
        }
    }
    new = {
        "spec": {
            "replicas": 2,
            "minReadySeconds": 3,
            "template": {"spec": {"containers": [{"name": "b"}]}},
        }
    }
    diff = fieldpaths.compare(old, new, root)
    item_a = ("f:spec", "f:template", "f:spec", "f:containers", 'k:{"name":"a"}')
    item_b = ("f:spec", "f:template", "f:spec", "f:containers", 'k:{"name":"b"}')
    assert diff.modified == {("f:spec", "f:replicas")}
    assert diff.added == {("f:spec", "f:minReadySeconds"), item_b, (*item_b, "f:name")}
    assert diff.removed == {
        ("f:spec", "f:paused"),
        item_a,
        (*item_a, "f:name"),
        (*item_a, "f:image"),
    }
