"""The table of built-in health checks, by API group and kind."""

from __future__ import annotations

from collections.abc import Callable

from kaiun.health import apiregistration, apps, argoproj, autoscaling, batch, core, networking
from kaiun.health.fields import Obj
from kaiun.health.status import Health

HealthCheck = Callable[[Obj], Health]

BUILTIN_CHECKS: dict[tuple[str, str], HealthCheck] = {
    ("apps", "Deployment"): apps.deployment,
    ("extensions", "Deployment"): apps.deployment,
    ("apps", "StatefulSet"): apps.stateful_set,
    ("apps", "DaemonSet"): apps.daemon_set,
    ("extensions", "DaemonSet"): apps.daemon_set,
    ("apps", "ReplicaSet"): apps.replica_set,
    ("extensions", "ReplicaSet"): apps.replica_set,
    ("", "Pod"): core.pod,
    ("", "Service"): core.service,
    ("", "PersistentVolumeClaim"): core.persistent_volume_claim,
    ("batch", "Job"): batch.job,
    ("batch", "CronJob"): batch.cron_job,
    ("networking.k8s.io", "Ingress"): networking.ingress,
    ("extensions", "Ingress"): networking.ingress,
    ("autoscaling", "HorizontalPodAutoscaler"): autoscaling.horizontal_pod_autoscaler,
    ("apiregistration.k8s.io", "APIService"): apiregistration.api_service,
    ("argoproj.io", "Application"): argoproj.application,
    ("argoproj.io", "Workflow"): argoproj.workflow,
}


def builtin_check(group: str, kind: str) -> HealthCheck | None:
    """The built-in check for a group and kind, or None when kaiun has none."""
    return BUILTIN_CHECKS.get((group, kind))
