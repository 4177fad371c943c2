"""Custom resources against CRD schemas, and CRD objects themselves."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from kaiun.localcluster import crdschema, crdvalidation, defaults, validation
from kaiun.localcluster import fielderrors as fe

FIXTURES = Path(__file__).parent / "fixtures"
CASES = yaml.safe_load((FIXTURES / "crdschema.yaml").read_text())


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_custom_resource_fixture(case: dict[str, Any]) -> None:
    obj = copy.deepcopy(case["object"])
    schema = case["schema"]
    assert crdschema.prune(obj, schema) == case["pruned"]
    crdschema.apply_defaults(obj, schema)
    if case["result"] is not None:
        assert obj == case["result"]
    causes = crdschema.validate(obj, schema)
    if case["message"] is None:
        assert causes == []
        return
    group, kind = validation.group_kind(obj)
    message = fe.invalid_message(
        kind=kind, group=group, name="w" if kind == "Widget" else "t", causes=causes
    )
    assert message == case["message"]
    assert [[c["field"], c["reason"]] for c in causes] == case["causes"]


def _crd(**spec_overrides: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "group": "example.com",
        "scope": "Namespaced",
        "names": {"plural": "widgets", "kind": "Widget", "shortNames": ["wd"]},
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {"openAPIV3Schema": {"type": "object"}},
            }
        ],
    }
    spec.update(spec_overrides)
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": spec,
    }
    defaults.apply_defaults(crd)
    return crd


def _messages(crd: dict[str, Any]) -> str:
    causes = crdvalidation.validate_crd(crd)
    return fe.aggregate_message(causes) if causes else ""


def test_valid_crd_and_lookups() -> None:
    crd = _crd(
        versions=[
            {
                "name": "v1beta1",
                "served": True,
                "storage": False,
                "schema": {"openAPIV3Schema": {"type": "object"}},
            },
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {"openAPIV3Schema": {"type": "object"}},
            },
        ]
    )
    assert crdvalidation.validate_crd(crd) == []
    assert crdvalidation.storage_version(crd) == "v1"
    assert crdvalidation.served_versions(crd) == ["v1beta1", "v1"]
    assert crdvalidation.version_schema(crd, "v1") == {"type": "object"}
    assert crdvalidation.version_schema(crd, "v2") is None


def test_crd_name_group_and_scope() -> None:
    crd = _crd(group="example", scope="Global")
    assert _messages(crd) == (
        '[metadata.name: Invalid value: "widgets.example.com": '
        'must be spec.names.plural+"."+spec.group, '
        'spec.group: Invalid value: "example": should be a domain with at least one dot, '
        'spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"]'
    )


def test_crd_names() -> None:
    crd = _crd(names={"plural": "Widgets", "kind": "Widget", "listKind": "Widget"})
    crd["metadata"]["name"] = "Widgets.example.com"
    messages = _messages(crd)
    assert 'spec.names.plural: Invalid value: "Widgets": a DNS-1035 label' in messages
    assert (
        'spec.names.listKind: Invalid value: "Widget": kind and listKind may not be the same'
        in messages
    )


def test_crd_needs_exactly_one_storage_version_and_schemas() -> None:
    crd = _crd(
        versions=[
            {"name": "v1", "served": True, "storage": True},
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {"openAPIV3Schema": {"type": "string"}},
            },
        ]
    )
    assert _messages(crd) == (
        "[spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required, "
        'spec.versions[1].schema.openAPIV3Schema.type: Invalid value: "string": '
        "must be object at the root, "
        "spec.versions: Invalid value: []apiextensions.CustomResourceDefinitionVersion{...}: "
        "must contain unique version names, "
        "spec.versions: Invalid value: []apiextensions.CustomResourceDefinitionVersion{...}: "
        "must have exactly one version marked as storage version]"
    )
    assert crdvalidation.storage_version(crd) is None


def test_crd_schema_must_be_structural() -> None:
    schema = {
        "type": "object",
        "properties": {
            "spec": {"properties": {"a": {"type": "array"}}},
            "free": {"x-kubernetes-preserve-unknown-fields": True},
        },
    }
    crd = _crd(
        versions=[
            {"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": schema}}
        ]
    )
    assert _messages(crd) == (
        "[spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: "
        "must not be empty for specified object fields, "
        "spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[a].items: "
        "Required value: must be specified]"
    )


def test_crd_update_keeps_group_and_scope() -> None:
    old = _crd()
    new = _crd(scope="Cluster")
    assert [(c["field"], c["message"]) for c in crdvalidation.validate_crd_update(old, new)] == [
        ("spec.scope", 'Invalid value: "Cluster": field is immutable')
    ]
    assert crdvalidation.validate_crd_update(old, _crd()) == []


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["spec", "a", "b", "tags", "x"]), inner, max_size=4)
    ),
    max_leaves=25,
)
_SCHEMA = CASES[0]["schema"]


@settings(max_examples=200, deadline=None)
@given(body=_json)
def test_prune_default_validate_never_raise_and_are_idempotent(body: Any) -> None:
    obj: dict[str, Any] = {"apiVersion": "example.com/v1", "kind": "Widget", "spec": body}
    crdschema.prune(obj, _SCHEMA)
    crdschema.apply_defaults(obj, _SCHEMA)
    once = copy.deepcopy(obj)
    assert crdschema.prune(obj, _SCHEMA) == []
    crdschema.apply_defaults(obj, _SCHEMA)
    assert obj == once
    causes = crdschema.validate(obj, _SCHEMA)
    assert all(c["field"].startswith("spec") for c in causes)
