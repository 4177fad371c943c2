"""DaemonSet controller: one pod on the one node (if its nodeSelector matches).

The pod is pinned with node affinity, as the real controller does, and the scheduler binds
it. A template change replaces the pod under RollingUpdate; OnDelete leaves it alone.
"""

from __future__ import annotations

from collections.abc import Iterable

from kaiun.localcluster.watchlog import WatchEvent
from kaiun.localcluster.workloads import revisions
from kaiun.localcluster.workloads.api import (
    CONTROLLER_MANAGER,
    DAEMONSET,
    NODE,
    NODE_NAME,
    POD,
    Api,
    Key,
    Obj,
    alive,
    labels,
    skey,
)
from kaiun.localcluster.workloads.events import Recorder
from kaiun.localcluster.workloads.reconciler import Reconciler
from kaiun.localcluster.workloads.replicaset import (
    is_active,
    is_available,
    is_ready,
    owner_keys,
    pod_from_template,
)

_AFFINITY = {
    "nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [
                {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [NODE_NAME]}]}
            ]
        }
    }
}


class DaemonSetController(Reconciler):
    """Runs one pod per DaemonSet on the simulated node."""

    primary = skey(DAEMONSET)

    def __init__(self, api: Api) -> None:
        super().__init__(api)
        self.events = Recorder(api, "daemonset-controller")

    def keys_for(self, ev: WatchEvent) -> Iterable[Key]:
        if ev.skey == skey(POD):
            return owner_keys(ev, "DaemonSet")
        return super().keys_for(ev)

    def _fits(self, ds: Obj) -> bool:
        selector = ((ds.get("spec") or {}).get("template") or {}).get("spec", {}).get(
            "nodeSelector"
        ) or {}
        node = self.api.get(NODE, "", NODE_NAME)
        node_labels = labels(node) if node else {}
        return all(node_labels.get(k) == v for k, v in selector.items())

    def reconcile(self, ns: str, name: str) -> float | None:
        ds = self.api.get(DAEMONSET, ns, name)
        if ds is None or not alive(ds):
            return None
        rev = revisions.ensure(self.api, ds)
        pods = [p for p in self.api.owned(POD, ns, ds["metadata"]["uid"]) if is_active(p)]
        desired = 1 if self._fits(ds) else 0
        strategy = ((ds.get("spec") or {}).get("updateStrategy") or {}).get("type")
        for pod in pods[desired:]:
            self._delete(ds, pod)
        pods = pods[:desired]
        if pods and strategy != "OnDelete" and labels(pods[0]).get(revisions.HASH_LABEL) != rev:
            self._delete(ds, pods.pop())
        if desired and not pods:
            pod = pod_from_template(ds, (ds.get("spec") or {}).get("template") or {})
            pod["metadata"].setdefault("labels", {}).update(
                {
                    revisions.HASH_LABEL: rev,
                    "pod-template-generation": str(ds["metadata"].get("generation", 1)),
                }
            )
            pod["spec"]["affinity"] = _AFFINITY
            created = self.api.create(POD, pod, CONTROLLER_MANAGER)
            if created is not None:
                pods.append(created)
                self.events.emit(
                    ds, "Normal", "SuccessfulCreate", f"Created pod: {created['metadata']['name']}"
                )
        return self._status(ds, pods, desired, rev)

    def _delete(self, ds: Obj, pod: Obj) -> None:
        meta = pod["metadata"]
        if self.api.delete(POD, meta.get("namespace", ""), meta["name"]):
            self.events.emit(ds, "Normal", "SuccessfulDelete", f"Deleted pod: {meta['name']}")

    def _status(self, ds: Obj, pods: list[Obj], desired: int, rev: str) -> float | None:
        min_ready = int((ds.get("spec") or {}).get("minReadySeconds", 0) or 0)
        scheduled = [p for p in pods if (p.get("spec") or {}).get("nodeName")]
        available = sum(1 for p in pods if is_available(p, min_ready))
        status: Obj = {
            "currentNumberScheduled": len(scheduled),
            "desiredNumberScheduled": desired,
            "numberMisscheduled": 0,
            "numberReady": sum(1 for p in pods if is_ready(p)),
            "observedGeneration": ds["metadata"].get("generation", 1),
            "updatedNumberScheduled": sum(
                1 for p in scheduled if labels(p).get(revisions.HASH_LABEL) == rev
            ),
        }
        if available:
            status["numberAvailable"] = available
        if desired - available > 0:
            status["numberUnavailable"] = desired - available
        self.api.update_status(DAEMONSET, ds, status, CONTROLLER_MANAGER)
        return 1.0 if available < status["numberReady"] else None
