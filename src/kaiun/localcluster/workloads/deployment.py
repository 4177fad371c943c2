"""Deployment controller: ReplicaSets per template, rolling updates, status and conditions.

Each reconcile finds the Deployment's ReplicaSets (by controller reference), picks or
creates the one whose ``pod-template-hash`` matches the current template, takes one rollout
step (``rollout.py``), prunes old ReplicaSets beyond ``revisionHistoryLimit`` and writes the
status ``kubectl rollout status`` and health checks read: counts plus the Available and
Progressing conditions with the real reasons (``ProgressDeadlineExceeded`` after
``progressDeadlineSeconds`` without progress).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable

from kaiun.localcluster.watchlog import WatchEvent
from kaiun.localcluster.workloads import rollout as ro
from kaiun.localcluster.workloads.api import (
    CONTROLLER_MANAGER,
    DEPLOYMENT,
    REPLICASET,
    Api,
    Key,
    Obj,
    alive,
    condition,
    normalized,
    owner_ref,
    rfc3339,
    set_condition,
    since,
    skey,
    template_hash,
)
from kaiun.localcluster.workloads.events import Recorder
from kaiun.localcluster.workloads.reconciler import Reconciler
from kaiun.localcluster.workloads.replicaset import owner_keys


def pod_template_hash(deploy: Obj) -> str:
    template = copy.deepcopy((deploy.get("spec") or {}).get("template") or {})
    (template.get("metadata") or {}).get("labels", {}).pop(ro.HASH, None)
    return template_hash(template)


def _strip_hash(template: Obj) -> Obj:
    t = copy.deepcopy(template)
    (t.get("metadata") or {}).get("labels", {}).pop(ro.HASH, None)
    return dict(normalized(t))


class DeploymentController(Reconciler):
    """Rolls Deployments out through ReplicaSets."""

    primary = skey(DEPLOYMENT)

    def __init__(self, api: Api) -> None:
        super().__init__(api)
        self.events = Recorder(api, "deployment-controller")

    def keys_for(self, ev: WatchEvent) -> Iterable[Key]:
        if ev.skey == skey(REPLICASET):
            return owner_keys(ev, "Deployment")
        return super().keys_for(ev)

    def reconcile(self, ns: str, name: str) -> float | None:
        deploy = self.api.get(DEPLOYMENT, ns, name)
        if deploy is None or not alive(deploy):
            return None
        owned = [r for r in self.api.owned(REPLICASET, ns, deploy["metadata"]["uid"]) if alive(r)]
        spec = deploy.get("spec") or {}
        new = self._find_new(deploy, owned)
        olds = sorted((r for r in owned if r is not new), key=ro.revision)
        created = False
        if not spec.get("paused"):
            if new is None:
                new = self._create_new(deploy, olds)
                created = new is not None
            if new is not None:
                self._step(deploy, new, olds)
            self._cleanup(deploy, olds)
        return self._status(deploy, new, olds, created=created)

    # ReplicaSets ---------------------------------------------------------------------------

    def _find_new(self, deploy: Obj, owned: list[Obj]) -> Obj | None:
        h = pod_template_hash(deploy)
        template = _strip_hash((deploy.get("spec") or {}).get("template") or {})
        for rs in owned:
            if (rs["metadata"].get("labels") or {}).get(ro.HASH) == h:
                return self._bump_revision(deploy, rs, owned)
        for rs in owned:
            if _strip_hash((rs.get("spec") or {}).get("template") or {}) == template:
                return self._bump_revision(deploy, rs, owned)
        return None

    def _bump_revision(self, deploy: Obj, rs: Obj, owned: list[Obj]) -> Obj:
        """A rolled-back-to ReplicaSet becomes the newest revision again."""
        top = max((ro.revision(r) for r in owned if r is not rs), default=0)
        if ro.revision(rs) > top:
            self._annotate_deploy(deploy, ro.revision(rs))
            return rs
        rs["metadata"].setdefault("annotations", {})[ro.REVISION] = str(top + 1)
        updated = self.api.update(REPLICASET, rs, CONTROLLER_MANAGER)
        self._annotate_deploy(deploy, top + 1)
        return updated

    def _annotate_deploy(self, deploy: Obj, rev: int) -> None:
        ann = deploy["metadata"].setdefault("annotations", {})
        if ann.get(ro.REVISION) != str(rev):
            ann[ro.REVISION] = str(rev)
            fresh = self.api.update(DEPLOYMENT, deploy, CONTROLLER_MANAGER)
            deploy["metadata"] = fresh["metadata"]

    def _create_new(self, deploy: Obj, olds: list[Obj]) -> Obj | None:
        spec = deploy.get("spec") or {}
        meta = deploy["metadata"]
        h = pod_template_hash(deploy)
        template = copy.deepcopy(spec.get("template") or {})
        tmeta = template.setdefault("metadata", {})
        tmeta.setdefault("labels", {})[ro.HASH] = h
        selector = copy.deepcopy(spec.get("selector") or {})
        selector.setdefault("matchLabels", {})[ro.HASH] = h
        lim = ro.limits(deploy)
        rev = max((ro.revision(r) for r in olds), default=0) + 1
        replicas = ro.new_rs_target(lim, None, olds)
        if (spec.get("strategy") or {}).get("type") == "Recreate" and olds:
            replicas = 0
        rs: Obj = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": f"{meta['name']}-{h}",
                "namespace": meta.get("namespace", ""),
                "labels": dict(tmeta["labels"]),
                "annotations": {
                    ro.DESIRED: str(lim.desired),
                    ro.MAX_REPLICAS: str(lim.desired + lim.surge),
                    ro.REVISION: str(rev),
                },
                "ownerReferences": [owner_ref(deploy)],
            },
            "spec": {
                "replicas": replicas,
                "minReadySeconds": int(spec.get("minReadySeconds", 0) or 0),
                "selector": selector,
                "template": template,
            },
        }
        created = self.api.create(REPLICASET, rs, CONTROLLER_MANAGER)
        if created is None:
            return None
        self._annotate_deploy(deploy, rev)
        if replicas:
            self._scaled(deploy, created, 0, replicas)
        return created

    def _step(self, deploy: Obj, new: Obj, olds: list[Obj]) -> None:
        lim = ro.limits(deploy)
        recreate = ((deploy.get("spec") or {}).get("strategy") or {}).get("type") == "Recreate"
        active_olds = [o for o in olds if ro.rs_replicas(o) or ro.rs_status(o, "replicas")]
        if recreate:
            for old in active_olds:
                self._scale(deploy, old, 0)
            if not any(ro.rs_status(o, "replicas") for o in olds):
                self._scale(deploy, new, lim.desired)
            return
        if not active_olds:
            self._scale(deploy, new, lim.desired)
            return
        self._scale(deploy, new, ro.new_rs_target(lim, new, olds))
        targets = ro.old_scale_down(lim, new, olds)
        for old in olds:
            if old["metadata"]["name"] in targets:
                self._scale(deploy, old, targets[old["metadata"]["name"]])

    def _scale(self, deploy: Obj, rs: Obj, replicas: int) -> None:
        lim = ro.limits(deploy)
        before = ro.rs_replicas(rs)
        ann = rs["metadata"].setdefault("annotations", {})
        want_ann = {ro.DESIRED: str(lim.desired), ro.MAX_REPLICAS: str(lim.desired + lim.surge)}
        if before == replicas and all(ann.get(k) == v for k, v in want_ann.items()):
            return
        ann.update(want_ann)
        rs.setdefault("spec", {})["replicas"] = replicas
        fresh = self.api.update(REPLICASET, rs, CONTROLLER_MANAGER)
        rs["metadata"] = fresh["metadata"]
        if before != replicas:
            self._scaled(deploy, rs, before, replicas)

    def _scaled(self, deploy: Obj, rs: Obj, before: int, after: int) -> None:
        verb = "up" if after > before else "down"
        self.events.emit(
            deploy,
            "Normal",
            "ScalingReplicaSet",
            f"Scaled {verb} replica set {rs['metadata']['name']} from {before} to {after}",
        )

    def _cleanup(self, deploy: Obj, olds: list[Obj]) -> None:
        limit = int((deploy.get("spec") or {}).get("revisionHistoryLimit", 10))
        idle = [o for o in olds if not ro.rs_replicas(o) and not ro.rs_status(o, "replicas")]
        for rs in idle[: max(len(idle) - limit, 0)]:
            self.api.delete(REPLICASET, rs["metadata"].get("namespace", ""), rs["metadata"]["name"])

    # status --------------------------------------------------------------------------------

    def _status(
        self, deploy: Obj, new: Obj | None, olds: list[Obj], *, created: bool
    ) -> float | None:
        lim = ro.limits(deploy)
        spec = deploy.get("spec") or {}
        everything = ([new] if new else []) + olds
        old_status = deploy.get("status") or {}
        status: Obj = {
            "observedGeneration": deploy["metadata"].get("generation", 1),
            "replicas": sum(ro.rs_status(r, "replicas") for r in everything),
            "updatedReplicas": ro.rs_status(new, "replicas") if new else 0,
            "readyReplicas": sum(ro.rs_status(r, "readyReplicas") for r in everything),
            "availableReplicas": sum(ro.rs_status(r, "availableReplicas") for r in everything),
        }
        unavailable = max(lim.desired - status["availableReplicas"], 0)
        if unavailable:
            status["unavailableReplicas"] = unavailable
        for field in ("readyReplicas", "availableReplicas", "updatedReplicas", "replicas"):
            if not status[field]:
                del status[field]
        now = rfc3339()
        conds = list(old_status.get("conditions") or [])
        if int(status.get("availableReplicas", 0)) >= lim.min_available:
            available = ("True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
        else:
            available = (
                "False",
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.",
            )
        conds = set_condition(conds, "Available", *available, now=now, update_time=True)
        kept = ["Available"]
        if spec.get("paused"):
            kept.append("Progressing")
            progress = ("Unknown", "DeploymentPaused", "Deployment is paused")
            touch, recheck = True, None
        else:
            current = condition({"conditions": conds}, "Progressing")
            progress, touch, recheck = _progressing(
                deploy, new, current, old_status, status, created=created
            )
        conds = set_condition(conds, "Progressing", *progress, now=now, update_time=touch)
        status["conditions"] = _keep_update_times(old_status, conds, kept)
        self.api.update_status(DEPLOYMENT, deploy, status, CONTROLLER_MANAGER)
        return recheck


def _progressing(
    deploy: Obj,
    new: Obj | None,
    current: Obj | None,
    old_status: Obj,
    status: Obj,
    *,
    created: bool,
) -> tuple[tuple[str, str, str], bool, float | None]:
    """The Progressing condition (status, reason, message), whether it moved, and when to
    look again for the progress deadline."""
    rs_name = new["metadata"]["name"] if new else ""
    deadline = float((deploy.get("spec") or {}).get("progressDeadlineSeconds", 600))
    reason = (current or {}).get("reason")
    if new is not None and ro.complete(ro.limits(deploy), status):
        done = f'ReplicaSet "{rs_name}" has successfully progressed.'
        return ("True", "NewReplicaSetAvailable", done), reason != "NewReplicaSetAvailable", None
    if created:
        return (
            ("True", "NewReplicaSetCreated", f'Created new replica set "{rs_name}"'),
            True,
            deadline,
        )
    if (
        current is None
        or current.get("status") == "Unknown"
        or reason == "NewReplicaSetAvailable"
        or ro.progressed(old_status, status)
    ):
        return (
            ("True", "ReplicaSetUpdated", f'ReplicaSet "{rs_name}" is progressing.'),
            True,
            deadline,
        )
    kept = (str(current.get("status")), str(reason), str(current.get("message", "")))
    if reason == "ProgressDeadlineExceeded":
        return kept, False, None
    # Timestamps have whole seconds: count from the end of that second, never early.
    left = deadline + 1.0 - since(current.get("lastUpdateTime"))
    if left > 0:
        return kept, False, left + 0.1
    timed_out = f'ReplicaSet "{rs_name}" has timed out progressing.'
    return ("False", "ProgressDeadlineExceeded", timed_out), True, None


def _keep_update_times(old_status: Obj, conds: list[Obj], types: list[str]) -> list[Obj]:
    """Unchanged conditions of ``types`` keep their old ``lastUpdateTime`` (no idle writes)."""
    before = {c.get("type"): c for c in old_status.get("conditions") or ()}
    out = []
    for c in conds:
        prev = before.get(c.get("type")) if c.get("type") in types else None
        strip = {k: v for k, v in c.items() if k != "lastUpdateTime"}
        if prev and {k: v for k, v in prev.items() if k != "lastUpdateTime"} == strip:
            c = dict(c, lastUpdateTime=prev.get("lastUpdateTime", c.get("lastUpdateTime")))
        out.append(c)
    return out
