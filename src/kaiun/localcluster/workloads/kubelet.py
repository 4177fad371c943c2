"""Scheduler and kubelet of the one simulated node: pods go Pending → Running → Ready.

Every pod without a node is bound to ``kaiun-local`` (as ``default-scheduler``), then
"started": it gets an IP, a start time and running containers, and becomes Ready after the
configured delay. Pods that run to completion (``restartPolicy`` Never/OnFailure) exit
after their run time. The failure switches (see ``podstatus.mode_of``) instead give
ImagePullBackOff, CrashLoopBackOff, never-Ready or failed pods, with the kubelet's events.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import orjson

from kaiun.localcluster.watchlog import WatchEvent
from kaiun.localcluster.workloads import podstatus as ps
from kaiun.localcluster.workloads.api import (
    KUBELET,
    NODE_NAME,
    POD,
    PVC,
    Api,
    Key,
    Obj,
    rfc3339,
    skey,
)
from kaiun.localcluster.workloads.events import Recorder
from kaiun.localcluster.workloads.node import NODE_IP, PodIPs, ensure_node
from kaiun.localcluster.workloads.reconciler import Reconciler

PULL_BACKOFF_AFTER = 1.0
UNHEALTHY_EVERY = 5.0
RETRY_SCHEDULING = 5.0


class Kubelet(Reconciler):
    """Binds and runs every pod on the simulated node."""

    primary = skey(POD)

    def __init__(self, api: Api, *, ready_delay: float) -> None:
        super().__init__(api)
        self.ready_delay = ready_delay
        self.ips = PodIPs()
        self._since: dict[str, float] = {}
        self._probed: dict[str, float] = {}
        self.scheduler_events = Recorder(api, "default-scheduler")
        self.events = Recorder(api, "kubelet", host=NODE_NAME)

    def resync(self) -> None:
        ensure_node(self.api)
        for pod in self.api.list(POD):
            ip = (pod.get("status") or {}).get("podIP")
            if ip:
                self.ips.claim(pod["metadata"]["uid"], ip)
        super().resync()

    def reconcile(self, ns: str, name: str) -> float | None:
        pod = self.api.get(POD, ns, name)
        if pod is None or pod["metadata"].get("deletionTimestamp"):
            self._forget(ns, name)
            return None
        spec, status = pod.get("spec", {}), pod.get("status") or {}
        if not spec.get("nodeName"):
            return self._schedule(pod)
        if spec["nodeName"] != NODE_NAME or status.get("phase") in ("Succeeded", "Failed"):
            return None
        if not status.get("startTime"):
            return self._start(pod)
        return self._progress(pod)

    def keys_for(self, ev: WatchEvent) -> Iterable[Key]:
        if ev.skey == self.primary and ev.type == "DELETED":
            self._stopped(orjson.loads(ev.raw))
        if ev.skey == skey(PVC):
            # A claim changed: unscheduled pods in its namespace may fit now.
            return [
                k
                for k, e in self.api.cluster.store.items(self.primary, ev.ns)
                if b'"nodeName"' not in e.raw
            ]
        return super().keys_for(ev)

    def _stopped(self, pod: Obj) -> None:
        """A deleted pod's containers are stopped (the kubelet's ``Killing`` event)."""
        status = pod.get("status") or {}
        if status.get("startTime") and status.get("phase") == "Running":
            for c in pod.get("spec", {}).get("containers") or ():
                self._container_event(
                    pod, c, "Normal", "Killing", f"Stopping container {c['name']}"
                )

    def _forget(self, ns: str, name: str) -> None:
        for uid, _ip in list(self.ips.by_uid.items()):
            if self.api.cluster.uids.get(uid) is None:
                self.ips.release(uid)
                self._since.pop(uid, None)
                self._probed.pop(uid, None)

    # scheduling ----------------------------------------------------------------------------

    def _schedule(self, pod: Obj) -> float | None:
        meta = pod["metadata"]
        missing = self._unbound_claims(pod)
        if missing:
            self.scheduler_events.emit(
                pod,
                "Warning",
                "FailedScheduling",
                "0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. "
                "preemption: 0/1 nodes are available: 1 Preemption is not helpful for "
                "scheduling.",
            )
            return RETRY_SCHEDULING
        pod["spec"]["nodeName"] = NODE_NAME
        pod["status"] = ps.pending(pod, rfc3339())
        # The binding subresource sets nodeName without an ordinary (validated) pod update.
        rt = self.api.cluster.type_for(*POD)
        self.api.cluster._store(rt, pod, created=False)
        self.scheduler_events.emit(
            pod,
            "Normal",
            "Scheduled",
            f"Successfully assigned {meta.get('namespace')}/{meta['name']} to {NODE_NAME}",
        )
        return None

    def _unbound_claims(self, pod: Obj) -> list[str]:
        ns = pod["metadata"].get("namespace", "")
        out = []
        for vol in pod.get("spec", {}).get("volumes") or ():
            claim = (vol.get("persistentVolumeClaim") or {}).get("claimName")
            if not claim:
                continue
            pvc = self.api.get(PVC, ns, claim)
            if pvc is None or (pvc.get("status") or {}).get("phase") != "Bound":
                out.append(claim)
        return out

    # running -------------------------------------------------------------------------------

    def _write(self, pod: Obj, stage: str, *, restarts: int = 0, restarted: bool = False) -> None:
        status = pod.get("status") or {}
        now = rfc3339()
        started_at = now if restarted or not status.get("startTime") else _started_at(status)
        new = ps.build(
            pod,
            stage,
            pod_ip=self.ips.allocate(pod["metadata"]["uid"]),
            host_ip=NODE_IP,
            start_time=status.get("startTime") or now,
            started_at=started_at or now,
            now=now,
            restarts=restarts,
        )
        self.api.update_status(POD, pod, new, KUBELET)
        self._since[pod["metadata"]["uid"]] = time.monotonic()

    def _start(self, pod: Obj) -> float | None:
        mode = ps.mode_of(pod)
        for c in pod["spec"].get("containers") or ():
            self._container_event(pod, c, "Normal", "Pulling", f'Pulling image "{c["image"]}"')
        if mode == "ImagePullBackOff":
            for c in pod["spec"].get("containers") or ():
                err = ps.pull_error(c["image"])
                self._container_event(
                    pod, c, "Warning", "Failed", f'Failed to pull image "{c["image"]}": {err}'
                )
                self._container_event(pod, c, "Warning", "Failed", "Error: ErrImagePull")
            self._write(pod, ps.PULL_ERR)
            return PULL_BACKOFF_AFTER
        self._started_events(pod, pulled=True)
        self._write(pod, ps.RUNNING)
        return self._next_delay(pod, mode)

    def _next_delay(self, pod: Obj, mode: str) -> float:
        if mode == "CrashLoopBackOff" or (mode == "Fail" and not ps.runs_to_completion(pod)):
            return self.ready_delay + 0.5
        if ps.runs_to_completion(pod) and mode != "NotReady":
            return ps.run_seconds(pod, self.ready_delay)
        return self.ready_delay

    def _started_events(self, pod: Obj, *, pulled: bool) -> None:
        for c in pod["spec"].get("containers") or ():
            image = c["image"]
            if pulled:
                msg = f'Successfully pulled image "{image}" in 412ms (412ms including waiting)'
            else:
                msg = f'Container image "{image}" already present on machine'
            self._container_event(pod, c, "Normal", "Pulled", msg)
            self._container_event(pod, c, "Normal", "Created", f"Created container: {c['name']}")
            self._container_event(pod, c, "Normal", "Started", f"Started container {c['name']}")

    def _container_event(self, pod: Obj, c: Obj, etype: str, reason: str, message: str) -> None:
        path = f"spec.containers{{{c['name']}}}"
        self.events.emit(pod, etype, reason, message, field_path=path)

    def _progress(self, pod: Obj) -> float | None:
        uid = pod["metadata"]["uid"]
        elapsed = time.monotonic() - self._since.setdefault(uid, time.monotonic())
        mode = ps.mode_of(pod)
        stage, restarts = _stage_of(pod)
        if mode == "ImagePullBackOff":
            return self._pull_backoff(pod, stage, elapsed)
        if stage in (ps.PULL_ERR, ps.PULL_BACKOFF):
            # The image was fixed in place: pull it and start.
            self._started_events(pod, pulled=True)
            self._write(pod, ps.RUNNING, restarts=restarts)
            return self._next_delay(pod, mode)
        crashing = mode == "CrashLoopBackOff" or (
            mode == "Fail" and pod["spec"].get("restartPolicy", "Always") != "Never"
        )
        if crashing:
            return self._crash_loop(pod, stage, restarts, elapsed)
        if stage == ps.CRASHED:
            self._write(pod, ps.RUNNING, restarts=restarts, restarted=True)
            return self._next_delay(pod, mode)
        wait = self._next_delay(pod, mode) - elapsed
        if wait > 0:
            return wait
        if mode == "NotReady":
            return self._not_ready(pod, stage, restarts)
        if ps.runs_to_completion(pod):
            self._write(pod, ps.FAILED if mode == "Fail" else ps.DONE, restarts=restarts)
            return None
        if stage != ps.READY:
            self._write(pod, ps.READY, restarts=restarts)
        return None

    def _pull_backoff(self, pod: Obj, stage: str, elapsed: float) -> float | None:
        if stage == ps.PULL_BACKOFF:
            return None
        if stage == ps.PULL_ERR and elapsed < PULL_BACKOFF_AFTER:
            return PULL_BACKOFF_AFTER - elapsed
        for c in pod["spec"].get("containers") or ():
            self._container_event(
                pod, c, "Normal", "BackOff", f'Back-off pulling image "{c["image"]}"'
            )
            self._container_event(pod, c, "Warning", "Failed", "Error: ImagePullBackOff")
        self._write(pod, ps.PULL_BACKOFF)
        return None

    def _crash_loop(self, pod: Obj, stage: str, restarts: int, elapsed: float) -> float:
        meta = pod["metadata"]
        if stage == ps.CRASHED:
            backoff = min(2.0 ** (restarts - 1), 8.0)
            if elapsed < backoff:
                return backoff - elapsed
            self._started_events(pod, pulled=False)
            self._write(pod, ps.RUNNING, restarts=restarts, restarted=True)
            return 1.0
        if elapsed < 1.0:
            return 1.0 - elapsed
        for c in pod["spec"].get("containers") or ():
            self._container_event(
                pod,
                c,
                "Warning",
                "BackOff",
                f"Back-off restarting failed container {c['name']} in pod "
                f"{meta['name']}_{meta.get('namespace')}({meta['uid']})",
            )
        self._write(pod, ps.CRASHED, restarts=restarts + 1)
        return min(2.0**restarts, 8.0)

    def _not_ready(self, pod: Obj, stage: str, restarts: int) -> float:
        if stage != ps.RUNNING:
            self._write(pod, ps.RUNNING, restarts=restarts)
        uid = pod["metadata"]["uid"]
        wait = self._probed.get(uid, -UNHEALTHY_EVERY) + UNHEALTHY_EVERY - time.monotonic()
        if wait > 0:
            return wait
        self._probed[uid] = time.monotonic()
        for c in pod["spec"].get("containers") or ():
            self._container_event(
                pod,
                c,
                "Warning",
                "Unhealthy",
                "Readiness probe failed: HTTP probe failed with statuscode: 503",
            )
        return UNHEALTHY_EVERY


def _stage_of(pod: Obj) -> tuple[str, int]:
    """The lifecycle stage the pod's status shows, and its containers' restart count."""
    statuses: list[Any] = (pod.get("status") or {}).get("containerStatuses") or []
    if not statuses:
        return ps.RUNNING, 0
    first = statuses[0]
    restarts = int(first.get("restartCount", 0))
    state = first.get("state") or {}
    waiting = (state.get("waiting") or {}).get("reason")
    if waiting == "ErrImagePull":
        return ps.PULL_ERR, restarts
    if waiting == "ImagePullBackOff":
        return ps.PULL_BACKOFF, restarts
    if waiting == "CrashLoopBackOff":
        return ps.CRASHED, restarts
    if all(s.get("ready") for s in statuses):
        return ps.READY, restarts
    return ps.RUNNING, restarts


def _started_at(status: Obj) -> str:
    for s in status.get("containerStatuses") or ():
        running = (s.get("state") or {}).get("running")
        if running:
            return str(running.get("startedAt", ""))
    return ""
