"""Hooks: PreSync before the apply, deletion policies, SyncFail on a failing PostSync."""

from __future__ import annotations

import json

from kaiun.kube import ClusterConfig
from tests.integration.sync.conftest import cm, deployment, job_hook, run, sync_app
from tests.support import Kubectl


def _events(kubectl: Kubectl, namespace: str) -> list[dict]:
    return json.loads(kubectl("get", "events", "-n", namespace, "-o", "json"))["items"]


def test_presync_job_completes_before_deployment_and_is_deleted(
    kube_config: ClusterConfig, namespace: str, kubectl: Kubectl
) -> None:
    manifests = [deployment("web"), job_hook("db-migration", "PreSync", policy="HookSucceeded")]
    result = run(sync_app(kube_config, manifests, namespace=namespace))
    assert result["phase"] == "Succeeded", result["message"]
    by_name = {r["name"]: r for r in result["syncResult"]["resources"]}
    hook = by_name["db-migration"]
    assert hook["hookType"] == "PreSync"
    assert hook["hookPhase"] == "Succeeded"
    assert hook["syncPhase"] == "PreSync"
    # The Job's completion is recorded before the Deployment was applied.
    events = _events(kubectl, namespace)
    completed = [
        e
        for e in events
        if e["involvedObject"]["name"] == "db-migration" and e["reason"] == "Completed"
    ]
    assert completed, "the Job ran to completion"
    web = json.loads(kubectl("get", "deployment", "web", "-n", namespace, "-o", "json"))
    assert completed[0]["lastTimestamp"] <= web["metadata"]["creationTimestamp"]
    # HookSucceeded: the Job is gone after the sync.
    gone = kubectl.run("get", "job", "db-migration", "-n", namespace, check=False)
    assert gone.returncode != 0 and "NotFound" in gone.stderr


def test_generate_name_hook_keeps_default_policy(
    kube_config: ClusterConfig, namespace: str, kubectl: Kubectl
) -> None:
    manifests = [cm("conf"), job_hook("seed-", "PostSync", generate=True)]
    result = run(sync_app(kube_config, manifests, namespace=namespace))
    assert result["phase"] == "Succeeded", result["message"]
    names = [r["name"] for r in result["syncResult"]["resources"] if r.get("hookType")]
    assert len(names) == 1 and names[0].startswith("seed-abc1234-postsync-")
    # BeforeHookCreation (the default) keeps the completed Job until the next sync; the
    # hook finalizer was removed once it completed.
    job = json.loads(kubectl("get", "job", names[0], "-n", namespace, "-o", "json"))
    assert "argocd.argoproj.io/hook-finalizer" not in job["metadata"].get("finalizers", [])


def test_failing_postsync_runs_syncfail_hooks(
    kube_config: ClusterConfig, namespace: str, kubectl: Kubectl
) -> None:
    manifests = [
        cm("conf"),
        job_hook("smoke-test", "PostSync", fail=True),
        job_hook("notify-failure", "SyncFail"),
    ]
    result = run(sync_app(kube_config, manifests, namespace=namespace))
    assert result["phase"] == "Failed"
    by_name = {r["name"]: r for r in result["syncResult"]["resources"]}
    failed = by_name["smoke-test"]
    assert failed["hookPhase"] == "Failed"
    assert failed["message"]  # the Job's failure condition message
    assert failed["message"] in result["message"]
    assert result["message"].startswith(
        "one or more synchronization tasks completed unsuccessfully"
    )
    assert by_name["notify-failure"]["hookPhase"] == "Succeeded"
    assert by_name["notify-failure"]["syncPhase"] == "SyncFail"
    kubectl("get", "job", "notify-failure", "-n", namespace)


def test_hook_failed_policy_deletes_failed_hook(
    kube_config: ClusterConfig, namespace: str, kubectl: Kubectl
) -> None:
    manifests = [cm("conf"), job_hook("pre", "PreSync", policy="HookFailed", fail=True)]
    result = run(sync_app(kube_config, manifests, namespace=namespace))
    assert result["phase"] == "Failed"
    # The failed PreSync hook stopped the sync before the ConfigMap was applied.
    assert [r["name"] for r in result["syncResult"]["resources"]] == ["pre"]
    assert kubectl.run("get", "configmap", "conf", "-n", namespace, check=False).returncode != 0
    assert kubectl.run("get", "job", "pre", "-n", namespace, check=False).returncode != 0


def test_seed_example_namespace_waves_and_presync_hook(
    kube_config: ClusterConfig, kubectl: Kubectl
) -> None:
    import uuid

    app_ns = f"my-app-{uuid.uuid4().hex[:6]}"
    namespace = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": app_ns, "annotations": {"argocd.argoproj.io/sync-wave": "-1"}},
    }
    web = deployment("my-app", 1)
    web["metadata"]["namespace"] = app_ns
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "my-app",
            "namespace": app_ns,
            "annotations": {"argocd.argoproj.io/sync-wave": "2"},
        },
        "spec": {"selector": {"app": "my-app"}, "ports": [{"port": 80}]},
    }
    hook = job_hook("db-migration", "PreSync", policy="HookSucceeded")
    hook["metadata"]["namespace"] = app_ns
    try:
        result = run(sync_app(kube_config, [namespace, web, service, hook], namespace=app_ns))
        assert result["phase"] == "Succeeded", result["message"]
        order = [(r["kind"], r["syncPhase"]) for r in result["syncResult"]["resources"]]
        # The hook lives in the namespace, so the Namespace moves ahead of it (PreSync).
        assert order == [
            ("Namespace", "PreSync"),
            ("Job", "PreSync"),
            ("Deployment", "Sync"),
            ("Service", "Sync"),
        ]
        assert kubectl.run("get", "job", "db-migration", "-n", app_ns, check=False).returncode
        kubectl("get", "service", "my-app", "-n", app_ns)
    finally:
        kubectl.run("delete", "namespace", app_ns, "--wait=false", check=False)


def test_resync_recreates_a_changed_hook(
    kube_config: ClusterConfig, namespace: str, kubectl: Kubectl
) -> None:
    first = job_hook("migrate", "PreSync")
    assert run(sync_app(kube_config, [cm("c"), first], namespace=namespace))["phase"] == (
        "Succeeded"
    )
    uid = json.loads(kubectl("get", "job", "migrate", "-n", namespace, "-o", "json"))["metadata"][
        "uid"
    ]
    changed = job_hook("migrate", "PreSync")
    changed["spec"]["template"]["spec"]["containers"][0]["image"] = "busybox:1.37"  # immutable
    result = run(sync_app(kube_config, [cm("c"), changed], namespace=namespace))
    assert result["phase"] == "Succeeded", result["message"]
    job = json.loads(kubectl("get", "job", "migrate", "-n", namespace, "-o", "json"))
    assert job["metadata"]["uid"] != uid
    assert job["spec"]["template"]["spec"]["containers"][0]["image"] == "busybox:1.37"
