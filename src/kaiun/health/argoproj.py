"""Built-in health checks of ``argoproj.io`` kinds: Application (as a child) and Workflow."""

from __future__ import annotations

from kaiun.health import fields as f
from kaiun.health.fields import Obj
from kaiun.health.status import Health, HealthStatus, parse_status


def application(obj: Obj) -> Health:
    """Health of a child Application (app of apps): the health it reports for itself.

    Argo CD dropped this check in 1.8 and documents a Lua snippet to restore it; kaiun
    ships it built in so that sync waves over child apps work out of the box.
    """
    health = f.mapping(obj, "status", "health")
    status = parse_status(health.get("status"))
    if status is None:
        return Health(HealthStatus.PROGRESSING, "")
    return Health(status, f.text(health, "message"))


def workflow(obj: Obj) -> Health:
    """Health of an Argo Workflow from its phase."""
    phase = f.text(obj, "status", "phase")
    message = f.text(obj, "status", "message")
    if phase in ("", "Pending", "Running"):
        return Health(HealthStatus.PROGRESSING, message)
    if phase == "Succeeded":
        return Health(HealthStatus.HEALTHY, message)
    if phase in ("Failed", "Error"):
        return Health(HealthStatus.DEGRADED, message)
    return Health(HealthStatus.UNKNOWN, message)
