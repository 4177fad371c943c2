"""Failure switches make Deployments stall and report it the way Kubernetes does."""

from __future__ import annotations

from tests.integration.localcluster.workloads.workload_kit import Kns, cond, deployment


def test_stalled_rollout_exceeds_its_progress_deadline(k: Kns) -> None:
    k.apply(deployment("web", replicas=2))
    k("rollout", "status", "deploy/web", "--timeout=30s")
    manifest = deployment("web", replicas=2, image="nginx:fail-pull").replace(
        "progressDeadlineSeconds: 600", "progressDeadlineSeconds: 2"
    )
    k.apply(manifest)
    proc = k.run("rollout", "status", "deploy/web", "--timeout=40s")
    assert proc.returncode != 0
    assert 'deployment "web" exceeded its progress deadline' in proc.stderr
    d = k.get("deploy", "web")
    progressing = cond(d, "Progressing")
    assert (progressing["status"], progressing["reason"]) == ("False", "ProgressDeadlineExceeded")
    assert progressing["message"].endswith("has timed out progressing.")
    # maxUnavailable 0: the old pods keep serving while the new ones cannot pull.
    assert cond(d, "Available")["status"] == "True"
    assert d["status"]["availableReplicas"] == 2 and d["status"]["updatedReplicas"] == 1
    pods = k.items("pods", "-l", "app=web")
    reasons = sorted(
        (p["status"].get("containerStatuses") or [{}])[0]
        .get("state", {})
        .get("waiting", {})
        .get("reason", "ok")
        for p in pods
    )
    assert reasons[0] in ("ErrImagePull", "ImagePullBackOff") and reasons.count("ok") == 2


def test_crash_looping_deployment_is_unavailable(k: Kns) -> None:
    manifest = deployment("web", replicas=1).replace(
        "metadata: {labels: {app: web}}",
        "metadata: {labels: {app: web}, annotations: {local.kaiun.io/simulate: CrashLoopBackOff}}",
    )
    k.apply(manifest.replace("progressDeadlineSeconds: 600", "progressDeadlineSeconds: 2"))
    d = k.until(
        lambda: k.get("deploy", "web"),
        lambda d: cond(d, "Progressing").get("reason") == "ProgressDeadlineExceeded",
        what="ProgressDeadlineExceeded",
    )
    assert cond(d, "Available") == cond(d, "Available") | {
        "status": "False",
        "reason": "MinimumReplicasUnavailable",
        "message": "Deployment does not have minimum availability.",
    }
    assert d["status"]["unavailableReplicas"] == 1


def test_fixing_the_image_recovers_a_stalled_rollout(k: Kns) -> None:
    manifest = deployment("web", replicas=1, image="nginx:fail-pull").replace(
        "progressDeadlineSeconds: 600", "progressDeadlineSeconds: 1"
    )
    k.apply(manifest)
    k.wait(
        lambda: (
            cond(k.get("deploy", "web"), "Progressing").get("reason") == "ProgressDeadlineExceeded"
        ),
        what="ProgressDeadlineExceeded",
    )
    k("set", "image", "deploy/web", "app=nginx:1.25")
    k("rollout", "status", "deploy/web", "--timeout=30s")
    assert cond(k.get("deploy", "web"), "Progressing")["reason"] == "NewReplicaSetAvailable"
