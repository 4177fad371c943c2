"""Built-in health checks of the ``apps`` group: Deployment, StatefulSet, DaemonSet, ReplicaSet.

The logic follows ``kubectl rollout status`` as Argo CD does, with Argo CD's messages.
"""

from __future__ import annotations

from kaiun.health import fields as f
from kaiun.health.fields import Obj
from kaiun.health.status import Health, HealthStatus

_P = HealthStatus.PROGRESSING


def deployment(obj: Obj) -> Health:
    """Health of a Deployment: paused, rolling out, stuck past its deadline, or available."""
    if f.mapping(obj, "spec").get("paused") is True:
        return Health(HealthStatus.SUSPENDED, "Deployment is paused")
    generation = f.integer(obj, "metadata", "generation")
    if generation > f.integer(obj, "status", "observedGeneration"):
        return Health(
            _P,
            # Argo CD's wording, typo included, so alerts matching on it keep working.
            "Waiting for rollout to finish: observed deployment generation less then desired "
            "generation",
        )
    cond = f.condition(obj, "Progressing")
    if cond is not None and cond.get("reason") == "ProgressDeadlineExceeded":
        name = f.text(obj, "metadata", "name")
        return Health(HealthStatus.DEGRADED, f'Deployment "{name}" exceeded its progress deadline')
    replicas = f.optional_int(obj, "spec", "replicas")
    updated = f.integer(obj, "status", "updatedReplicas")
    current = f.integer(obj, "status", "replicas")
    available = f.integer(obj, "status", "availableReplicas")
    if replicas is not None and updated < replicas:
        return Health(
            _P,
            f"Waiting for rollout to finish: {updated} out of {replicas} new replicas have been "
            "updated...",
        )
    if current > updated:
        return Health(
            _P,
            f"Waiting for rollout to finish: {current - updated} old replicas are pending "
            "termination...",
        )
    if available < updated:
        return Health(
            _P,
            f"Waiting for rollout to finish: {available} of {updated} updated replicas are "
            "available...",
        )
    return Health(HealthStatus.HEALTHY)


def stateful_set(obj: Obj) -> Health:
    """Health of a StatefulSet: observed, pods ready, partitioned or rolling update done."""
    observed = f.integer(obj, "status", "observedGeneration")
    if observed == 0 or f.integer(obj, "metadata", "generation") > observed:
        return Health(_P, "Waiting for statefulset spec update to be observed...")
    replicas = f.optional_int(obj, "spec", "replicas")
    ready = f.integer(obj, "status", "readyReplicas")
    updated = f.integer(obj, "status", "updatedReplicas")
    if replicas is not None and ready < replicas:
        return Health(_P, f"Waiting for {replicas - ready} pods to be ready...")
    strategy = f.mapping(obj, "spec", "updateStrategy")
    strategy_type = strategy.get("type", "RollingUpdate")
    rolling = strategy.get("rollingUpdate")
    if strategy_type == "RollingUpdate" and isinstance(rolling, dict):
        partition = f.optional_int(rolling, "partition")
        if replicas is not None and partition is not None and updated < replicas - partition:
            return Health(
                _P,
                "Waiting for partitioned roll out to finish: "
                f"{updated} out of {replicas - partition} new pods have been updated...",
            )
        return Health(
            HealthStatus.HEALTHY,
            f"partitioned roll out complete: {updated} new pods have been updated...",
        )
    if strategy_type == "OnDelete":
        return Health(HealthStatus.HEALTHY, f"statefulset has {ready} ready pods")
    update_rev = f.text(obj, "status", "updateRevision")
    current_rev = f.text(obj, "status", "currentRevision")
    if update_rev != current_rev:
        return Health(
            _P,
            f"waiting for statefulset rolling update to complete {updated} pods at revision "
            f"{update_rev}...",
        )
    current = f.integer(obj, "status", "currentReplicas")
    return Health(
        HealthStatus.HEALTHY,
        f"statefulset rolling update complete {current} pods at revision {current_rev}...",
    )


def daemon_set(obj: Obj) -> Health:
    """Health of a DaemonSet: every scheduled node runs an updated, available pod."""
    observed = f.integer(obj, "status", "observedGeneration")
    if observed == 0 or f.integer(obj, "metadata", "generation") > observed:
        return Health(
            _P,
            "Waiting for rollout to finish: observed daemon set generation less than desired "
            "generation",
        )
    name = f.text(obj, "metadata", "name")
    desired = f.integer(obj, "status", "desiredNumberScheduled")
    updated = f.integer(obj, "status", "updatedNumberScheduled")
    available = f.integer(obj, "status", "numberAvailable")
    if f.mapping(obj, "spec", "updateStrategy").get("type") == "OnDelete":
        return Health(
            HealthStatus.HEALTHY,
            f"daemon set {updated} out of {desired} new pods have been updated",
        )
    if updated < desired:
        return Health(
            _P,
            f'Waiting for daemon set "{name}" rollout to finish: {updated} out of {desired} new '
            "pods have been updated...",
        )
    if available < desired:
        return Health(
            _P,
            f'Waiting for daemon set "{name}" rollout to finish: {available} of {desired} updated '
            "pods are available...",
        )
    return Health(HealthStatus.HEALTHY)


def replica_set(obj: Obj) -> Health:
    """Health of a ReplicaSet: failure condition, or all replicas available."""
    if f.integer(obj, "metadata", "generation") > f.integer(obj, "status", "observedGeneration"):
        return Health(
            _P,
            "Waiting for rollout to finish: observed replica set generation less than desired "
            "generation",
        )
    cond = f.condition(obj, "ReplicaFailure")
    if cond is not None and cond.get("status") == "True":
        return Health(HealthStatus.DEGRADED, str(cond.get("message", "")))
    replicas = f.optional_int(obj, "spec", "replicas")
    available = f.integer(obj, "status", "availableReplicas")
    if replicas is not None and available < replicas:
        return Health(
            _P,
            f"Waiting for rollout to finish: {available} out of {replicas} new replicas are "
            "available...",
        )
    return Health(HealthStatus.HEALTHY)
