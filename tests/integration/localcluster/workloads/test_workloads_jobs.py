"""Jobs run to completion or fail; CronJobs start Jobs on schedule and prune history."""

from __future__ import annotations

from typing import Any

from tests.integration.localcluster.workloads.workload_kit import Kns, cond

JOB = """
apiVersion: batch/v1
kind: Job
metadata: {{name: {name}}}
spec:
  completions: {completions}
  parallelism: {parallelism}
  backoffLimit: {backoff}
  template:
    metadata: {{annotations: {annotations}}}
    spec:
      restartPolicy: {policy}
      containers: [{{name: work, image: busybox}}]
"""


def job(
    name: str,
    *,
    completions: int = 1,
    parallelism: int = 1,
    backoff: int = 6,
    mode: str = "",
    policy: str = "Never",
) -> str:
    annotations = f"{{local.kaiun.io/simulate: {mode}}}" if mode else "{}"
    return JOB.format(
        name=name,
        completions=completions,
        parallelism=parallelism,
        backoff=backoff,
        annotations=annotations,
        policy=policy,
    )


def test_job_completes(k: Kns) -> None:
    k.apply(job("work", completions=3, parallelism=2))
    k("wait", "--for=condition=Complete", "job/work", "--timeout=30s")
    j = k.get("job", "work")
    st = j["status"]
    assert st["succeeded"] == 3 and "failed" not in st and "active" not in st
    assert st["startTime"] <= st["completionTime"]
    for ctype in ("SuccessCriteriaMet", "Complete"):
        c = cond(j, ctype)
        assert (c["status"], c["reason"]) == ("True", "CompletionsReached")
    pods = k.items("pods", "-l", "job-name=work")
    assert len(pods) == 3 and {p["status"]["phase"] for p in pods} == {"Succeeded"}
    assert all(p["metadata"]["ownerReferences"][0]["uid"] == j["metadata"]["uid"] for p in pods)
    events = k("get", "events", "--field-selector", "involvedObject.kind=Job")
    assert "Created pod: work-" in events and "Job completed" in events


def test_job_failure_exceeds_backoff_limit(k: Kns) -> None:
    k.apply(job("doomed", backoff=1, mode="Fail"))
    k("wait", "--for=condition=Failed", "job/doomed", "--timeout=30s")
    j = k.get("job", "doomed")
    failed = cond(j, "Failed")
    assert (failed["reason"], failed["message"]) == (
        "BackoffLimitExceeded",
        "Job has reached the specified backoff limit",
    )
    assert cond(j, "FailureTarget")["status"] == "True"
    assert j["status"]["failed"] == 2 and "completionTime" not in j["status"]
    warnings = k.items("events", "--field-selector", "type=Warning,involvedObject.kind=Job")
    assert [e["reason"] for e in warnings] == ["BackoffLimitExceeded"]


def test_job_on_failure_counts_restarts(k: Kns) -> None:
    k.apply(job("retry", backoff=1, mode="Fail", policy="OnFailure"))
    k("wait", "--for=condition=Failed", "job/retry", "--timeout=30s")
    assert k.items("pods", "-l", "job-name=retry") == []


def test_job_ttl_after_finished_deletes_it(k: Kns) -> None:
    manifest = job("brief").replace(
        "  backoffLimit: 6", "  backoffLimit: 6\n  ttlSecondsAfterFinished: 1"
    )
    k.apply(manifest)
    k.wait(lambda: not k.items("jobs"), what="job deleted after its TTL")


CRON = """
apiVersion: batch/v1
kind: CronJob
metadata:
  name: tick
  annotations: {{local.kaiun.io/every-seconds: "1"}}
spec:
  schedule: "*/5 * * * *"
  concurrencyPolicy: {policy}
  successfulJobsHistoryLimit: 2
  failedJobsHistoryLimit: 1
  jobTemplate:
    metadata: {{labels: {{app: tick}}}}
    spec:
      backoffLimit: 0
      template:
        metadata: {{annotations: {annotations}}}
        spec:
          restartPolicy: Never
          containers: [{{name: work, image: busybox}}]
"""


