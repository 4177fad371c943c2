"""Job controller: runs pods until ``completions`` succeed or ``backoffLimit`` is exceeded.

Up to ``parallelism`` pods run at once. Success sets ``SuccessCriteriaMet`` and
``Complete`` with ``completionTime``; too many failures (failed pods, plus container
restarts under ``restartPolicy: OnFailure``) set ``FailureTarget`` and ``Failed`` with
reason ``BackoffLimitExceeded``; ``activeDeadlineSeconds`` gives ``DeadlineExceeded``.
Finished Jobs with ``ttlSecondsAfterFinished`` are deleted after that long.
"""

from __future__ import annotations

from collections.abc import Iterable

from kaiun.localcluster.watchlog import WatchEvent
from kaiun.localcluster.workloads.api import (
    CONTROLLER_MANAGER,
    JOB,
    POD,
    Api,
    Key,
    Obj,
    alive,
    condition,
    rfc3339,
    set_condition,
    since,
    skey,
)
from kaiun.localcluster.workloads.events import Recorder
from kaiun.localcluster.workloads.reconciler import Reconciler
from kaiun.localcluster.workloads.replicaset import is_ready, owner_keys, pod_from_template

SUCCESS_MSG = "Reached expected number of succeeded pods"


def finished(job: Obj) -> str:
    """``Complete`` or ``Failed`` once a Job has finished, else ``""``."""
    for ctype in ("Complete", "Failed"):
        cond = condition(job.get("status") or {}, ctype)
        if cond and cond.get("status") == "True":
            return ctype
    return ""


def _phase(pod: Obj) -> str:
    return str((pod.get("status") or {}).get("phase", "Pending"))


class JobController(Reconciler):
    """Creates a Job's pods and records how it ends."""

    primary = skey(JOB)

    def __init__(self, api: Api) -> None:
        super().__init__(api)
        self.events = Recorder(api, "job-controller")

    def keys_for(self, ev: WatchEvent) -> Iterable[Key]:
        if ev.skey == skey(POD):
            return owner_keys(ev, "Job")
        return super().keys_for(ev)

    def reconcile(self, ns: str, name: str) -> float | None:
        job = self.api.get(JOB, ns, name)
        if job is None or not alive(job):
            return None
        spec = job.get("spec") or {}
        pods = [p for p in self.api.owned(POD, ns, job["metadata"]["uid"]) if alive(p)]
        done = finished(job)
        if done:
            return self._after_finish(job, done)
        status = dict(job.get("status") or {})
        status.setdefault("startTime", rfc3339())
        succeeded = sum(1 for p in pods if _phase(p) == "Succeeded")
        failed = sum(1 for p in pods if _phase(p) == "Failed")
        if spec.get("template", {}).get("spec", {}).get("restartPolicy") == "OnFailure":
            failed += sum(
                int(c.get("restartCount", 0))
                for p in pods
                for c in (p.get("status") or {}).get("containerStatuses") or ()
            )
        active = [p for p in pods if _phase(p) not in ("Succeeded", "Failed")]
        completions = int(spec.get("completions") or 1)
        verdict = self._verdict(job, status, succeeded, failed, completions)
        if verdict:
            for pod in active:
                self._delete_pod(job, pod)
            active = []
        elif not spec.get("suspend"):
            parallelism = int(spec.get("parallelism", 1))
            room = min(parallelism, completions - succeeded) - len(active)
            for _ in range(max(room, 0)):
                created = self._create_pod(job)
                if created is None:
                    break
                active.append(created)
        status.update(active=len(active), ready=sum(1 for p in active if is_ready(p)))
        status.update(succeeded=succeeded, failed=failed, terminating=0)
        status["uncountedTerminatedPods"] = {}
        for field in ("active", "succeeded", "failed"):
            if not status[field]:
                del status[field]
        self.api.update_status(JOB, job, status, CONTROLLER_MANAGER)
        if verdict:
            return self._after_finish(job, verdict)
        deadline = spec.get("activeDeadlineSeconds")
        if deadline:
            return max(float(deadline) - since(status["startTime"]), 0.0) + 0.1
        return None

    def _verdict(self, job: Obj, status: Obj, succeeded: int, failed: int, completions: int) -> str:
        """Sets the finishing conditions on ``status``; returns Complete, Failed or ``""``."""
        spec = job.get("spec") or {}
        now = rfc3339()
        conds = list(status.get("conditions") or [])
        deadline = spec.get("activeDeadlineSeconds")
        if succeeded >= completions:
            for ctype in ("SuccessCriteriaMet", "Complete"):
                conds = set_condition(
                    conds,
                    ctype,
                    "True",
                    "CompletionsReached",
                    SUCCESS_MSG,
                    now=now,
                    probe_time=True,
                )
            status["conditions"], status["completionTime"] = conds, now
            self.events.emit(job, "Normal", "Completed", "Job completed")
            return "Complete"
        if failed > int(spec.get("backoffLimit", 6)):
            reason, msg = "BackoffLimitExceeded", "Job has reached the specified backoff limit"
        elif deadline and since(status.get("startTime")) >= float(deadline):
            reason, msg = "DeadlineExceeded", "Job was active longer than specified deadline"
        else:
            return ""
        for ctype in ("FailureTarget", "Failed"):
            conds = set_condition(conds, ctype, "True", reason, msg, now=now, probe_time=True)
        status["conditions"] = conds
        self.events.emit(job, "Warning", reason, msg)
        return "Failed"

    def _after_finish(self, job: Obj, how: str) -> float | None:
        ttl = (job.get("spec") or {}).get("ttlSecondsAfterFinished")
        if ttl is None:
            return None
        cond = condition(job.get("status") or {}, how) or {}
        left = float(ttl) - since(cond.get("lastTransitionTime"))
        if left > 0:
            return left + 0.1
        meta = job["metadata"]
        self.api.delete(JOB, meta.get("namespace", ""), meta["name"], propagation="Background")
        return None

    def _create_pod(self, job: Obj) -> Obj | None:
        meta = job["metadata"]
        template = (job.get("spec") or {}).get("template") or {}
        pod = pod_from_template(job, template)
        pod["metadata"].setdefault("labels", {}).update(
            {
                "batch.kubernetes.io/controller-uid": meta["uid"],
                "batch.kubernetes.io/job-name": meta["name"],
                "controller-uid": meta["uid"],
                "job-name": meta["name"],
            }
        )
        created = self.api.create(POD, pod, CONTROLLER_MANAGER)
        if created is not None:
            self.events.emit(
                job, "Normal", "SuccessfulCreate", f"Created pod: {created['metadata']['name']}"
            )
        return created

    def _delete_pod(self, job: Obj, pod: Obj) -> None:
        meta = pod["metadata"]
        if self.api.delete(POD, meta.get("namespace", ""), meta["name"]):
            self.events.emit(job, "Normal", "SuccessfulDelete", f"Deleted pod: {meta['name']}")
