"""Resource tracking: which Application owns a live object (Argo CD's three methods).

Names and formats follow Argo CD 3.x: the ``argocd.argoproj.io/tracking-id`` annotation
``<app>:<group>/<kind>:<namespace>/<name>`` (the default method since 3.0), the instance label
(``application.instanceLabelKey``, default ``app.kubernetes.io/instance``), or both.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

TRACKING_ID_ANNOTATION = "argocd.argoproj.io/tracking-id"
DEFAULT_INSTANCE_LABEL = "app.kubernetes.io/instance"
IGNORE_RESOURCE_UPDATES_ANNOTATION = "argocd.argoproj.io/ignore-resource-updates"
LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration"


class TrackingMethod(StrEnum):
    """``application.resourceTrackingMethod`` values of argocd-cm."""

    ANNOTATION = "annotation"
    LABEL = "label"
    ANNOTATION_AND_LABEL = "annotation+label"

    @classmethod
    def parse(cls, value: str | None) -> TrackingMethod:
        """Read an argocd-cm value; empty means the 3.x default (annotation)."""
        if not value:
            return cls.ANNOTATION
        return cls(value.strip())


@dataclass(frozen=True, slots=True)
class TrackingId:
    """The parts of an ``argocd.argoproj.io/tracking-id`` value."""

    app: str
    group: str
    kind: str
    namespace: str
    name: str

    def format(self) -> str:
        """Render as ``<app>:<group>/<kind>:<namespace>/<name>``."""
        return f"{self.app}:{self.group}/{self.kind}:{self.namespace}/{self.name}"


def parse_tracking_id(value: str) -> TrackingId | None:
    """Parse a tracking-id annotation value; ``None`` when it is malformed."""
    parts = value.split(":")
    if len(parts) != 3:
        return None
    app, group_kind, ns_name = parts
    if not app or "/" not in group_kind or "/" not in ns_name:
        return None
    group, _, kind = group_kind.partition("/")
    namespace, _, name = ns_name.partition("/")
    if not kind or not name:
        return None
    return TrackingId(app=app, group=group, kind=kind, namespace=namespace, name=name)


def tracking_id_for(app: str, obj: dict[str, Any]) -> TrackingId:
    """The tracking id Argo CD writes on ``obj`` when ``app`` applies it."""
    group, _, _version = str(obj.get("apiVersion", "")).rpartition("/")
    meta = obj.get("metadata") or {}
    return TrackingId(
        app=app,
        group=group,
        kind=str(obj.get("kind", "")),
        namespace=str(meta.get("namespace") or ""),
        name=str(meta.get("name", "")),
    )


def owning_app(
    obj: dict[str, Any],
    method: TrackingMethod = TrackingMethod.ANNOTATION,
    label_key: str = DEFAULT_INSTANCE_LABEL,
) -> str | None:
    """The Application that tracks ``obj`` under ``method``, or ``None``.

    With the annotation methods, a tracking id that names another object (a copied
    manifest) does not count, as in Argo CD.
    """
    meta = obj.get("metadata") or {}
    if method is TrackingMethod.LABEL:
        value = (meta.get("labels") or {}).get(label_key)
        return str(value) if value else None
    raw = (meta.get("annotations") or {}).get(TRACKING_ID_ANNOTATION)
    if not raw:
        return None
    parsed = parse_tracking_id(str(raw))
    if parsed is None or not _names_object(parsed, obj):
        return None
    return parsed.app


def _names_object(tid: TrackingId, obj: dict[str, Any]) -> bool:
    actual = tracking_id_for(tid.app, obj)
    # Cluster-scoped objects may carry an empty or any namespace part; compare what is there.
    same_ns = tid.namespace == actual.namespace or not actual.namespace
    return (
        tid.group == actual.group
        and tid.kind == actual.kind
        and tid.name == actual.name
        and same_ns
    )
