"""Retries, wave delay, termination, resuming after a restart, and bad input."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from kaiun.kube import ClusterConfig
from tests.integration.sync.conftest import (
    Recorder,
    cm,
    deployment,
    job_hook,
    run,
    sync_app,
    tracked,
)
from tests.support import Kubectl


def _exists(kubectl: Kubectl, namespace: str, kind: str, name: str) -> bool:
    return kubectl.run("get", kind, name, "-n", namespace, check=False).returncode == 0


def test_retry_counts_and_backoff(kube_config: ClusterConfig, kubectl: Kubectl) -> None:
    missing = f"t-{uuid.uuid4().hex[:8]}"  # never created: every attempt fails its dry run
    rec = Recorder()
    retry = {"limit": 3, "backoff": {"duration": "2s", "factor": 2, "maxDuration": "5s"}}
    result = run(sync_app(kube_config, [cm("c")], namespace=missing, retry=retry, recorder=rec))
    assert result["phase"] == "Failed"
    assert result["retryCount"] == 3
    assert rec.sleeps == [2.0, 4.0, 5.0]
    retrying = [s["message"] for s in rec.states if s["message"].startswith("Retrying attempt #")]
    assert [m.split(" at ")[0] for m in retrying] == [
        "Retrying attempt #1",
        "Retrying attempt #2",
        "Retrying attempt #3",
    ]


def test_retry_from_sync_policy_succeeds_once_fixed(
    kube_config: ClusterConfig, kubectl: Kubectl
) -> None:
    target = f"t-{uuid.uuid4().hex[:8]}"
    rec = Recorder()

    async def create_namespace_then_wait(seconds: float) -> None:
        rec.sleeps.append(seconds)
        kubectl("create", "namespace", target)

    rec.sleep = create_namespace_then_wait  # type: ignore[method-assign]
    policy = {"retry": {"limit": 5, "backoff": {"duration": "1s"}}}
    try:
        result = run(
            sync_app(kube_config, [cm("c")], namespace=target, sync_policy=policy, recorder=rec)
        )
        assert result["phase"] == "Succeeded", result["message"]
        assert result["retryCount"] == 1
        assert rec.sleeps == [1.0]
    finally:
        kubectl.run("delete", "namespace", target, "--wait=false", check=False)


def test_wave_delay_between_waves(kube_config: ClusterConfig, namespace: str) -> None:
    rec = Recorder()
    manifests = [cm("a", 0), cm("b", 1), cm("c", 2)]
    result = run(
        sync_app(kube_config, manifests, namespace=namespace, recorder=rec, wave_delay=2.0)
    )
    assert result["phase"] == "Succeeded"
    assert rec.sleeps == [2.0, 2.0]  # after waves 0 and 1, not after the last


def _long_hook(name: str, seconds: int) -> dict[str, Any]:
    hook = job_hook(name, "PreSync")
    hook["spec"]["template"]["metadata"]["annotations"]["local.kaiun.io/run-seconds"] = str(seconds)
    return hook


def test_terminate_stops_and_deletes_running_hook(
    kube_config: ClusterConfig, namespace: str, kubectl: Kubectl
) -> None:
    rec = Recorder()

    def hook_running() -> bool:
        return any(
            r.get("hookPhase") == "Running"
            for s in rec.states
            for r in s["syncResult"]["resources"]
        )

    manifests = [_long_hook("slow", 60), cm("after")]
    result = run(
        sync_app(
            kube_config,
            manifests,
            namespace=namespace,
            recorder=rec,
            terminate_requested=hook_running,
        )
    )
    assert result["phase"] == "Failed"
    assert result["message"] == "Operation terminated"
    (hook,) = result["syncResult"]["resources"]
    assert (hook["name"], hook["hookPhase"], hook["message"]) == ("slow", "Failed", "Terminated")
    assert not _exists(kubectl, namespace, "configmap", "after")
    gone = kubectl.run("get", "job", "slow", "-n", namespace, "-o", "json", check=False)
    assert gone.returncode != 0 or json.loads(gone.stdout)["metadata"].get("deletionTimestamp")


def test_resume_after_restart_does_not_rerun_succeeded_hooks(
    kube_config: ClusterConfig, namespace: str, kubectl: Kubectl
) -> None:
    manifests = [job_hook("pre", "PreSync"), cm("first", 0), deployment("web", 1)]
    rec = Recorder()

    async def interrupted() -> None:
        task = asyncio.current_task()
        assert task is not None

        async def crash_in_wave_delay(seconds: float) -> None:
            rec.sleeps.append(seconds)
            if len(rec.sleeps) == 2:  # after the PreSync wave and wave 0 of Sync
                task.cancel()  # the controller dies while waiting between waves
            await asyncio.sleep(0)

        rec.sleep = crash_in_wave_delay  # type: ignore[method-assign]
        try:
            await sync_app(
                kube_config, manifests, namespace=namespace, recorder=rec, wave_delay=2.0
            )
        except asyncio.CancelledError:
            return
        raise AssertionError("the operation was expected to be interrupted")

    run(interrupted())
    persisted = rec.states[-1]
    assert persisted["phase"] == "Running"
    by_name = {r["name"]: r for r in persisted["syncResult"]["resources"]}
    assert by_name["pre"]["hookPhase"] == "Succeeded"
    assert "web" not in by_name
    job_uid = json.loads(kubectl("get", "job", "pre", "-n", namespace, "-o", "json"))["metadata"][
        "uid"
    ]

    resumed = Recorder()
    result = run(
        sync_app(kube_config, manifests, namespace=namespace, recorder=resumed, state=persisted)
    )
    assert result["phase"] == "Succeeded", result["message"]
    assert result["startedAt"] == persisted["startedAt"]
    again = json.loads(kubectl("get", "job", "pre", "-n", namespace, "-o", "json"))
    assert again["metadata"]["uid"] == job_uid  # not deleted and re-created
    assert _exists(kubectl, namespace, "deployment", "web")
    names = [r["name"] for r in result["syncResult"]["resources"]]
    assert names.count("pre") == 1 and "web" in names


def test_bad_input_reports_per_resource_and_deletes_nothing(
    kube_config: ClusterConfig, namespace: str, kubectl: Kubectl
) -> None:
    assert run(sync_app(kube_config, [cm("deployed")], namespace=namespace))["phase"] == "Succeeded"
    live = run(tracked(kube_config, namespace))
    no_selector = deployment("broken")
    del no_selector["spec"]["selector"]
    # A group no other test registers (the cluster is shared by the session).
    group = f"u{uuid.uuid4().hex[:8]}.example.com"
    unknown = {"apiVersion": f"{group}/v1", "kind": "Widget", "metadata": {"name": "w"}}
    manifests = [cm("fine"), no_selector, unknown]
    result = run(
        sync_app(kube_config, manifests, namespace=namespace, live=live, sync={"prune": True})
    )
    assert result["phase"] == "Failed"
    assert result["message"] == "one or more synchronization tasks are not valid"
    res = {r["name"]: r for r in result["syncResult"]["resources"]}
    assert f"does not serve Widget in {group}/v1" in res["w"]["message"]
    assert _exists(kubectl, namespace, "configmap", "deployed")
    assert not _exists(kubectl, namespace, "configmap", "fine")

    # Without the unknown kind, the invalid Deployment fails its dry run.
    result = run(
        sync_app(
            kube_config,
            [cm("fine"), no_selector],
            namespace=namespace,
            live=live,
            sync={"prune": True},
        )
    )
    assert result["phase"] == "Failed"
    assert result["message"].startswith("one or more objects failed to apply (dry run)")
    (broken,) = result["syncResult"]["resources"]
    assert broken["name"] == "broken" and broken["status"] == "SyncFailed"
    assert "selector" in broken["message"]
    assert _exists(kubectl, namespace, "configmap", "deployed")
    assert not _exists(kubectl, namespace, "configmap", "fine")


def test_malformed_manifest_fails_without_touching_cluster(
    kube_config: ClusterConfig, namespace: str, kubectl: Kubectl
) -> None:
    nameless = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}
    result = run(sync_app(kube_config, [cm("fine"), nameless], namespace=namespace))
    assert result["phase"] == "Failed"
    messages = [r["message"] for r in result["syncResult"]["resources"]]
    assert "invalid manifest: ConfigMap has no metadata.name" in messages
    assert not _exists(kubectl, namespace, "configmap", "fine")


def test_resume_while_hook_is_running_waits_for_the_same_hook(
    kube_config: ClusterConfig, namespace: str, kubectl: Kubectl
) -> None:
    manifests = [_long_hook("pre", 1), cm("after")]
    rec = Recorder()

    async def interrupted() -> None:
        task = asyncio.current_task()
        assert task is not None

        async def crash(seconds: float) -> None:
            task.cancel()  # dies right after starting the PreSync wave
            await asyncio.sleep(0)

        rec.sleep = crash  # type: ignore[method-assign]
        try:
            await sync_app(
                kube_config, manifests, namespace=namespace, recorder=rec, wave_delay=2.0
            )
        except asyncio.CancelledError:
            return
        raise AssertionError("the operation was expected to be interrupted")

    run(interrupted())
    persisted = rec.states[-1]
    (hook,) = persisted["syncResult"]["resources"]
    assert hook["hookPhase"] == "Running"
    job_uid = json.loads(kubectl("get", "job", "pre", "-n", namespace, "-o", "json"))["metadata"][
        "uid"
    ]
    result = run(sync_app(kube_config, manifests, namespace=namespace, state=persisted))
    assert result["phase"] == "Succeeded", result["message"]
    again = json.loads(kubectl("get", "job", "pre", "-n", namespace, "-o", "json"))
    assert again["metadata"]["uid"] == job_uid
    assert _exists(kubectl, namespace, "configmap", "after")
