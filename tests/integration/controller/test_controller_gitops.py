"""Commits and drift: scale reverted (unless ignored), pruning, broken YAML, rollback."""

from __future__ import annotations

import json

from tests.integration.controller.conftest import (
    ControllerRunner,
    Plane,
    configmap,
    deployment,
    fast,
    synced_healthy,
)
from tests.support import wait_for

AUTO = {"prune": True, "selfHeal": True}


def _replicas(plane: Plane, name: str) -> int:
    live = plane.get("deployment", name)
    assert live is not None
    return int(live["spec"]["replicas"])


def test_kubectl_scale_is_reverted(plane: Plane) -> None:
    plane.repo.commit({"app/deploy.yaml": deployment("scaled", replicas=2)})
    plane.apply(plane.app_yaml("scaled", automated=AUTO))
    plane.wait_app("scaled", synced_healthy)
    plane.kubectl("scale", "deployment", "scaled", "-n", plane.dest, "--replicas=5")
    wait_for(lambda: _replicas(plane, "scaled") == 2, timeout=60, what="replicas reverted")
    plane.wait_app("scaled", synced_healthy)


def test_kubectl_scale_stays_with_ignore_differences(plane: Plane) -> None:
    plane.repo.commit({"app/deploy.yaml": deployment("ignored", replicas=2)})
    extra = (
        "  ignoreDifferences:\n  - group: apps\n    kind: Deployment\n"
        "    jsonPointers: [/spec/replicas]\n"
    )
    plane.apply(plane.app_yaml("ignored", automated=AUTO, extra_spec=extra))
    plane.wait_app("ignored", synced_healthy)
    plane.kubectl("scale", "deployment", "ignored", "-n", plane.dest, "--replicas=4")
    # Wait for a refresh that saw the change (reconciledAt moves on), then check it held.
    first = plane.app("ignored")["status"]["reconciledAt"]
    plane.wait_app("ignored", lambda a: a["status"]["reconciledAt"] != first, timeout=30)
    app = plane.wait_app("ignored", synced_healthy)
    assert _replicas(plane, "ignored") == 4
    assert len(app["status"]["history"]) == 1


def test_commit_removing_a_file_prunes_it(plane: Plane) -> None:
    plane.repo.commit({"app/a.yaml": configmap("keep"), "app/b.yaml": configmap("gone")})
    plane.apply(plane.app_yaml("pruner", automated=AUTO))
    plane.wait_app("pruner", synced_healthy)
    assert plane.get("configmap", "gone") is not None
    plane.repo.git("rm", "-q", "app/b.yaml")
    second = plane.repo.commit(message="remove b")
    plane.kubectl(
        "annotate", "application", "pruner", "-n", plane.namespace,
        "argocd.argoproj.io/refresh=normal",
    )  # fmt: skip
    wait_for(lambda: plane.get("configmap", "gone") is None, timeout=60, what="pruned")
    app = plane.wait_app(
        "pruner", lambda a: synced_healthy(a) and a["status"]["sync"]["revision"] == second
    )
    assert [r["name"] for r in app["status"]["resources"]] == ["keep"]
    assert "argocd.argoproj.io/refresh" not in app["metadata"].get("annotations", {})
    assert plane.get("configmap", "keep") is not None
    assert [h["revision"] for h in app["status"]["history"]][-1] == second


def test_without_prune_a_removed_file_stays_and_is_reported(plane: Plane) -> None:
    plane.repo.commit({"app/a.yaml": configmap("a"), "app/b.yaml": configmap("b")})
    plane.apply(plane.app_yaml("noprune", automated={"selfHeal": True}))
    plane.wait_app("noprune", synced_healthy)
    plane.repo.git("rm", "-q", "app/b.yaml")
    plane.repo.commit(message="remove b")
    app = plane.wait_app(
        "noprune",
        lambda a: any(r.get("requiresPruning") for r in a["status"].get("resources", [])),
    )
    assert app["status"]["sync"]["status"] == "OutOfSync"
    assert plane.get("configmap", "b") is not None


def test_broken_yaml_is_a_comparison_error_and_the_workload_stays(plane: Plane) -> None:
    plane.repo.commit({"app/deploy.yaml": deployment("steady")})
    plane.apply(plane.app_yaml("broken", automated=AUTO))
    plane.wait_app("broken", synced_healthy)
    uid = plane.get("deployment", "steady")["metadata"]["uid"]  # type: ignore[index]
    plane.repo.commit(
        {"app/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: [unclosed\n"}
    )
    app = plane.wait_app(
        "broken",
        lambda a: any(c["type"] == "ComparisonError" for c in a["status"].get("conditions", [])),
    )
    message = next(
        c["message"] for c in app["status"]["conditions"] if c["type"] == "ComparisonError"
    )
    assert "deploy.yaml:" in message, message
    assert app["status"]["sync"]["status"] == "Unknown"
    assert app["status"]["conditions"][0]["lastTransitionTime"].endswith("Z")
    live = plane.get("deployment", "steady")
    assert live is not None and live["metadata"]["uid"] == uid
    assert live["metadata"].get("deletionTimestamp") is None
    assert len(app["status"]["history"]) == 1


