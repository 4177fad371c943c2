"""Validation answers what a Kubernetes 1.32 API server answers (fixtures/validation.yaml)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from kaiun.localcluster import defaults, validation
from kaiun.localcluster import fielderrors as fe

FIXTURES = Path(__file__).parent / "fixtures"
CASES = yaml.safe_load((FIXTURES / "validation.yaml").read_text())
UPDATES = yaml.safe_load((FIXTURES / "validation_update.yaml").read_text())


def _prepared(obj: dict[str, Any]) -> dict[str, Any]:
    prepared = copy.deepcopy(obj)
    defaults.apply_defaults(prepared)
    return prepared


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_validation_fixture(case: dict[str, Any]) -> None:
    obj = _prepared(case["object"])
    causes = validation.validate_object(obj, namespaced=case["namespaced"])
    if case["message"] is None:
        assert causes == []
        return
    status = validation.status_for(obj, causes)
    assert status["message"] == case["message"]
    assert [[c["field"], c["reason"]] for c in causes] == case["causes"]
    assert status["code"] == 422
    assert status["reason"] == "Invalid"
    assert status["details"]["kind"] == obj["kind"]


@pytest.mark.parametrize("case", UPDATES, ids=[c["name"] for c in UPDATES])
def test_update_validation_fixture(case: dict[str, Any]) -> None:
    old = _prepared(case["old"])
    new = copy.deepcopy(case["new"])
    if new.get("kind") == "Service":
        defaults.carry_over_service_allocation(old, new)
    defaults.apply_defaults(new)
    causes = validation.validate_object(new, namespaced=case["namespaced"], old=old)
    if case["message"] is None:
        assert causes == []
        return
    assert validation.status_for(new, causes)["message"] == case["message"]
    assert [[c["field"], c["reason"]] for c in causes] == case["causes"]


def test_status_shape_for_core_group_has_no_group() -> None:
    cause = fe.required("spec.ports")
    status = fe.invalid_status(kind="Service", group="", name="web", causes=[cause])
    assert status == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'Service "web" is invalid: spec.ports: Required value',
        "reason": "Invalid",
        "details": {
            "name": "web",
            "kind": "Service",
            "causes": [
                {"reason": "FieldValueRequired", "message": "Required value", "field": "spec.ports"}
            ],
        },
        "code": 422,
    }


def test_aggregate_message_deduplicates_identical_errors() -> None:
    cause = fe.invalid("metadata.labels", "x y", "bad")
    other = fe.required("spec.selector")
    assert fe.aggregate_message([cause, cause]) == 'metadata.labels: Invalid value: "x y": bad'
    assert fe.aggregate_message([cause, other, cause]) == (
        '[metadata.labels: Invalid value: "x y": bad, spec.selector: Required value]'
    )
    assert fe.invalid_message(kind="Foo", group="ex.com", name="a", causes=[]) == (
        'Foo.ex.com "a" is invalid'
    )


@pytest.mark.parametrize(
    ("value", "rendered"),
    [
        (None, "null"),
        (True, "true"),
        (3, "3"),
        (1.5, "1.5"),
        ('say "hi"', '"say \\"hi\\""'),
        ({"b": "2", "a": "1"}, 'map[string]string{"a":"1", "b":"2"}'),
        (["x", "y"], '[]string{"x", "y"}'),
    ],
)
def test_bad_values_render_like_go(value: Any, rendered: str) -> None:
    assert fe.render_value(value) == rendered


def test_label_selector_with_expressions_renders_like_go() -> None:
    selector = {"matchExpressions": [{"key": "app", "operator": "In", "values": ["a"]}]}
    assert fe.go_label_selector(selector) == (
        "v1.LabelSelector{MatchLabels:map[string]string(nil), "
        'MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:"app", '
        'Operator:"In", Values:[]string{"a"}}}}'
    )


def test_annotations_over_256_kib_are_too_long() -> None:
    obj = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "big", "namespace": "d", "annotations": {"a": "x" * 262144}},
    }
    causes = validation.validate_object(obj, namespaced=True)
    assert causes == [
        {
            "reason": "FieldValueTooLong",
            "message": "Too long: may not be more than 262144 bytes",
            "field": "metadata.annotations",
        }
    ]
    obj["metadata"]["annotations"] = {"a": "x" * 262143}
    assert validation.validate_object(obj, namespaced=True) == []


def test_configmap_over_one_mib_is_too_long() -> None:
    obj = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "big", "namespace": "d"},
        "data": {"a": "x" * (1024 * 1024), "b": "y"},
    }
    causes = validation.validate_object(obj, namespaced=True)
    assert [c["field"] for c in causes] == ["[]"]
    assert causes[0]["reason"] == "FieldValueTooLong"


def test_label_value_over_63_characters() -> None:
    obj = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "namespace": "d", "labels": {"k": "v" * 64}},
    }
    [cause] = validation.validate_object(obj, namespaced=True)
    assert (
        cause["message"] == 'Invalid value: "' + "v" * 64 + '": must be no more than 63 characters'
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"a": "aGVsbG8="}, None),
        ({"a": "aGVs\nbG8="}, None),
        ({"a": ""}, None),
        ({"a": "hello world"}, "illegal base64 data at input byte 5"),
        ({"a": "aGVsbG8"}, "illegal base64 data at input byte 4"),
        ({"a": "aGVsbG8=="}, "illegal base64 data at input byte 8"),
        ({"a": "a==="}, "illegal base64 data at input byte 1"),
        ({"a": "aGk=aGk="}, "illegal base64 data at input byte 4"),
        ({"ok": "b2s=", "a": "plain-text"}, "illegal base64 data at input byte 5"),
    ],
)
def test_secret_data_must_be_base64(data: dict[str, str], message: str | None) -> None:
    obj = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": data}
    expected = (
        None
        if message is None
        else f'Secret in version "v1" cannot be handled as a Secret: {message}'
    )
    assert validation.secret_decode_error(obj) == expected


def test_secret_decode_check_ignores_other_kinds() -> None:
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "not base64!"}}
    assert validation.secret_decode_error(obj) is None


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
_KINDS = [
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("apps/v1", "DaemonSet"),
    ("apps/v1", "ReplicaSet"),
    ("batch/v1", "Job"),
    ("batch/v1", "CronJob"),
    ("v1", "Pod"),
    ("v1", "Service"),
    ("v1", "Secret"),
    ("v1", "ConfigMap"),
    ("v1", "PersistentVolumeClaim"),
    ("networking.k8s.io/v1", "Ingress"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("rbac.authorization.k8s.io/v1", "Role"),
]


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(_KINDS), spec=_json, name=st.text(max_size=10))
def test_validation_of_malformed_objects_never_raises(
    kind: tuple[str, str], spec: Any, name: str
) -> None:
    obj = {
        "apiVersion": kind[0],
        "kind": kind[1],
        "metadata": {"name": name, "namespace": "default"},
        "spec": spec,
        "data": spec,
        "rules": spec,
    }
    causes = validation.validate_object(obj, namespaced=True)
    assert all(set(c) == {"reason", "message", "field"} for c in causes)
    assert validation.validate_object(obj, namespaced=True, old=obj) is not None


@pytest.mark.parametrize("case", UPDATES, ids=[c["name"] for c in UPDATES])
def test_piecewise_api_finds_the_same_causes(case: dict[str, Any]) -> None:
    # The server may call validate / validate_update / validate_metadata separately;
    # together they report what validate_object reports (only the order may differ).
    old = _prepared(case["old"])
    new = _prepared(case["new"])
    whole = validation.validate_object(new, namespaced=case["namespaced"], old=old)
    pieces = (
        validation.validate(new, old)
        + validation.validate_update(old, new)
        + validation.validate_metadata(new, namespaced=case["namespaced"])
    )
    key = lambda c: (c["field"], c["message"])  # noqa: E731
    assert sorted(whole, key=key) == sorted(pieces, key=key)


def test_status_message_matches_the_status_object() -> None:
    causes = [fe.required("spec.selector")]
    assert validation.status_message("Deployment", "apps", "web", causes) == (
        'Deployment.apps "web" is invalid: spec.selector: Required value'
    )