def cron(*, policy: str = "Allow", annotations: str = "{}") -> str:
    return CRON.format(policy=policy, annotations=annotations)


def test_cronjob_creates_jobs_and_keeps_history(k: Kns) -> None:
    k.apply(cron())

    def pruned() -> Any:
        events = k("get", "events", "--field-selector", "involvedObject.kind=CronJob")
        return "SuccessfulDelete" in events and events

    events = k.wait(pruned, timeout=30, what="history pruned")
    assert "Created job tick-" in events and "Saw completed job: tick-" in events
    cj = k.until(
        lambda: k.get("cronjob", "tick"),
        lambda c: "lastSuccessfulTime" in c.get("status", {}),
        what="lastSuccessfulTime",
    )
    assert cj["status"]["lastScheduleTime"].endswith("Z")
    # A job that just finished is pruned on the controller's next pass, so poll briefly.
    jobs = k.until(
        lambda: k.items("jobs", "-l", "app=tick"),
        lambda js: len([j for j in js if cond(j, "Complete").get("status") == "True"]) <= 2,
        what="at most 2 completed jobs kept",
    )
    for j in jobs:
        assert j["metadata"]["ownerReferences"][0]["kind"] == "CronJob"
        assert "batch.kubernetes.io/cronjob-scheduled-timestamp" in j["metadata"]["annotations"]
    k("patch", "cronjob/tick", "--type=merge", "-p", '{"spec":{"suspend":true}}')


def test_cronjob_failed_history_and_active_list(k: Kns) -> None:
    k.apply(cron(annotations='{local.kaiun.io/simulate: Fail, local.kaiun.io/run-seconds: "3"}'))
    cj = k.until(
        lambda: k.get("cronjob", "tick"),
        lambda c: c.get("status", {}).get("active"),
        what="an active job",
    )
    ref = cj["status"]["active"][0]
    assert ref["kind"] == "Job" and ref["name"].startswith("tick-")

    def failed_jobs() -> list[Any]:
        return [j for j in k.items("jobs", "-l", "app=tick") if cond(j, "Failed")]

    k.wait(lambda: len(failed_jobs()) == 1, timeout=30, what="one failed job")
    k.wait(
        lambda: (
            "SuccessfulDelete"
            in k("get", "events", "--field-selector", "involvedObject.kind=CronJob")
        ),
        timeout=30,
        what="failed history pruned",
    )
    k.wait(lambda: len(failed_jobs()) <= 1, what="at most 1 failed job kept")
    k("patch", "cronjob/tick", "--type=merge", "-p", '{"spec":{"suspend":true}}')


def test_cronjob_forbid_skips_while_active(k: Kns) -> None:
    k.apply(cron(policy="Forbid", annotations='{local.kaiun.io/run-seconds: "30"}'))
    k.wait(lambda: k.items("jobs", "-l", "app=tick"), what="first job")
    cj = k.until(
        lambda: k.get("cronjob", "tick"),
        lambda c: c.get("status", {}).get("active"),
        what="active job",
    )
    first_schedule = cj["status"]["lastScheduleTime"]
    k.wait(
        lambda: k.items("events", "--field-selector", "reason=JobAlreadyActive"),
        what="a run held back by Forbid",
    )
    assert len(k.items("jobs", "-l", "app=tick")) == 1
    assert k.get("cronjob", "tick")["status"]["lastScheduleTime"] == first_schedule
    k("patch", "cronjob/tick", "--type=merge", "-p", '{"spec":{"suspend":true}}')


def test_cronjob_with_a_bad_time_zone_reports_it(k: Kns) -> None:
    k.apply(
        cron().replace(
            '  schedule: "*/5 * * * *"', '  schedule: "*/5 * * * *"\n  timeZone: Mars/Olympus'
        )
    )
    events = k.wait(
        lambda: k.items("events", "--field-selector", "reason=UnknownTimeZone"),
        what="UnknownTimeZone event",
    )
    assert events[0]["type"] == "Warning"
    assert k.items("jobs") == []
