"""Built-in health checks of the ``batch`` group: Job and CronJob."""

from __future__ import annotations

from kaiun.health import fields as f
from kaiun.health.fields import Obj
from kaiun.health.status import Health, HealthStatus


def job(obj: Obj) -> Health:
    """Health of a Job: Progressing until a Complete or Failed condition appears."""
    failed = complete = suspended = False
    message = fail_message = ""
    for cond in f.items(obj, "status", "conditions"):
        if cond.get("status") != "True":
            continue
        kind = cond.get("type")
        if kind == "Failed":
            failed, complete = True, True
            fail_message = str(cond.get("message", ""))
        elif kind == "Complete":
            complete = True
            message = str(cond.get("message", ""))
        elif kind == "Suspended":
            suspended, complete = True, True
            fail_message = str(cond.get("message", ""))
    if not complete:
        return Health(HealthStatus.PROGRESSING, message)
    if failed:
        return Health(HealthStatus.DEGRADED, fail_message)
    if suspended:
        return Health(HealthStatus.SUSPENDED, fail_message)
    return Health(HealthStatus.HEALTHY, message)


def cron_job(obj: Obj) -> Health:
    """Health of a CronJob: suspended, never run, running, or its last run's outcome."""
    if f.mapping(obj, "spec").get("suspend") is True:
        return Health(HealthStatus.SUSPENDED, "CronJob is Suspended")
    status = f.mapping(obj, "status")
    last_schedule = f.text(status, "lastScheduleTime")
    last_success = f.text(status, "lastSuccessfulTime")
    running = bool(f.items(status, "active"))
    if not last_schedule:
        return Health(HealthStatus.HEALTHY, "The CronJob has not been scheduled yet")
    if not last_success:
        if running:
            return Health(HealthStatus.PROGRESSING, "The first job is running")
        return Health(
            HealthStatus.DEGRADED, "CronJob has not completed its last execution successfully"
        )
    # RFC 3339 timestamps in UTC ("Z") compare correctly as strings.
    if last_schedule > last_success:
        if running:
            return Health(HealthStatus.PROGRESSING, "The job is running")
        return Health(
            HealthStatus.DEGRADED, "CronJob has not completed its last execution successfully"
        )
    return Health(HealthStatus.HEALTHY, "The last job was successful")
