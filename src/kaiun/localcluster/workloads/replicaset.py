"""ReplicaSet controller: keeps ``spec.replicas`` pods of the template alive.

Pods are created with generated names and a controller reference; surplus pods go
not-ready first, then newest first, as the real controller prefers. Status counts
replicas, ready and available pods (ready for ``minReadySeconds``).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable

from kaiun.localcluster.watchlog import WatchEvent
from kaiun.localcluster.workloads.api import (
    CONTROLLER_MANAGER,
    POD,
    REPLICASET,
    Api,
    Key,
    Obj,
    alive,
    condition,
    labels,
    owner_ref,
    raw_controller,
    since,
    skey,
)
from kaiun.localcluster.workloads.events import Recorder
from kaiun.localcluster.workloads.reconciler import Reconciler


def pod_from_template(owner: Obj, template: Obj, *, name: str = "") -> Obj:
    """A pod for ``owner`` from a pod template (labels, annotations, spec, owner ref)."""
    tmeta = template.get("metadata") or {}
    meta: Obj = {"namespace": owner["metadata"].get("namespace", "")}
    if name:
        meta["name"] = name
    else:
        meta["generateName"] = f"{owner['metadata']['name']}-"
    if tmeta.get("labels"):
        meta["labels"] = dict(tmeta["labels"])
    if tmeta.get("annotations"):
        meta["annotations"] = dict(tmeta["annotations"])
    meta["ownerReferences"] = [owner_ref(owner)]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": copy.deepcopy(template.get("spec") or {}),
    }


def is_ready(pod: Obj) -> bool:
    """The pod's Ready condition is True."""
    cond = condition(pod.get("status") or {}, "Ready")
    return bool(cond and cond.get("status") == "True")


def is_available(pod: Obj, min_ready: int) -> bool:
    """Ready for at least ``min_ready`` seconds."""
    if not is_ready(pod):
        return False
    if min_ready <= 0:
        return True
    cond = condition(pod.get("status") or {}, "Ready") or {}
    return since(cond.get("lastTransitionTime")) >= min_ready


def is_active(pod: Obj) -> bool:
    """Neither being deleted nor finished (Succeeded/Failed)."""
    phase = (pod.get("status") or {}).get("phase")
    return alive(pod) and phase not in ("Succeeded", "Failed")


def owner_keys(ev: WatchEvent, kind: str) -> list[Key]:
    """The key of the ``kind`` controlling the object in a watch event, if any."""
    ref = raw_controller(ev.raw)
    if ref and ref.get("kind") == kind:
        return [(ev.ns, str(ref.get("name", "")))]
    return []


class ReplicaSetController(Reconciler):
    """Creates and deletes pods to match each ReplicaSet's replica count."""

    primary = skey(REPLICASET)

    def __init__(self, api: Api) -> None:
        super().__init__(api)
        self.events = Recorder(api, "replicaset-controller")

    def keys_for(self, ev: WatchEvent) -> Iterable[Key]:
        if ev.skey == skey(POD):
            return owner_keys(ev, "ReplicaSet")
        return super().keys_for(ev)

    def reconcile(self, ns: str, name: str) -> float | None:
        rs = self.api.get(REPLICASET, ns, name)
        if rs is None or not alive(rs):
            return None
        spec = rs.get("spec") or {}
        want = int(spec.get("replicas", 1))
        pods = [p for p in self.api.owned(POD, ns, rs["metadata"]["uid"]) if is_active(p)]
        if len(pods) < want:
            for _ in range(want - len(pods)):
                pod = pod_from_template(rs, spec.get("template") or {})
                created = self.api.create(POD, pod, CONTROLLER_MANAGER)
                if created is None:
                    break
                pods.append(created)
                self.events.emit(
                    rs, "Normal", "SuccessfulCreate", f"Created pod: {created['metadata']['name']}"
                )
        elif len(pods) > want:
            # Not-ready pods go first, then the newest.
            pods.sort(key=lambda p: (is_ready(p), p["metadata"].get("creationTimestamp", "")))
            doomed, pods = pods[: len(pods) - want], pods[len(pods) - want :]
            for pod in doomed:
                if self.api.delete(POD, ns, pod["metadata"]["name"]):
                    self.events.emit(
                        rs, "Normal", "SuccessfulDelete", f"Deleted pod: {pod['metadata']['name']}"
                    )
        return self._status(rs, pods)

    def _status(self, rs: Obj, pods: list[Obj]) -> float | None:
        spec = rs.get("spec") or {}
        min_ready = int(spec.get("minReadySeconds", 0) or 0)
        tmpl_labels = labels(spec.get("template") or {})
        ready = sum(1 for p in pods if is_ready(p))
        available = sum(1 for p in pods if is_available(p, min_ready))
        status: Obj = {
            "replicas": len(pods),
            "fullyLabeledReplicas": sum(
                1 for p in pods if tmpl_labels.items() <= labels(p).items()
            ),
            "observedGeneration": rs["metadata"].get("generation", 1),
        }
        if ready:
            status["readyReplicas"] = ready
        if available:
            status["availableReplicas"] = available
        self.api.update_status(REPLICASET, rs, status, CONTROLLER_MANAGER)
        return 1.0 if available < ready else None
