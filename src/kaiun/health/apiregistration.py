"""Built-in health check of APIService (``apiregistration.k8s.io``)."""

from __future__ import annotations

from kaiun.health import fields as f
from kaiun.health.fields import Obj
from kaiun.health.status import Health, HealthStatus


def api_service(obj: Obj) -> Health:
    """Health of an APIService: Healthy once its Available condition is True."""
    cond = f.condition(obj, "Available")
    if cond is None:
        return Health(HealthStatus.PROGRESSING, "Waiting to be processed")
    message = f"{cond.get('reason', '')}: {cond.get('message', '')}"
    if cond.get("status") == "True":
        return Health(HealthStatus.HEALTHY, message)
    return Health(HealthStatus.PROGRESSING, message)