def test_rollback_restores_the_previous_revision(plane: Plane) -> None:
    first = plane.repo.commit({"app/cm.yaml": configmap("rolled", "one")})
    plane.apply(plane.app_yaml("rollback"))
    sync = json.dumps({"operation": {"sync": {}, "initiatedBy": {"username": "admin"}}})
    patch = ["patch", "application", "rollback", "-n", plane.namespace, "--type", "merge"]
    plane.kubectl(*patch, "-p", sync)
    plane.wait_app("rollback", synced_healthy)
    second = plane.repo.commit({"app/cm.yaml": configmap("rolled", "two")})
    plane.kubectl(*patch, "-p", sync)
    app = plane.wait_app(
        "rollback", lambda a: len(a["status"].get("history", [])) == 2 and synced_healthy(a)
    )
    assert app["status"]["history"][1]["revision"] == second
    assert plane.get("configmap", "rolled")["data"]["key"] == "two"  # type: ignore[index]
    entry = app["status"]["history"][0]
    rollback = {
        "operation": {
            "sync": {"revision": entry["revision"], "source": entry["source"]},
            "initiatedBy": {"username": "admin"},
        }
    }
    plane.kubectl(*patch, "-p", json.dumps(rollback))
    app = plane.wait_app("rollback", lambda a: len(a["status"].get("history", [])) == 3)
    assert app["status"]["history"][2]["revision"] == first
    assert plane.get("configmap", "rolled")["data"]["key"] == "one"  # type: ignore[index]
    # The app's target is still the branch head, so it now reports OutOfSync.
    plane.wait_app("rollback", lambda a: a["status"]["sync"]["status"] == "OutOfSync")


def test_a_newer_commit_supersedes_a_failing_retrying_sync(plane: Plane) -> None:
    bad = "apiVersion: example.com/v1\nkind: NoSuchKind\nmetadata:\n  name: nope\n"
    plane.repo.commit({"app/cm.yaml": configmap("retried"), "app/bad.yaml": bad})
    retry = (
        "    retry:\n      limit: 20\n      refresh: true\n"
        "      backoff: {duration: 1s, factor: 1, maxDuration: 1s}\n"
    )
    plane.apply(plane.app_yaml("retrying", automated=AUTO) + retry)
    plane.wait_app(
        "retrying",
        lambda a: (a.get("status", {}).get("operationState") or {}).get("retryCount", 0) >= 1,
    )
    plane.repo.git("rm", "-q", "app/bad.yaml")
    fixed = plane.repo.commit(message="fix")
    plane.kubectl(
        "annotate", "application", "retrying", "-n", plane.namespace,
        "argocd.argoproj.io/refresh=normal",
    )  # fmt: skip
    app = plane.wait_app(
        "retrying", lambda a: synced_healthy(a) and a["status"]["sync"]["revision"] == fixed
    )
    assert app["status"]["operationState"]["phase"] == "Succeeded"
    assert app["status"]["history"][-1]["revision"] == fixed


def test_refresh_annotation_resolves_past_the_revision_cache(plane: Plane) -> None:
    plane.runner.stop()
    plane.runner = ControllerRunner(
        plane.runner.kubeconfig, plane.namespace, plane.runner.work_dir, fast,
        revision_cache_seconds=3600,
    )  # fmt: skip
    plane.runner.start()
    plane.repo.commit({"app/cm.yaml": configmap("cached", "one")})
    plane.apply(plane.app_yaml("cached", automated=AUTO))
    plane.wait_app("cached", synced_healthy)
    second = plane.repo.commit({"app/cm.yaml": configmap("cached", "two")})
    # Periodic resyncs trust the (hour-long) revision cache; a refresh request does not.
    first = plane.app("cached")["status"]["reconciledAt"]
    plane.wait_app("cached", lambda a: a["status"]["reconciledAt"] != first, timeout=30)
    assert plane.app("cached")["status"]["sync"]["revision"] != second
    plane.kubectl(
        "annotate", "application", "cached", "-n", plane.namespace,
        "argocd.argoproj.io/refresh=normal",
    )  # fmt: skip
    plane.wait_app(
        "cached", lambda a: synced_healthy(a) and a["status"]["sync"]["revision"] == second
    )
    assert plane.get("configmap", "cached")["data"]["key"] == "two"  # type: ignore[index]
