"""Fixture table for the re-entrant step, plus record/conclude/terminate and retries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from kaiun import sync

CASES = yaml.safe_load((Path(__file__).parent / "fixtures" / "step.yaml").read_text())
_GROUPS = {"Deployment": "apps/v1", "Job": "batch/v1"}


def _live_status(kind: str, state: str) -> dict[str, Any]:
    if kind == "Job":
        cond = {"complete": "Complete", "failed": "Failed"}.get(state)
        if cond is None:
            return {}
        message = "Job has reached the specified backoff limit" if state == "failed" else ""
        return {"conditions": [{"type": cond, "status": "True", "message": message}]}
    if kind == "Deployment" and state == "running":
        return {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 0}
    return {}


def _task(spec: dict[str, Any]) -> sync.SyncTask:
    phase, wave, ref = spec["task"].split()
    kind, name = ref.split("/")
    annotations = {}
    if "policy" in spec:
        annotations["argocd.argoproj.io/hook-delete-policy"] = spec["policy"]
    if spec.get("hook"):
        annotations["argocd.argoproj.io/hook"] = phase
    if "options" in spec:
        annotations["argocd.argoproj.io/sync-options"] = spec["options"]
    meta: dict[str, Any] = {"name": name, "annotations": annotations}
    if kind != "Namespace":
        meta["namespace"] = "ns"
    obj = {"apiVersion": _GROUPS.get(kind, "v1"), "kind": kind, "metadata": meta}
    live = None
    state = spec.get("live", "absent")
    if state != "absent":
        live = {**obj, "metadata": {**meta, "generation": 1}, "status": _live_status(kind, state)}
        if spec.get("finalizer"):
            live["metadata"]["finalizers"] = ["argocd.argoproj.io/hook-finalizer"]
        if state == "deleting":
            live["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    options = sync.SyncOptions().for_resource(obj)
    return sync.SyncTask(
        sync.SyncPhase(phase),
        int(wave),
        None if spec.get("prune") else obj,
        live,
        hook=bool(spec.get("hook")),
        options=options,
        error=spec.get("error", ""),
        out_of_sync=not spec.get("in_sync", False),
        creates_namespace=bool(spec.get("creates_namespace")),
    )


def _state(case: dict[str, Any], tasks: list[sync.SyncTask]) -> sync.SyncState:
    state = sync.SyncState(validated=case.get("validated", True))
    by_ref = {f"{t.key.kind}/{t.key.name}:{t.phase.value}": t for t in tasks}
    for ref, (status, phase, message) in (case.get("results") or {}).items():
        state = state.with_result(by_ref[ref], status, phase, message)
    return state


def _actions(decided: sync.Step) -> list[str]:
    return [
        f"{a.verb.value} " + ",".join(f"{t.key.kind}/{t.key.name}" for t in a.tasks)
        for a in decided.actions
        if a.tasks or a.verb is not sync.Verb.DRY_RUN
    ]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_step(case: dict[str, Any]) -> None:
    tasks = [_task(s) for s in case["tasks"]]
    cfg = sync.StepConfig(
        prune=case.get("prune", False),
        apply_out_of_sync_only=case.get("apply_out_of_sync_only", False),
    )
    decided = sync.step(_state(case, tasks), tasks, cfg)
    expect = case["expect"]
    if "phase" in expect:
        assert decided.state.phase.value == expect["phase"]
    if "message" in expect:
        assert decided.state.message.startswith(expect["message"]), decided.state.message
    if "actions" in expect:
        assert _actions(decided) == expect["actions"]
    if "finish" in expect:
        assert decided.finish is not None
        assert [decided.finish[0].value, decided.finish[1]] == expect["finish"]
    else:
        assert decided.finish is None
    assert decided.wave_delay is expect.get("wave_delay", decided.wave_delay)
    assert decided.waiting is expect.get("waiting", False)
    by_ref = {f"{r.kind}/{r.name}:{r.sync_phase}": r for r in decided.state.results}
    for ref, (status, phase, message) in (expect.get("results") or {}).items():
        got = by_ref[ref]
        assert (got.status, got.hook_phase, got.message) == (status, phase, message)


def test_record_and_conclude() -> None:
    task = _task({"task": "Sync 0 ConfigMap/a"})
    action = sync.Action(sync.Verb.APPLY, (task,))
    state = sync.record(sync.SyncState(), action, [sync.Outcome(task, True, "configmap/a created")])
    (res,) = state.results
    assert (res.status, res.hook_phase, res.message) == ("Synced", "Running", "configmap/a created")
    decided = sync.Step(state, (action,), finish=(sync.OperationPhase.SUCCEEDED, "done"))
    assert sync.conclude(state, decided, True).phase is sync.OperationPhase.SUCCEEDED
    assert sync.conclude(state, decided, False).phase is sync.OperationPhase.RUNNING
    dry = sync.Action(sync.Verb.DRY_RUN, (task,), fail_message="dry run failed")
    failed = sync.record(sync.SyncState(), dry, [sync.Outcome(task, False, "nope")])
    assert failed.phase is sync.OperationPhase.FAILED
    assert failed.message == "dry run failed, reason: nope"
    assert not failed.validated
    in_dry_run = sync.record(
        sync.SyncState(), action, [sync.Outcome(task, True, "ok")], dry_run=True
    )
    assert in_dry_run.results[0].hook_phase == "Succeeded"


def test_terminate_marks_running_hooks_and_deletes_them() -> None:
    hook = _task({"task": "PreSync 0 Job/pre", "hook": True, "live": "running", "finalizer": True})
    state = sync.SyncState(validated=True).with_result(hook, "Synced", "Running", "")
    decided = sync.terminate(state, [hook])
    assert decided.finish == (sync.OperationPhase.FAILED, "Operation terminated")
    assert [a.verb for a in decided.actions] == [sync.Verb.REMOVE_FINALIZER, sync.Verb.DELETE]
    assert decided.state.results[0].message == "Terminated"


def test_state_round_trips_through_operation_state_json() -> None:
    hook = _task({"task": "PreSync 0 Job/pre", "hook": True})
    res = _task({"task": "Sync 0 ConfigMap/a"})
    state = (
        sync.SyncState(validated=True)
        .with_result(hook, "Synced", "Succeeded", "done")
        .with_result(res, "Synced", "Running", "configmap/a created")
        .with_phase(sync.OperationPhase.RUNNING, "one or more tasks are running")
    )
    doc = sync.operation_state(
        state, operation={"sync": {}}, revision="r", started_at="t", finished_at=None, retry_count=2
    )
    assert doc["retryCount"] == 2 and "finishedAt" not in doc
    assert doc["syncResult"]["resources"][0] == {
        "group": "batch",
        "version": "v1",
        "kind": "Job",
        "namespace": "ns",
        "name": "pre",
        "status": "Synced",
        "message": "done",
        "hookType": "PreSync",
        "hookPhase": "Succeeded",
        "syncPhase": "PreSync",
    }
    again = sync.SyncState.from_json(doc)
    assert again.results == state.results and again.validated
    assert again.result(hook) is not None and again.result(res) is not None


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("5s", 5.0),
        ("3m", 180.0),
        ("1m30s", 90.0),
        ("500ms", 0.5),
        ("1h", 3600.0),
        ("10", 10.0),
        ("1.5s", 1.5),
        (7, 7.0),
    ],
)
def test_parse_duration(text: str | int, seconds: float) -> None:
    assert sync.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "s", "5x", "1m 2s", "abc", "m5"])
def test_parse_duration_rejects_garbage(text: str) -> None:
    with pytest.raises(sync.RetryPolicyError):
        sync.parse_duration(text)


def test_retry_policy_defaults_and_limits() -> None:
    policy = sync.RetryPolicy.parse({"limit": 5})
    assert [policy.delay(n) for n in range(5)] == [5, 10, 20, 40, 80]
    assert policy.allows(4) and not policy.allows(5)
    assert sync.RetryPolicy.parse({"limit": -1}).allows(10_000)
    assert not sync.RetryPolicy.parse(None).allows(0)
    capped = sync.RetryPolicy.parse({"limit": 9, "backoff": {"duration": "1m", "factor": 3}})
    assert capped.delay(3) == 180.0


@given(st.floats(0.1, 100), st.floats(1, 5), st.floats(1, 1000), st.integers(0, 30))
def test_backoff_grows_and_stays_capped(base: float, factor: float, cap: float, n: int) -> None:
    policy = sync.RetryPolicy(limit=-1, duration=base, factor=factor, max_duration=cap)
    assert policy.delay(n) <= cap
    assert policy.delay(n) <= policy.delay(n + 1)
