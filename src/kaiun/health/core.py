"""Built-in health checks of the core group: Pod, Service, PersistentVolumeClaim."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kaiun.health import fields as f
from kaiun.health.fields import Obj
from kaiun.health.status import Health, HealthStatus

IGNORE_RESTART_POLICY = "argocd.argoproj.io/ignore-restart-policy"


def _restart_policy(obj: Obj) -> str:
    if f.mapping(obj, "metadata", "annotations").get(IGNORE_RESTART_POLICY) == "true":
        return "Always"
    return f.text(obj, "spec", "restartPolicy") or "Always"


def _waiting_failure(statuses: list[Mapping[str, Any]]) -> list[str]:
    messages = []
    for status in statuses:
        waiting = f.mapping(status, "state", "waiting")
        reason = str(waiting.get("reason", ""))
        if waiting and (
            reason.startswith("Err") or reason.endswith("Error") or reason.endswith("BackOff")
        ):
            messages.append(str(waiting.get("message", "")))
    return messages


def _fail_message(status: Mapping[str, Any]) -> str:
    terminated = f.mapping(status, "state", "terminated")
    if not terminated:
        return ""
    if terminated.get("message"):
        return str(terminated["message"])
    if terminated.get("reason") == "OOMKilled":
        return "OOMKilled"
    code = f.integer(terminated, "exitCode")
    if code != 0:
        return f'container "{status.get("name", "")}" failed with exit code {code}'
    return ""


def _is_ready(obj: Obj) -> bool:
    cond = f.condition(obj, "Ready")
    return cond is not None and cond.get("status") == "True"


def pod(obj: Obj) -> Health:
    """Health of a Pod from its phase, readiness and container states."""
    policy = _restart_policy(obj)
    containers = f.items(obj, "status", "containerStatuses")
    message = f.text(obj, "status", "message")
    if policy == "Always":
        # Only long-running pods: hook pods in back-off may still recover.
        failures = _waiting_failure(containers)
        if failures:
            return Health(HealthStatus.DEGRADED, ", ".join(failures))
    phase = f.text(obj, "status", "phase")
    if phase == "Pending":
        return Health(HealthStatus.PROGRESSING, message)
    if phase == "Succeeded":
        return Health(HealthStatus.HEALTHY, message)
    if phase == "Failed":
        if message:
            return Health(HealthStatus.DEGRADED, message)
        for status in f.items(obj, "status", "initContainerStatuses") + containers:
            fail = _fail_message(status)
            if fail:
                return Health(HealthStatus.DEGRADED, fail)
        return Health(HealthStatus.DEGRADED, "")
    if phase == "Running":
        if policy != "Always":
            # Finite pods (typically hooks) are Progressing until they finish.
            return Health(HealthStatus.PROGRESSING, message)
        if _is_ready(obj):
            return Health(HealthStatus.HEALTHY, message)
        if any(f.mapping(c, "lastState", "terminated") for c in containers):
            return Health(HealthStatus.DEGRADED, message)
        return Health(HealthStatus.PROGRESSING, message)
    return Health(HealthStatus.UNKNOWN, message)


def service(obj: Obj) -> Health:
    """Health of a Service: a LoadBalancer is Progressing until it has an address."""
    if f.text(obj, "spec", "type") != "LoadBalancer":
        return Health(HealthStatus.HEALTHY)
    if f.items(obj, "status", "loadBalancer", "ingress"):
        return Health(HealthStatus.HEALTHY)
    return Health(HealthStatus.PROGRESSING)


def persistent_volume_claim(obj: Obj) -> Health:
    """Health of a PersistentVolumeClaim from its phase."""
    phase = f.text(obj, "status", "phase")
    if phase == "Bound":
        return Health(HealthStatus.HEALTHY)
    if phase == "Pending":
        return Health(HealthStatus.PROGRESSING)
    if phase == "Lost":
        return Health(HealthStatus.DEGRADED)
    return Health(HealthStatus.UNKNOWN)
