"""PreDelete/PostDelete hooks and Delete=confirm on Application deletion."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.integration.controller.conftest import Plane, configmap, deployment, synced_healthy
from tests.support import wait_for

AUTO = {"prune": True, "selfHeal": True}


def job(name: str, hook: str, *, fail: bool = False, run_seconds: int = 1, policy: str = "") -> str:
    simulate = "\n        local.kaiun.io/simulate: Fail" if fail else ""
    policy_line = f"\n    argocd.argoproj.io/hook-delete-policy: {policy}" if policy else ""
    return f"""apiVersion: batch/v1
kind: Job
metadata:
  name: {name}
  annotations:
    argocd.argoproj.io/hook: {hook}{policy_line}
spec:
  backoffLimit: 0
  template:
    metadata:
      annotations:
        local.kaiun.io/run-seconds: "{run_seconds}"{simulate}
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: busybox:1.36
"""


def _succeeded(obj: dict[str, Any] | None) -> bool:
    return obj is not None and (obj.get("status") or {}).get("succeeded") == 1


def _gone(plane: Plane, name: str) -> bool:
    proc = plane.kubectl.run("get", "application", name, "-n", plane.namespace, check=False)
    return proc.returncode != 0


def _delete(plane: Plane, name: str) -> None:
    plane.kubectl("delete", "application", name, "-n", plane.namespace, "--wait=false")


def _deletion_error(app: dict[str, Any]) -> str:
    conds = (app.get("status") or {}).get("conditions") or []
    return next((c["message"] for c in conds if c["type"] == "DeletionError"), "")


def _release(plane: Plane, name: str) -> None:
    """Drop the finalizers of an app left blocked, so the shared cluster stays clean."""
    plane.kubectl.run(
        "patch",
        "application",
        name,
        "-n",
        plane.namespace,
        "--type=merge",
        "-p",
        '{"metadata":{"finalizers":null}}',
        check=False,
    )


def test_pre_delete_job_runs_before_resources_are_deleted(plane: Plane) -> None:
    plane.repo.commit(
        {
            "app/deploy.yaml": deployment("pre-web"),
            "app/job.yaml": job("pre", "PreDelete", run_seconds=3),
        }
    )
    plane.apply(plane.app_yaml("pre", automated=AUTO, finalizer=True))
    plane.wait_app(
        "pre",
        lambda a: (
            synced_healthy(a)
            and "pre-delete-finalizer.argocd.argoproj.io" in a["metadata"].get("finalizers", [])
        ),
    )
    assert plane.get("job", "pre") is None  # a PreDelete hook does not run on sync
    _delete(plane, "pre")

    running = wait_for(lambda: plane.get("job", "pre"), timeout=60, what="PreDelete job")
    assert not _succeeded(running)
    web = plane.get("deployment", "pre-web")
    assert web is not None and not web["metadata"].get("deletionTimestamp")

    wait_for(lambda: _gone(plane, "pre"), timeout=60, what="application deleted")
    assert plane.get("deployment", "pre-web") is None


def test_failing_pre_delete_hook_blocks_deletion(plane: Plane) -> None:
    plane.repo.commit(
        {
            "app/cm.yaml": configmap("kept-cm"),
            "app/job.yaml": job("bad-pre", "PreDelete", fail=True),
        }
    )
    plane.apply(plane.app_yaml("blocked", automated=AUTO, finalizer=True))
    plane.wait_app(
        "blocked",
        lambda a: (
            synced_healthy(a)
            and "pre-delete-finalizer.argocd.argoproj.io" in a["metadata"].get("finalizers", [])
        ),
    )
    _delete(plane, "blocked")
    try:
        app = plane.wait_app("blocked", lambda a: "bad-pre" in _deletion_error(a))
        assert "PreDelete hook Job/bad-pre failed" in _deletion_error(app)
        assert plane.get("configmap", "kept-cm") is not None
        assert not _gone(plane, "blocked")
    finally:
        _release(plane, "blocked")


def test_post_delete_job_runs_after_resources_are_gone(plane: Plane) -> None:
    plane.repo.commit(
        {"app/deploy.yaml": deployment("post-web"), "app/job.yaml": job("post", "PostDelete")}
    )
    plane.apply(plane.app_yaml("post", automated=AUTO, finalizer=True))
    plane.wait_app(
        "post",
        lambda a: (
            synced_healthy(a)
            and "post-delete-finalizer.argocd.argoproj.io" in a["metadata"].get("finalizers", [])
        ),
    )
    assert plane.get("job", "post") is None
    _delete(plane, "post")

    wait_for(lambda: plane.get("job", "post"), timeout=60, what="PostDelete job")
    assert plane.get("deployment", "post-web") is None
    wait_for(lambda: _gone(plane, "post"), timeout=60, what="application deleted")
    assert _succeeded(plane.get("job", "post"))  # default BeforeHookCreation keeps it


def test_delete_confirm_waits_for_approval(plane: Plane) -> None:
    cm = configmap("precious").replace(
        "metadata:\n",
        "metadata:\n  annotations:\n    argocd.argoproj.io/sync-options: Delete=confirm\n",
    )
    plane.repo.commit({"app/cm.yaml": cm, "app/other.yaml": configmap("plain")})
    plane.apply(plane.app_yaml("confirm", automated=AUTO, finalizer=True))
    plane.wait_app("confirm", synced_healthy)
    _delete(plane, "confirm")
    try:
        app = plane.wait_app("confirm", lambda a: "approval" in _deletion_error(a))
        assert "precious" in _deletion_error(app)
        assert "plain" not in _deletion_error(app)
        assert plane.get("configmap", "precious") is not None
        assert plane.get("configmap", "plain") is not None  # nothing is deleted before approval

        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        plane.kubectl(
            "annotate",
            "application",
            "confirm",
            "-n",
            plane.namespace,
            f"argocd.argoproj.io/deletion-approved={stamp}",
        )
        wait_for(lambda: _gone(plane, "confirm"), timeout=60, what="application deleted")
        assert plane.get("configmap", "precious") is None
        assert plane.get("configmap", "plain") is None
    finally:
        _release(plane, "confirm")
