"""Tracking ids and the three tracking methods."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaiun.model import tracking
from kaiun.model.tracking import TrackingId, TrackingMethod

DEPLOY = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "prod"},
}


def _with(obj: dict[str, Any], *, labels: Any = None, annotations: Any = None) -> dict[str, Any]:
    meta = dict(obj["metadata"])
    if labels is not None:
        meta["labels"] = labels
    if annotations is not None:
        meta["annotations"] = annotations
    return {**obj, "metadata": meta}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("app:apps/Deployment:prod/web", TrackingId("app", "apps", "Deployment", "prod", "web")),
        ("app:/ConfigMap:prod/cm", TrackingId("app", "", "ConfigMap", "prod", "cm")),
        ("app:/Namespace:/prod", TrackingId("app", "", "Namespace", "", "prod")),
        ("argocd_app:/Service:ns/s", TrackingId("argocd_app", "", "Service", "ns", "s")),
        ("app", None),
        ("app:apps/Deployment", None),
        (":apps/Deployment:prod/web", None),
        ("app:Deployment:prod/web", None),
        ("app:apps/:prod/web", None),
        ("app:apps/Deployment:prod/", None),
        ("a:b:c:d", None),
    ],
)
def test_parse_tracking_id(value: str, expected: TrackingId | None) -> None:
    assert tracking.parse_tracking_id(value) == expected


names = st.from_regex(r"[a-z0-9]([a-z0-9.-]{0,10}[a-z0-9])?", fullmatch=True)


@given(app=names, group=st.one_of(st.just(""), names), kind=names, ns=names, name=names)
def test_format_parse_round_trip(app: str, group: str, kind: str, ns: str, name: str) -> None:
    tid = TrackingId(app, group, kind, ns, name)
    assert tracking.parse_tracking_id(tid.format()) == tid


def test_tracking_id_for_object() -> None:
    assert tracking.tracking_id_for("a", DEPLOY).format() == "a:apps/Deployment:prod/web"


@pytest.mark.parametrize(
    ("method", "labels", "annotations", "expected"),
    [
        ("annotation", None, {"argocd.argoproj.io/tracking-id": "a:apps/Deployment:prod/web"}, "a"),
        ("annotation", {"app.kubernetes.io/instance": "a"}, None, None),
        # A tracking id copied from another object does not count.
        ("annotation", None, {"argocd.argoproj.io/tracking-id": "a:apps/Deployment:prod/x"}, None),
        ("annotation", None, {"argocd.argoproj.io/tracking-id": "garbage"}, None),
        ("label", {"app.kubernetes.io/instance": "a"}, None, "a"),
        ("label", None, {"argocd.argoproj.io/tracking-id": "a:apps/Deployment:prod/web"}, None),
        (
            "annotation+label",
            {"app.kubernetes.io/instance": "a"},
            {"argocd.argoproj.io/tracking-id": "b:apps/Deployment:prod/web"},
            "b",
        ),
        ("annotation+label", {"app.kubernetes.io/instance": "a"}, None, None),
    ],
)
def test_owning_app(method: str, labels: Any, annotations: Any, expected: str | None) -> None:
    obj = _with(DEPLOY, labels=labels, annotations=annotations)
    assert tracking.owning_app(obj, TrackingMethod.parse(method)) == expected


def test_custom_instance_label() -> None:
    obj = _with(DEPLOY, labels={"argocd.argoproj.io/instance": "a"})
    assert tracking.owning_app(obj, TrackingMethod.LABEL, "argocd.argoproj.io/instance") == "a"
    assert tracking.owning_app(obj, TrackingMethod.LABEL) is None


def test_cluster_scoped_object_with_empty_namespace_part() -> None:
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prod"}}
    obj = _with(ns, annotations={"argocd.argoproj.io/tracking-id": "a:/Namespace:/prod"})
    assert tracking.owning_app(obj) == "a"


def test_default_method_is_annotation() -> None:
    assert TrackingMethod.parse(None) is TrackingMethod.ANNOTATION
    assert TrackingMethod.parse("") is TrackingMethod.ANNOTATION
    with pytest.raises(ValueError):
        TrackingMethod.parse("labels")
