"""Deployment rollout arithmetic: how far to scale the new and old ReplicaSets this step.

Pure functions over replica counts, following the documented semantics of the
RollingUpdate strategy (``maxSurge`` rounds up, ``maxUnavailable`` rounds down, both zero
means one may be unavailable) and of the Deployment status conditions.
"""

from __future__ import annotations

from dataclasses import dataclass

from kaiun.localcluster.workloads.api import Obj, int_or_percent

REVISION = "deployment.kubernetes.io/revision"
DESIRED = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
HASH = "pod-template-hash"


@dataclass(frozen=True)
class Limits:
    desired: int
    surge: int
    unavailable: int

    @property
    def min_available(self) -> int:
        return max(self.desired - self.unavailable, 0)


def limits(deploy: Obj) -> Limits:
    """Desired replicas and the rolling-update bounds of a Deployment."""
    spec = deploy.get("spec") or {}
    desired = int(spec.get("replicas", 1))
    strategy = spec.get("strategy") or {}
    if strategy.get("type", "RollingUpdate") == "Recreate":
        return Limits(desired, 0, desired)
    ru = strategy.get("rollingUpdate") or {}
    surge = int_or_percent(ru.get("maxSurge", "25%"), desired, round_up=True)
    unavailable = int_or_percent(ru.get("maxUnavailable", "25%"), desired, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return Limits(desired, surge, min(unavailable, desired))


def rs_replicas(rs: Obj) -> int:
    return int((rs.get("spec") or {}).get("replicas", 0))


def rs_status(rs: Obj, field: str) -> int:
    return int((rs.get("status") or {}).get(field, 0))


def rs_available(rs: Obj) -> int:
    """Available pods that will stay: pods beyond a just-lowered spec are about to go."""
    return min(rs_status(rs, "availableReplicas"), rs_replicas(rs))


def new_rs_target(lim: Limits, new: Obj | None, olds: list[Obj]) -> int:
    """Replicas the new ReplicaSet may have now, within ``desired + maxSurge`` pods."""
    current = rs_replicas(new) if new else 0
    if current >= lim.desired:
        return lim.desired
    total = current + sum(rs_replicas(o) for o in olds)
    room = lim.desired + lim.surge - total
    if room <= 0:
        return current
    return min(lim.desired, current + room)


def old_scale_down(lim: Limits, new: Obj | None, olds: list[Obj]) -> dict[str, int]:
    """New replica counts for old ReplicaSets, keeping ``desired - maxUnavailable`` available.

    Unhealthy old pods go first (they do not count as available anyway), then healthy ones,
    oldest ReplicaSet first.
    """
    everything = ([new] if new else []) + olds
    all_pods = sum(rs_status(r, "replicas") for r in everything)
    new_unavailable = (rs_replicas(new) - rs_available(new)) if new else 0
    budget = all_pods - lim.min_available - max(new_unavailable, 0)
    out: dict[str, int] = {}
    for old in olds:
        if budget <= 0:
            break
        unhealthy = rs_replicas(old) - rs_available(old)
        cut = min(unhealthy, budget)
        if cut:
            out[old["metadata"]["name"]] = rs_replicas(old) - cut
            budget -= cut
    available = sum(rs_available(r) for r in everything)
    budget = available - lim.min_available
    for old in olds:
        if budget <= 0:
            break
        current = out.get(old["metadata"]["name"], rs_replicas(old))
        healthy = min(current, rs_available(old))
        cut = min(healthy, budget)
        if cut:
            out[old["metadata"]["name"]] = current - cut
            budget -= cut
    return out


def progressed(old: Obj, new: Obj) -> bool:
    """Whether a status change counts as rollout progress (for the progress deadline)."""
    for field in ("updatedReplicas", "readyReplicas", "availableReplicas"):
        if int(new.get(field, 0)) > int(old.get(field, 0)):
            return True
    old_stale = int(old.get("replicas", 0)) - int(old.get("updatedReplicas", 0))
    new_stale = int(new.get("replicas", 0)) - int(new.get("updatedReplicas", 0))
    return new_stale < old_stale


def complete(lim: Limits, status: Obj) -> bool:
    return (
        int(status.get("updatedReplicas", 0)) == lim.desired
        and int(status.get("replicas", 0)) == lim.desired
        and int(status.get("availableReplicas", 0)) == lim.desired
    )


def revision(rs: Obj) -> int:
    ann = (rs.get("metadata") or {}).get("annotations") or {}
    try:
        return int(ann.get(REVISION, 0))
    except ValueError:
        return 0
