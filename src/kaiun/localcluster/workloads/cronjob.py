"""CronJob controller: creates Jobs on schedule and keeps a bounded history of them.

Schedules are standard cron (via ``croniter``), evaluated in ``spec.timeZone`` (UTC by
default). Only the most recent missed run is started, honouring
``startingDeadlineSeconds``, ``concurrencyPolicy`` and ``suspend``. Because real schedules
tick at most once a minute, the annotation ``local.kaiun.io/every-seconds: "N"`` replaces
the schedule with "every N seconds" so tests need not wait for the clock.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from croniter import croniter

from kaiun.localcluster.watchlog import WatchEvent
from kaiun.localcluster.workloads.api import (
    CONTROLLER_MANAGER,
    CRONJOB,
    JOB,
    Api,
    Key,
    Obj,
    alive,
    owner_ref,
    parse_time,
    rfc3339,
    skey,
)
from kaiun.localcluster.workloads.events import Recorder
from kaiun.localcluster.workloads.job import finished
from kaiun.localcluster.workloads.reconciler import Reconciler
from kaiun.localcluster.workloads.replicaset import owner_keys

EVERY_SECONDS = "local.kaiun.io/every-seconds"
SCHEDULED_AT = "batch.kubernetes.io/cronjob-scheduled-timestamp"


def next_run(schedule: str, tz: str | None, after: float, every: int = 0) -> float:
    """The first scheduled time strictly after ``after`` (epoch seconds)."""
    if every > 0:
        return (math.floor(after / every) + 1) * every
    base = datetime.fromtimestamp(after, ZoneInfo(tz) if tz else UTC)
    return float(croniter(schedule, base).get_next(float))


def latest_due(schedule: str, tz: str | None, after: float, now: float, every: int = 0) -> float:
    """The most recent scheduled time in ``(after, now]``, or 0.0 when none is due."""
    if every > 0:
        t = float(math.floor(now / every) * every)
    else:
        base = datetime.fromtimestamp(now, ZoneInfo(tz) if tz else UTC)
        t = float(croniter(schedule, base).get_prev(float))
    return float(t) if after < t <= now else 0.0


def _every(cj: Obj) -> int:
    raw = (cj["metadata"].get("annotations") or {}).get(EVERY_SECONDS, "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else 0


def _ref(job: Obj) -> Obj:
    m = job["metadata"]
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "name": m["name"],
        "namespace": m.get("namespace", ""),
        "uid": m["uid"],
        "resourceVersion": m.get("resourceVersion", ""),
    }


class CronJobController(Reconciler):
    """Starts each CronJob's Jobs when due and prunes finished ones."""

    primary = skey(CRONJOB)

    def __init__(self, api: Api) -> None:
        super().__init__(api)
        self.events = Recorder(api, "cronjob-controller")
        self._seen_done: set[str] = set()

    def keys_for(self, ev: WatchEvent) -> Iterable[Key]:
        if ev.skey == skey(JOB):
            return owner_keys(ev, "CronJob")
        return super().keys_for(ev)

    def reconcile(self, ns: str, name: str) -> float | None:
        cj = self.api.get(CRONJOB, ns, name)
        if cj is None or not alive(cj):
            return None
        spec = cj.get("spec") or {}
        jobs = [j for j in self.api.owned(JOB, ns, cj["metadata"]["uid"]) if alive(j)]
        active = [j for j in jobs if not finished(j)]
        status = dict(cj.get("status") or {})
        self._history(cj, [j for j in jobs if finished(j)], status)
        delay: float | None = None
        if not spec.get("suspend"):
            try:
                delay, started = self._schedule(cj, status, active)
            except (ValueError, KeyError) as exc:
                # A bad schedule or time zone; the real controller reports it the same way.
                reason = "UnknownTimeZone" if isinstance(exc, KeyError) else "InvalidSchedule"
                self.events.emit(cj, "Warning", reason, f"invalid schedule: {exc}")
                delay, started = None, None
            if started is not None:
                active.append(started)
        if active:
            status["active"] = [_ref(j) for j in active]
        else:
            status.pop("active", None)
        self.api.update_status(CRONJOB, cj, status, CONTROLLER_MANAGER)
        return delay

    def _schedule(self, cj: Obj, status: Obj, active: list[Obj]) -> tuple[float, Obj | None]:
        spec = cj.get("spec") or {}
        schedule, tz, every = spec.get("schedule", ""), spec.get("timeZone"), _every(cj)
        # Checked even when every-seconds overrides the schedule, so mistakes still show.
        croniter(schedule, datetime.fromtimestamp(0, ZoneInfo(tz) if tz else UTC))
        now = time.time()
        last = parse_time(status.get("lastScheduleTime")) or parse_time(
            cj["metadata"].get("creationTimestamp")
        )
        after = last or now
        due = latest_due(schedule, tz, after, now, every)
        started = None
        if due:
            deadline = spec.get("startingDeadlineSeconds")
            policy = spec.get("concurrencyPolicy", "Allow")
            if deadline is not None and now - due > float(deadline):
                status["lastScheduleTime"] = rfc3339(due)
            elif policy == "Forbid" and active:
                self.events.emit(
                    cj,
                    "Normal",
                    "JobAlreadyActive",
                    "Not starting job because prior execution is running and concurrency "
                    "policy is Forbid",
                )
                return 1.0, None
            else:
                if policy == "Replace":
                    for job in list(active):
                        self._delete_job(cj, job)
                        active.remove(job)
                started = self._start(cj, due, every)
                if started is not None:
                    status["lastScheduleTime"] = rfc3339(due)
            after = due
        return max(next_run(schedule, tz, after, every) - now, 0.0) + 0.05, started

    def _start(self, cj: Obj, due: float, every: int) -> Obj | None:
        meta = cj["metadata"]
        tmpl = (cj.get("spec") or {}).get("jobTemplate") or {}
        suffix = int(due) if every else int(due // 60)
        tmeta = tmpl.get("metadata") or {}
        job: Obj = {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {
                "name": f"{meta['name']}-{suffix}",
                "namespace": meta.get("namespace", ""),
                "labels": dict(tmeta.get("labels") or {}),
                "annotations": {**(tmeta.get("annotations") or {}), SCHEDULED_AT: rfc3339(due)},
                "ownerReferences": [owner_ref(cj)],
            },
            "spec": copy.deepcopy(tmpl.get("spec") or {}),
        }
        created = self.api.create(JOB, job, CONTROLLER_MANAGER)
        if created is not None:
            self.events.emit(
                cj, "Normal", "SuccessfulCreate", f"Created job {created['metadata']['name']}"
            )
        return created

    def _history(self, cj: Obj, done: list[Obj], status: Obj) -> None:
        spec = cj.get("spec") or {}
        for job in done:
            uid = job["metadata"]["uid"]
            how = finished(job)
            if uid not in self._seen_done:
                self._seen_done.add(uid)
                self.events.emit(
                    cj,
                    "Normal",
                    "SawCompletedJob",
                    f"Saw completed job: {job['metadata']['name']}, condition: {how}",
                )
            when = (job.get("status") or {}).get("completionTime")
            if how == "Complete" and when and when > (status.get("lastSuccessfulTime") or ""):
                status["lastSuccessfulTime"] = when
        for how, limit in (
            ("Complete", int(spec.get("successfulJobsHistoryLimit", 3))),
            ("Failed", int(spec.get("failedJobsHistoryLimit", 1))),
        ):
            kept = sorted(
                (j for j in done if finished(j) == how),
                key=lambda j: (j["metadata"].get("creationTimestamp", ""), j["metadata"]["name"]),
            )
            for job in kept[: max(len(kept) - limit, 0)]:
                self._delete_job(cj, job)

    def _delete_job(self, cj: Obj, job: Obj) -> None:
        meta = job["metadata"]
        if self.api.delete(JOB, meta.get("namespace", ""), meta["name"], propagation="Background"):
            self.events.emit(cj, "Normal", "SuccessfulDelete", f"Deleted job {meta['name']}")
