"""The Application controller end to end: create, status shape, drift and self-heal."""

from __future__ import annotations

from tests.integration.controller.conftest import (
    Plane,
    configmap,
    deployment,
    synced_healthy,
)


def test_new_app_syncs_to_synced_healthy_with_argo_cd_status(plane: Plane) -> None:
    commit = plane.repo.commit(
        {"app/deploy.yaml": deployment("web"), "app/cm.yaml": configmap("settings")}
    )
    plane.apply(plane.app_yaml("basic", automated={"prune": True, "selfHeal": True}))
    app = plane.wait_app("basic", synced_healthy)
    status = app["status"]
    assert status["sync"]["revision"] == commit
    assert status["sync"]["comparedTo"]["source"]["path"] == "app"
    assert status["sync"]["comparedTo"]["destination"]["namespace"] == plane.dest
    assert status["sourceType"] == "Directory"
    resources = {(r["kind"], r["name"]): r for r in status["resources"]}
    assert resources[("Deployment", "web")] == {
        "group": "apps",
        "version": "v1",
        "kind": "Deployment",
        "namespace": plane.dest,
        "name": "web",
        "status": "Synced",
        "health": {"status": "Healthy"},
    }
    assert resources[("ConfigMap", "settings")]["status"] == "Synced"
    assert "group" not in resources[("ConfigMap", "settings")]
    assert status["summary"]["images"] == ["nginx:1.27"]
    assert status["reconciledAt"].endswith("Z")
    op = status["operationState"]
    assert op["phase"] == "Succeeded"
    assert op["operation"]["initiatedBy"] == {"automated": True}
    assert op["syncResult"]["revision"] == commit
    history = status["history"]
    assert [h["id"] for h in history] == [0]
    assert history[0]["revision"] == commit
    assert history[0]["source"]["repoURL"] == plane.repo.url
    assert history[0]["deployStartedAt"] and history[0]["deployedAt"]
    assert "operation" not in app
    live = plane.get("deployment", "web")
    assert live is not None
    tid = live["metadata"]["annotations"]["argocd.argoproj.io/tracking-id"]
    assert tid == f"basic:apps/Deployment:{plane.dest}/web"


def test_manual_app_stays_out_of_sync_until_synced(plane: Plane) -> None:
    plane.repo.commit({"app/cm.yaml": configmap("manual")})
    plane.apply(plane.app_yaml("manual"))
    app = plane.wait_app(
        "manual", lambda a: (a.get("status") or {}).get("sync", {}).get("status") == "OutOfSync"
    )
    assert app["status"]["health"]["status"] == "Missing"
    assert app["status"]["resources"][0]["health"] == {"status": "Missing"}
    assert plane.get("configmap", "manual") is None
    # A sync requested the way the CLI does (core mode): set operation.
    plane.kubectl(
        "patch", "application", "manual", "-n", plane.namespace, "--type", "merge",
        "-p", '{"operation": {"sync": {"prune": false}, "initiatedBy": {"username": "tester"}}}',
    )  # fmt: skip
    app = plane.wait_app("manual", synced_healthy)
    assert app["status"]["operationState"]["operation"]["initiatedBy"] == {"username": "tester"}
    assert plane.get("configmap", "manual") is not None


def test_deleted_deployment_is_healed_with_self_heal(plane: Plane) -> None:
    plane.repo.commit({"app/deploy.yaml": deployment("heal")})
    plane.apply(plane.app_yaml("heal", automated={"prune": True, "selfHeal": True}))
    before = plane.wait_app("heal", synced_healthy)
    uid = plane.get("deployment", "heal")["metadata"]["uid"]  # type: ignore[index]
    plane.kubectl("delete", "deployment", "heal", "-n", plane.dest)

    def recreated() -> bool:
        live = plane.get("deployment", "heal")
        return live is not None and live["metadata"]["uid"] != uid

    from tests.support import wait_for

    wait_for(recreated, timeout=60, what="deployment recreated")
    app = plane.wait_app("heal", synced_healthy)
    sync = app["status"]["operationState"]["operation"]["sync"]
    assert sync["autoHealAttemptsCount"] == 1
    assert sync["resources"] == [
        {"group": "apps", "kind": "Deployment", "name": "heal", "namespace": plane.dest}
    ]
    # Self-heal re-syncs the same revision: no new history entry for a new commit.
    assert app["status"]["history"][-1]["revision"] == before["status"]["sync"]["revision"]
