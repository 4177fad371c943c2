"""Validation of the workload kinds: Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob.

Messages and field paths follow Kubernetes 1.32 ``pkg/apis/apps/validation`` and
``pkg/apis/batch/validation``. Objects are expected to be defaulted first, as on a real
server (so a Job template's defaulted ``restartPolicy: Always`` is what gets rejected).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from kaiun.localcluster import fielderrors as fe
from kaiun.localcluster.cronschedule import schedule_error
from kaiun.localcluster.fielderrors import Cause
from kaiun.localcluster.jsonshape import mapping
from kaiun.localcluster.names import is_dns1123_label, regex_error
from kaiun.localcluster.podspec_validation import validate_pod_template
from kaiun.localcluster.selector_validation import (
    is_empty_selector,
    selector_matches,
    validate_selector,
)

_PERCENT = re.compile(r"^[0-9]+%$")


def _nonnegative(path: str, value: Any) -> list[Cause]:
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        return [fe.invalid(path, value, "must be greater than or equal to 0")]
    return []


def _spec(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = obj.get("spec")
    return spec if isinstance(spec, Mapping) else {}


def _template_labels(template: Any) -> Any:
    if not isinstance(template, Mapping):
        return None
    metadata = template.get("metadata")
    return metadata.get("labels") if isinstance(metadata, Mapping) else None


def selector_and_template(spec: Mapping[str, Any], kind: str, *, required: bool) -> list[Cause]:
    """Selector presence/syntax, then ``selector`` matching the template labels."""
    causes: list[Cause] = []
    selector = spec.get("selector")
    if selector is None:
        if required:
            causes.append(fe.required("spec.selector"))
    else:
        causes += validate_selector(selector, "spec.selector")
        if is_empty_selector(selector):
            detail = f"empty selector is invalid for {kind}"
            causes.append(fe.invalid("spec.selector", fe.go_label_selector(selector), detail))
    labels = _template_labels(spec.get("template"))
    if not selector_matches(selector, labels):
        rendered = fe.go_string_map(labels)
        detail = "`selector` does not match template `labels`"
        causes.append(fe.invalid("spec.template.metadata.labels", rendered, detail))
    return causes


def _restart_always(spec: Mapping[str, Any]) -> list[Cause]:
    template = mapping(spec.get("template"))
    pod = template.get("spec") if isinstance(template, Mapping) else None
    policy = pod.get("restartPolicy") if isinstance(pod, Mapping) else None
    if policy not in (None, "Always"):
        return [fe.not_supported("spec.template.spec.restartPolicy", policy, ("Always",))]
    return []


def _int_or_percent(path: str, value: Any) -> list[Cause]:
    if isinstance(value, str):
        if not _PERCENT.match(value):
            msg = "a valid percent string must be a numeric string followed by an ending '%'"
            return [fe.invalid(path, value, regex_error(msg, "[0-9]+%", "1%", "93%"))]
        return []
    return _nonnegative(path, value)


def _is_zero(value: Any) -> bool:
    return value in (0, "0%")


def _deployment_strategy(spec: Mapping[str, Any]) -> list[Cause]:
    strategy = mapping(spec.get("strategy"))
    kind = strategy.get("type")
    rolling = strategy.get("rollingUpdate")
    path = "spec.strategy"
    if kind in (None, ""):
        return [fe.required(f"{path}.type")]
    if kind == "Recreate":
        if rolling is not None:
            detail = "may not be specified when strategy `type` is 'Recreate'"
            return [fe.forbidden(f"{path}.rollingUpdate", detail)]
        return []
    if kind != "RollingUpdate":
        return [fe.not_supported(f"{path}.type", kind, ("Recreate", "RollingUpdate"))]
    if not isinstance(rolling, Mapping):
        return [fe.required(f"{path}.rollingUpdate", "this should be defaulted and never be nil")]
    unavailable, surge = rolling.get("maxUnavailable"), rolling.get("maxSurge")
    causes = _int_or_percent(f"{path}.rollingUpdate.maxUnavailable", unavailable)
    causes += _int_or_percent(f"{path}.rollingUpdate.maxSurge", surge)
    if _is_zero(unavailable) and _is_zero(surge):
        detail = "may not be 0 when `maxSurge` is 0"
        causes.append(fe.invalid(f"{path}.rollingUpdate.maxUnavailable", unavailable, detail))
    if isinstance(unavailable, str) and _PERCENT.match(unavailable) and int(unavailable[:-1]) > 100:
        detail = "must not be greater than 100%"
        causes.append(fe.invalid(f"{path}.rollingUpdate.maxUnavailable", unavailable, detail))
    return causes


def validate_deployment(obj: Mapping[str, Any]) -> list[Cause]:
    """``ValidateDeploymentSpec``."""
    spec = _spec(obj)
    causes = _nonnegative("spec.replicas", spec.get("replicas"))
    causes += selector_and_template(spec, "deployment", required=True)
    causes += validate_pod_template(spec.get("template"), "spec.template")
    causes += _restart_always(spec)
    causes += _deployment_strategy(spec)
    for key in ("minReadySeconds", "revisionHistoryLimit", "progressDeadlineSeconds"):
        causes += _nonnegative(f"spec.{key}", spec.get(key))
    deadline, ready = spec.get("progressDeadlineSeconds"), spec.get("minReadySeconds") or 0
    if isinstance(deadline, int) and isinstance(ready, int) and deadline <= ready:
        detail = "must be greater than minReadySeconds"
        causes.append(fe.invalid("spec.progressDeadlineSeconds", deadline, detail))
    return causes


def validate_replicaset(obj: Mapping[str, Any]) -> list[Cause]:
    """``ValidateReplicaSetSpec``."""
    spec = _spec(obj)
    causes = _nonnegative("spec.replicas", spec.get("replicas"))
    causes += _nonnegative("spec.minReadySeconds", spec.get("minReadySeconds"))
    causes += selector_and_template(spec, "deployment", required=True)
    causes += validate_pod_template(spec.get("template"), "spec.template")
    causes += _restart_always(spec)
    return causes


def validate_statefulset(obj: Mapping[str, Any]) -> list[Cause]:
    """``ValidateStatefulSetSpec``."""
    spec = _spec(obj)
    causes: list[Cause] = []
    policy = spec.get("podManagementPolicy")
    if not policy:
        causes.append(fe.required("spec.podManagementPolicy"))
    elif policy not in ("OrderedReady", "Parallel"):
        detail = "must be 'OrderedReady' or 'Parallel'"
        causes.append(fe.invalid("spec.podManagementPolicy", policy, detail))
    strategy = mapping(spec.get("updateStrategy"))
    kind = strategy.get("type")
    if not kind:
        causes.append(fe.required("spec.updateStrategy"))
    elif kind == "OnDelete" and strategy.get("rollingUpdate") is not None:
        detail = "only allowed for updateStrategy 'RollingUpdate'"
        causes.append(fe.invalid("spec.updateStrategy.rollingUpdate", fe.GoLiteral("{}"), detail))
    elif kind not in ("OnDelete", "RollingUpdate"):
        causes.append(
            fe.not_supported("spec.updateStrategy.type", kind, ("OnDelete", "RollingUpdate"))
        )
    rolling = mapping(strategy.get("rollingUpdate"))
    causes += _nonnegative("spec.updateStrategy.rollingUpdate.partition", rolling.get("partition"))
    causes += _nonnegative("spec.replicas", spec.get("replicas"))
    causes += selector_and_template(spec, "statefulset", required=True)
    causes += validate_pod_template(spec.get("template"), "spec.template")
    causes += _restart_always(spec)
    return causes


def validate_daemonset(obj: Mapping[str, Any]) -> list[Cause]:
    """``ValidateDaemonSetSpec``."""
    spec = _spec(obj)
    causes = selector_and_template(spec, "daemonset", required=True)
    causes += validate_pod_template(spec.get("template"), "spec.template")
    causes += _restart_always(spec)
    strategy = mapping(spec.get("updateStrategy"))
    kind = strategy.get("type")
    if kind not in ("OnDelete", "RollingUpdate"):
        path = "spec.updateStrategy.type"
        causes.append(fe.not_supported(path, kind or "", ("OnDelete", "RollingUpdate")))
    causes += _nonnegative("spec.revisionHistoryLimit", spec.get("revisionHistoryLimit"))
    return causes


def _job_restart_policy(spec: Mapping[str, Any], path: str) -> list[Cause]:
    template = mapping(spec.get("template"))
    pod = template.get("spec") if isinstance(template, Mapping) else None
    policy = pod.get("restartPolicy") if isinstance(pod, Mapping) else None
    p = f"{path}.template.spec.restartPolicy"
    if policy in (None, "", "Always"):
        # The pod-spec default (Always) is what a Job without a policy ends up with.
        return [fe.required(p, 'valid values: "OnFailure", "Never"')]
    if policy not in ("OnFailure", "Never"):
        return [fe.not_supported(p, policy, ("OnFailure", "Never"))]
    if spec.get("podFailurePolicy") is not None and policy != "Never":
        return [
            fe.invalid(p, policy, 'only "Never" is supported when podFailurePolicy is specified')
        ]
    return []


def _job_spec(spec: Mapping[str, Any], path: str) -> list[Cause]:
    causes: list[Cause] = []
    for key in ("parallelism", "completions", "activeDeadlineSeconds", "backoffLimit"):
        causes += _nonnegative(f"{path}.{key}", spec.get(key))
    for key in ("ttlSecondsAfterFinished", "backoffLimitPerIndex", "maxFailedIndexes"):
        causes += _nonnegative(f"{path}.{key}", spec.get(key))
    mode = spec.get("completionMode")
    if mode not in (None, "NonIndexed", "Indexed"):
        causes.append(fe.not_supported(f"{path}.completionMode", mode, ("NonIndexed", "Indexed")))
    if mode == "Indexed" and spec.get("completions") is None:
        causes.append(fe.required(f"{path}.completions", "when completion mode is Indexed"))
    if mode != "Indexed" and spec.get("backoffLimitPerIndex") is not None:
        detail = "requires indexed completion mode"
        value = spec["backoffLimitPerIndex"]
        causes.append(fe.invalid(f"{path}.backoffLimitPerIndex", value, detail))
    replacement = spec.get("podReplacementPolicy")
    if replacement not in (None, "Failed", "TerminatingOrFailed"):
        supported = ("Failed", "TerminatingOrFailed")
        causes.append(fe.not_supported(f"{path}.podReplacementPolicy", replacement, supported))
    causes += validate_pod_template(spec.get("template"), f"{path}.template")
    causes += _job_restart_policy(spec, path)
    return causes


def validate_job(obj: Mapping[str, Any]) -> list[Cause]:
    """``ValidateJob``: counts, completion mode, template, selector (generated unless manual)."""
    spec = _spec(obj)
    causes = _job_spec(spec, "spec")
    if spec.get("selector") is None:
        causes.append(fe.required("spec.selector"))
    else:
        causes += validate_selector(spec["selector"], "spec.selector")
    if spec.get("selector") is not None:
        labels = _template_labels(spec.get("template"))
        if not selector_matches(spec["selector"], labels):
            detail = "`selector` does not match template `labels`"
            causes.append(
                fe.invalid("spec.template.metadata.labels", fe.go_string_map(labels), detail)
            )
    name = str(mapping(obj.get("metadata")).get("name") or "")
    completions = spec.get("completions")
    if spec.get("completionMode") == "Indexed" and isinstance(completions, int) and completions > 0:
        hostname = f"{name}-{completions - 1}"
        if is_dns1123_label(hostname):
            detail = f"will not able to create pod with invalid DNS label: {hostname}"
            causes.append(fe.invalid("metadata.name", name, detail))
    return causes


_TIME_ZONE_PART = re.compile(r"^[A-Za-z.\-_0-9+]{1,14}$")


def _time_zone(zone: Any) -> list[Cause]:
    if zone is None:
        return []
    text = str(zone)
    if not text:
        return [fe.invalid("spec.timeZone", text, "timeZone must be nil or non-empty string")]
    for part in text.split("/"):
        if part in (".", "..") or part.startswith("-") or not _TIME_ZONE_PART.match(part):
            return [fe.invalid("spec.timeZone", text, f"unknown time zone {text}")]
    if text.lower() == "local":
        detail = (
            "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"
        )
        return [fe.invalid("spec.timeZone", text, detail)]
    return []


def _schedule(spec: Mapping[str, Any], old_schedule: str | None) -> list[Cause]:
    schedule = spec.get("schedule")
    if not schedule:
        return [fe.required("spec.schedule")]
    text = str(schedule)
    causes: list[Cause] = []
    error = schedule_error(text)
    if error:
        causes.append(fe.invalid("spec.schedule", text, error))
    allow_tz = old_schedule is not None and "TZ" in old_schedule
    if allow_tz and "TZ" in text and spec.get("timeZone") is not None:
        detail = "cannot use both timeZone field and TZ or CRON_TZ in schedule"
        causes.append(fe.invalid("spec.schedule", text, detail))
    elif not allow_tz and "TZ" in text:
        detail = "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"
        causes.append(fe.invalid("spec.schedule", text, detail))
    return causes


def validate_cronjob(obj: Mapping[str, Any], old: Mapping[str, Any] | None = None) -> list[Cause]:
    """``ValidateCronJobCreate`` (``old`` is None) or the spec part of ``ValidateCronJobUpdate``."""
    spec = _spec(obj)
    old_spec = _spec(old) if old is not None else None
    old_schedule = str(old_spec.get("schedule") or "") if old_spec is not None else None
    causes = _schedule(spec, old_schedule)
    causes += _nonnegative("spec.startingDeadlineSeconds", spec.get("startingDeadlineSeconds"))
    if old_spec is None or old_spec.get("timeZone") != spec.get("timeZone"):
        causes += _time_zone(spec.get("timeZone"))
    policy = spec.get("concurrencyPolicy")
    if not policy:
        causes.append(fe.required("spec.concurrencyPolicy"))
    elif policy not in ("Allow", "Forbid", "Replace"):
        causes.append(
            fe.not_supported("spec.concurrencyPolicy", policy, ("Allow", "Forbid", "Replace"))
        )
    causes += _job_template(spec.get("jobTemplate"))
    for key in ("successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
        causes += _nonnegative(f"spec.{key}", spec.get(key))
    name = str(mapping(obj.get("metadata")).get("name") or "")
    if old is None and len(name) > 52:
        causes.append(fe.invalid("metadata.name", name, "must be no more than 52 characters"))
    return causes


def _job_template(job_template: Any) -> list[Cause]:
    job_spec = job_template.get("spec") if isinstance(job_template, Mapping) else None
    if not isinstance(job_spec, Mapping):
        return [fe.required("spec.jobTemplate.spec")]
    causes = _job_spec(job_spec, "spec.jobTemplate.spec")
    if job_spec.get("selector") is not None:
        rendered = fe.go_label_selector(job_spec["selector"])
        detail = "`selector` will be auto-generated"
        causes.append(fe.invalid("spec.jobTemplate.spec.selector", rendered, detail))
    if job_spec.get("manualSelector") is True:
        path = "spec.jobTemplate.spec.manualSelector"
        causes.append(fe.not_supported(path, fe.GoLiteral("true"), ("nil", "false")))
    return causes
