"""Built-in health check of Ingress (``networking.k8s.io`` and ``extensions``)."""

from __future__ import annotations

from kaiun.health import fields as f
from kaiun.health.fields import Obj
from kaiun.health.status import Health, HealthStatus


def ingress(obj: Obj) -> Health:
    """Health of an Ingress: Progressing until the controller assigns it an address."""
    if f.items(obj, "status", "loadBalancer", "ingress"):
        return Health(HealthStatus.HEALTHY)
    return Health(HealthStatus.PROGRESSING)
