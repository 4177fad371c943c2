"""Built-in health check of HorizontalPodAutoscaler (``autoscaling`` v1, v2)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from kaiun.health import fields as f
from kaiun.health.fields import Obj
from kaiun.health.status import Health, HealthStatus

# autoscaling/v1 keeps its conditions in this annotation as a JSON list.
V1_CONDITIONS = "autoscaling.alpha.kubernetes.io/conditions"

_DEGRADED = {
    ("AbleToScale", "False", "FailedGetScale"),
    ("AbleToScale", "False", "FailedUpdateScale"),
    ("ScalingActive", "False", "FailedGetResourceMetric"),
    ("ScalingActive", "False", "InvalidSelector"),
}
_HEALTHY = {
    ("AbleToScale", "True", "SucceededRescale"),
    ("ScalingLimited", "True", "DesiredWithinRange"),
    ("ScalingLimited", "True", "TooFewReplicas"),
    ("ScalingLimited", "True", "TooManyReplicas"),
}


def _conditions(obj: Obj) -> list[Mapping[str, Any]]:
    conditions = f.items(obj, "status", "conditions")
    if conditions:
        return conditions
    raw = f.mapping(obj, "metadata", "annotations").get(V1_CONDITIONS)
    if not isinstance(raw, str):
        return []
    try:
        parsed = json.loads(raw)
    except ValueError:
        return []
    return [c for c in parsed if isinstance(c, Mapping)] if isinstance(parsed, list) else []


def horizontal_pod_autoscaler(obj: Obj) -> Health:
    """Health of an HPA from its scaling conditions."""
    for cond in _conditions(obj):
        key = (cond.get("type"), cond.get("status"), cond.get("reason"))
        if key in _DEGRADED:
            return Health(HealthStatus.DEGRADED, str(cond.get("message", "")))
        if key in _HEALTHY:
            return Health(HealthStatus.HEALTHY, str(cond.get("message", "")))
    return Health(HealthStatus.PROGRESSING, "Waiting to Autoscale")
