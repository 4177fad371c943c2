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
from kaiun.localcluster.names import regex_error
from kaiun.localcluster.podspec_validation import validate_pod_template
from kaiun.localcluster.selectors import is_empty_selector, selector_matches, validate_selector

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
    template = spec.get("template") or {}
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
    strategy = spec.get("strategy") or {}
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
    strategy = spec.get("updateStrategy") or {}
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
    rolling = strategy.get("rollingUpdate") or {}
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
    strategy = spec.get("updateStrategy") or {}
    kind = strategy.get("type")
    if kind not in ("OnDelete", "RollingUpdate"):
        path = "spec.updateStrategy.type"
        causes.append(fe.not_supported(path, kind or "", ("OnDelete", "RollingUpdate")))
    causes += _nonnegative("spec.revisionHistoryLimit", spec.get("revisionHistoryLimit"))
    return causes


def _job_spec(spec: Mapping[str, Any], path: str) -> list[Cause]:
    causes: list[Cause] = []
    for key in ("parallelism", "completions", "backoffLimit", "activeDeadlineSeconds"):
        causes += _nonnegative(f"{path}.{key}", spec.get(key))
    mode = spec.get("completionMode")
    if mode not in (None, "NonIndexed", "Indexed"):
        causes.append(fe.not_supported(f"{path}.completionMode", mode, ("NonIndexed", "Indexed")))
    if mode == "Indexed" and spec.get("completions") is None:
        causes.append(fe.required(f"{path}.completions", "when completion mode is Indexed"))
    causes += validate_pod_template(spec.get("template"), f"{path}.template")
    template = spec.get("template") or {}
    pod = template.get("spec") if isinstance(template, Mapping) else None
    policy = pod.get("restartPolicy") if isinstance(pod, Mapping) else None
    if policy not in ("OnFailure", "Never"):
        path_policy = f"{path}.template.spec.restartPolicy"
        causes.append(fe.not_supported(path_policy, policy or "", ("OnFailure", "Never")))
    return causes


def validate_job(obj: Mapping[str, Any]) -> list[Cause]:
    """``ValidateJob``: counts, completion mode, selector (generated unless manual), template."""
    spec = _spec(obj)
    causes: list[Cause] = []
    if spec.get("selector") is None:
        causes.append(fe.required("spec.selector"))
    else:
        causes += validate_selector(spec["selector"], "spec.selector")
        if not selector_matches(spec["selector"], _template_labels(spec.get("template"))):
            labels = fe.go_string_map(_template_labels(spec.get("template")))
            detail = "`selector` does not match template `labels`"
            causes.append(fe.invalid("spec.template.metadata.labels", labels, detail))
    causes += _job_spec(spec, "spec")
    return causes


def validate_cronjob(obj: Mapping[str, Any], *, creating: bool = True) -> list[Cause]:
    """``ValidateCronJobCreate``: name length, schedule syntax, policies, job template."""
    causes: list[Cause] = []
    name = str((obj.get("metadata") or {}).get("name") or "")
    if creating and len(name) > 52:
        causes.append(fe.invalid("metadata.name", name, "must be no more than 52 characters"))
    spec = _spec(obj)
    schedule = spec.get("schedule")
    if not schedule:
        causes.append(fe.required("spec.schedule"))
    else:
        error = schedule_error(str(schedule))
        if error:
            causes.append(fe.invalid("spec.schedule", schedule, error))
        if "TZ" in str(schedule):
            detail = "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"
            causes.append(fe.invalid("spec.schedule", schedule, detail))
    policy = spec.get("concurrencyPolicy")
    if policy not in ("Allow", "Forbid", "Replace"):
        path = "spec.concurrencyPolicy"
        causes.append(fe.not_supported(path, policy or "", ("Allow", "Forbid", "Replace")))
    for key in ("startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
        causes += _nonnegative(f"spec.{key}", spec.get(key))
    job_template = spec.get("jobTemplate") or {}
    job_spec = job_template.get("spec") if isinstance(job_template, Mapping) else None
    if not isinstance(job_spec, Mapping):
        return [*causes, fe.required("spec.jobTemplate.spec")]
    causes += _job_spec(job_spec, "spec.jobTemplate.spec")
    if job_spec.get("selector") is not None:
        rendered = fe.go_label_selector(job_spec["selector"])
        detail = "`selector` will be auto-generated"
        causes.append(fe.invalid("spec.jobTemplate.spec.selector", rendered, detail))
    return causes
