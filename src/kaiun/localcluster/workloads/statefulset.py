"""StatefulSet controller: ordered pods ``<name>-0..n-1``, their claims, rolling updates.

With ``OrderedReady`` (the default) pod *i* is created only once pods 0..i-1 are Ready and
scale-down removes the highest ordinal first; ``Parallel`` creates them all at once. Each
pod gets a PVC per ``volumeClaimTemplates`` entry (``<template>-<name>-<i>``). A template
change makes a new revision; RollingUpdate replaces pods from the highest ordinal down
(respecting ``partition``), one at a time, each after the rest are Ready.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable

from kaiun.localcluster.watchlog import WatchEvent
from kaiun.localcluster.workloads import revisions
from kaiun.localcluster.workloads.api import (
    CONTROLLER_MANAGER,
    POD,
    PVC,
    STATEFULSET,
    Api,
    Key,
    Obj,
    alive,
    labels,
    owner_ref,
    skey,
)
from kaiun.localcluster.workloads.events import Recorder
from kaiun.localcluster.workloads.reconciler import Reconciler
from kaiun.localcluster.workloads.replicaset import (
    is_available,
    is_ready,
    owner_keys,
    pod_from_template,
)


def ordinal(sts_name: str, pod_name: str) -> int:
    suffix = pod_name[len(sts_name) + 1 :]
    return int(suffix) if pod_name.startswith(sts_name + "-") and suffix.isdigit() else -1


class StatefulSetController(Reconciler):
    """Keeps each StatefulSet's ordered pods and claims."""

    primary = skey(STATEFULSET)

    def __init__(self, api: Api) -> None:
        super().__init__(api)
        self.events = Recorder(api, "statefulset-controller")

    def keys_for(self, ev: WatchEvent) -> Iterable[Key]:
        if ev.skey == skey(POD):
            return owner_keys(ev, "StatefulSet")
        return super().keys_for(ev)

    def reconcile(self, ns: str, name: str) -> float | None:
        sts = self.api.get(STATEFULSET, ns, name)
        if sts is None or not alive(sts):
            return None
        spec = sts.get("spec") or {}
        update_rev = revisions.ensure(self.api, sts)
        pods = {
            ordinal(name, p["metadata"]["name"]): p
            for p in self.api.owned(POD, ns, sts["metadata"]["uid"])
        }
        want = int(spec.get("replicas", 1))
        parallel = spec.get("podManagementPolicy") == "Parallel"
        self._replace_finished(sts, pods)
        for i in range(want):
            if i not in pods:
                created = self._create_pod(sts, i, update_rev)
                if created is not None:
                    pods[i] = created
                if not parallel:
                    break
            elif not parallel and not (alive(pods[i]) and is_ready(pods[i])):
                break
        else:
            self._scale_down_or_update(sts, pods, want, update_rev, parallel)
        return self._status(sts, pods, want, update_rev)

    def _replace_finished(self, sts: Obj, pods: dict[int, Obj]) -> None:
        for i, pod in list(pods.items()):
            if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
                self._delete_pod(sts, pod)
                del pods[i]

    def _scale_down_or_update(
        self, sts: Obj, pods: dict[int, Obj], want: int, update_rev: str, parallel: bool
    ) -> None:
        extra = sorted((i for i in pods if i >= want or i < 0), reverse=True)
        if extra:
            for i in extra if parallel else extra[:1]:
                if alive(pods[i]):
                    self._delete_pod(sts, pods.pop(i))
            return
        strategy = (sts.get("spec") or {}).get("updateStrategy") or {}
        if strategy.get("type", "RollingUpdate") != "RollingUpdate":
            return
        if not all(alive(p) and is_ready(p) for p in pods.values()):
            return
        partition = int((strategy.get("rollingUpdate") or {}).get("partition", 0) or 0)
        for i in sorted(pods, reverse=True):
            if i >= partition and labels(pods[i]).get(revisions.HASH_LABEL) != update_rev:
                self._delete_pod(sts, pods.pop(i))
                return

    def _delete_pod(self, sts: Obj, pod: Obj) -> None:
        meta = pod["metadata"]
        if self.api.delete(POD, meta.get("namespace", ""), meta["name"]):
            self.events.emit(
                sts,
                "Normal",
                "SuccessfulDelete",
                f"delete Pod {meta['name']} in StatefulSet {sts['metadata']['name']} successful",
            )

    def _create_pod(self, sts: Obj, i: int, rev: str) -> Obj | None:
        spec = sts.get("spec") or {}
        meta = sts["metadata"]
        pod_name = f"{meta['name']}-{i}"
        pod = pod_from_template(sts, spec.get("template") or {}, name=pod_name)
        pod["metadata"].setdefault("labels", {}).update(
            {
                revisions.HASH_LABEL: rev,
                "statefulset.kubernetes.io/pod-name": pod_name,
                "apps.kubernetes.io/pod-index": str(i),
            }
        )
        pod["spec"]["hostname"] = pod_name
        if spec.get("serviceName"):
            pod["spec"]["subdomain"] = spec["serviceName"]
        volumes = [v for v in pod["spec"].get("volumes") or ()]
        for tmpl in spec.get("volumeClaimTemplates") or ():
            claim = self._ensure_claim(sts, tmpl, i)
            volumes = [v for v in volumes if v.get("name") != tmpl["metadata"]["name"]]
            volumes.append(
                {"name": tmpl["metadata"]["name"], "persistentVolumeClaim": {"claimName": claim}}
            )
        if volumes:
            pod["spec"]["volumes"] = volumes
        created = self.api.create(POD, pod, CONTROLLER_MANAGER)
        if created is not None:
            self.events.emit(
                sts,
                "Normal",
                "SuccessfulCreate",
                f"create Pod {pod_name} in StatefulSet {meta['name']} successful",
            )
        return created

    def _ensure_claim(self, sts: Obj, tmpl: Obj, i: int) -> str:
        meta = sts["metadata"]
        ns = meta.get("namespace", "")
        claim = f"{tmpl['metadata']['name']}-{meta['name']}-{i}"
        if self.api.get(PVC, ns, claim) is not None:
            return claim
        selector = ((sts.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        body: Obj = {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {
                "name": claim,
                "namespace": ns,
                "labels": {**(tmpl["metadata"].get("labels") or {}), **selector},
            },
            "spec": copy.deepcopy(tmpl.get("spec") or {}),
        }
        policy = (sts.get("spec") or {}).get("persistentVolumeClaimRetentionPolicy") or {}
        if policy.get("whenDeleted") == "Delete":
            body["metadata"]["ownerReferences"] = [owner_ref(sts)]
        if self.api.create(PVC, body, CONTROLLER_MANAGER) is not None:
            self.events.emit(
                sts,
                "Normal",
                "SuccessfulCreate",
                f"create Claim {claim} Pod {meta['name']}-{i} in StatefulSet {meta['name']} "
                "success",
            )
        return claim

    def _status(self, sts: Obj, pods: dict[int, Obj], want: int, update_rev: str) -> float | None:
        spec = sts.get("spec") or {}
        old = sts.get("status") or {}
        live = [p for p in pods.values() if alive(p)]
        min_ready = int(spec.get("minReadySeconds", 0) or 0)
        updated = sum(1 for p in live if labels(p).get(revisions.HASH_LABEL) == update_rev)
        ready = sum(1 for p in live if is_ready(p))
        current_rev = old.get("currentRevision") or update_rev
        if updated == want == len(live) == ready:
            current_rev = update_rev
        status: Obj = {
            "observedGeneration": sts["metadata"].get("generation", 1),
            "replicas": len(live),
            "readyReplicas": ready,
            "currentReplicas": sum(
                1 for p in live if labels(p).get(revisions.HASH_LABEL) == current_rev
            ),
            "updatedReplicas": updated,
            "availableReplicas": sum(1 for p in live if is_available(p, min_ready)),
            "currentRevision": current_rev,
            "updateRevision": update_rev,
            "collisionCount": 0,
        }
        for field in ("readyReplicas", "currentReplicas", "updatedReplicas"):
            if not status[field]:
                del status[field]
        self.api.update_status(STATEFULSET, sts, status, CONTROLLER_MANAGER)
        return 1.0 if status["availableReplicas"] < ready else None
