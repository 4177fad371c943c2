"""The field manager's public surface: errors the server turns into Status, properties."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaiun.localcluster import fieldmanager, fieldpaths, schema
from kaiun.localcluster.jsonvalue import deep_copy

NOW = "2026-01-01T00:00:00Z"


def _deployment(replicas: int, image: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": replicas,
            "template": {"spec": {"containers": [{"name": "app", "image": image}]}},
        },
    }


def _apply(
    live: dict[str, Any] | None, config: dict[str, Any], manager: str, **kw: Any
) -> dict[str, Any]:
    return fieldmanager.apply(
        live,
        config,
        manager=manager,
        now=NOW,
        group="apps",
        kind="Deployment",
        force=kw.pop("force", False),
        **kw,
    )


def test_conflict_carries_causes_for_the_status() -> None:
    live = _apply(None, _deployment(1, "a"), "alice")
    with pytest.raises(fieldmanager.ApplyConflictError) as caught:
        _apply(live, _deployment(2, "b"), "bob")
    error = caught.value
    assert (error.code, error.reason) == (409, "Conflict")
    assert error.causes == [
        {
            "type": "FieldManagerConflict",
            "message": 'conflict with "alice"',
            "field": ".spec.replicas",
        },
        {
            "type": "FieldManagerConflict",
            "message": 'conflict with "alice"',
            "field": '.spec.template.spec.containers[name="app"].image',
        },
    ]


def test_subresource_updater_is_named_with_its_subresource() -> None:
    live = fieldmanager.record_update(
        None,
        _deployment(1, "a"),
        manager="scaler",
        now=NOW,
        group="apps",
        kind="Deployment",
        subresource="scale",
    )
    with pytest.raises(fieldmanager.ApplyConflictError) as caught:
        _apply(live, _deployment(3, "a"), "alice")
    assert caught.value.message == (
        'Apply failed with 1 conflict: conflict with "scaler" with subresource "scale" '
        "using apps/v1: .spec.replicas"
    )


def test_managed_fields_entries_decode_and_encode_unchanged() -> None:
    live = _apply(None, _deployment(1, "a"), "alice")
    live = fieldmanager.record_update(
        live,
        _deployment(2, "a") | {"metadata": live["metadata"]},
        manager="hpa",
        now="2026-01-02T00:00:00Z",
        group="apps",
        kind="Deployment",
    )
    encoded = live["metadata"]["managedFields"]
    assert fieldmanager.encode_managed_fields(fieldmanager.decode_managed_fields(live)) == encoded
    assert [(e["manager"], e["operation"], e["time"]) for e in encoded] == [
        ("alice", "Apply", NOW),
        ("hpa", "Update", "2026-01-02T00:00:00Z"),
    ]


def test_apply_requires_a_manager() -> None:
    with pytest.raises(fieldmanager.ApplyError) as caught:
        _apply(None, _deployment(1, "a"), "")
    assert caught.value.code == 400


NAMES = st.sampled_from(["a", "b", "c"])
CONTAINERS = st.lists(
    st.fixed_dictionaries(
        {"name": NAMES, "image": st.sampled_from(["x:1", "y:2"])},
        optional={"args": st.lists(st.text(max_size=2), max_size=2)},
    ),
    max_size=3,
    unique_by=lambda c: c["name"],
)
LABELS = st.dictionaries(NAMES, st.sampled_from(["1", "2"]), max_size=3)


@st.composite
def configs(draw: st.DrawFn) -> dict[str, Any]:
    config: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": draw(LABELS)},
    }
    spec: dict[str, Any] = {"template": {"spec": {"containers": draw(CONTAINERS)}}}
    if draw(st.booleans()):
        spec["replicas"] = draw(st.integers(0, 3))
    config["spec"] = spec
    return config


@settings(max_examples=100, deadline=None)
@given(configs(), configs())
def test_a_sole_applier_ends_with_exactly_its_configuration(
    first: dict[str, Any], second: dict[str, Any]
) -> None:
    live = _apply(None, first, "alice")
    again = _apply(live, deep_copy(first), "alice")
    assert again == live, "re-applying the same configuration is a no-op"
    final = _apply(live, second, "alice")
    final["metadata"].pop("managedFields", None)
    expected = deep_copy(second)
    # Emptied maps and lists stay behind as empty values, as in Kubernetes.
    assert _drop_empty(final) == _drop_empty(expected)


@settings(max_examples=100, deadline=None)
@given(configs(), configs())
def test_force_apply_always_yields_the_forced_values(
    first: dict[str, Any], second: dict[str, Any]
) -> None:
    live = _apply(None, first, "alice")
    final = _apply(live, second, "bob", force=True)
    for container in second["spec"]["template"]["spec"]["containers"]:
        got = next(
            c
            for c in final["spec"]["template"]["spec"]["containers"]
            if c["name"] == container["name"]
        )
        assert got["image"] == container["image"]
    for key, value in second["metadata"]["labels"].items():
        assert final["metadata"]["labels"][key] == value
    if "replicas" in second["spec"]:
        assert final["spec"]["replicas"] == second["spec"]["replicas"]


def _drop_empty(value: Any) -> Any:
    if isinstance(value, dict):
        out = {k: _drop_empty(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in ({}, [])}
    if isinstance(value, list):
        return [_drop_empty(v) for v in value]
    return value


def _resolves(obj: Any, path: tuple[str, ...]) -> bool:
    """Whether a FieldsV1 path names something present in ``obj`` (Deployment schema)."""
    node = schema.builtin_schema("apps", "Deployment").root
    current: Any = obj
    for token in path:
        if token.startswith("f:"):
            if not isinstance(current, dict) or token[2:] not in current:
                return False
            current = current[token[2:]]
            node = node.child(token[2:]) if node is not None else None
            continue
        spec = node.spec if node is not None else schema.DEFAULT_SPEC
        items = current if isinstance(current, list) else []
        match = [x for i, x in enumerate(items) if fieldpaths.item_token(x, spec, i) == token]
        if not match:
            return False
        current = match[0]
    return True


STEPS = st.lists(
    st.tuples(st.sampled_from(["alice", "bob", "hpa"]), st.booleans(), configs()),
    min_size=1,
    max_size=5,
)


@settings(max_examples=60, deadline=None)
@given(STEPS)
def test_every_owned_field_exists_after_any_history(
    steps: list[tuple[str, bool, dict[str, Any]]],
) -> None:
    live: dict[str, Any] | None = None
    for manager, as_apply, config in steps:
        if as_apply or live is None:
            live = _apply(live, config, manager, force=True)
        else:
            new = deep_copy(live)
            new["spec"] = deep_copy(config["spec"])
            live = fieldmanager.record_update(
                live, new, manager=manager, now=NOW, group="apps", kind="Deployment"
            )
        for entry in fieldmanager.decode_managed_fields(live):
            missing = [p for p in entry.fields if not _resolves(live, p)]
            assert not missing, f"{entry.manager} owns absent fields {missing}"


def test_conflict_renders_the_kubernetes_status() -> None:
    live = _apply(None, _deployment(1, "a"), "alice")
    with pytest.raises(fieldmanager.ApplyConflictError) as caught:
        _apply(live, _deployment(2, "a"), "bob")
    assert caught.value.status() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'Apply failed with 1 conflict: conflict with "alice": .spec.replicas',
        "reason": "Conflict",
        "details": {
            "causes": [
                {
                    "type": "FieldManagerConflict",
                    "message": 'conflict with "alice"',
                    "field": ".spec.replicas",
                }
            ]
        },
        "code": 409,
    }
