"""AppProject enforcement, sync windows, cascade deletion, app of apps, orphans."""

from __future__ import annotations

import json

from tests.integration.controller.conftest import (
    Plane,
    configmap,
    deployment,
    synced_healthy,
)
from tests.support import wait_for

AUTO = {"prune": True, "selfHeal": True}


def _project(plane: Plane, name: str, spec: str) -> None:
    plane.apply(
        f"apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n  name: {name}\n"
        f"  namespace: {plane.namespace}\nspec:\n{spec}"
    )


def _conditions(app: dict[str, object]) -> dict[str, str]:
    status = app.get("status") or {}
    assert isinstance(status, dict)
    return {c["type"]: c["message"] for c in status.get("conditions", [])}


def test_destination_outside_the_project_is_refused(plane: Plane) -> None:
    _project(
        plane,
        "narrow",
        f"  sourceRepos: ['*']\n  destinations:\n  - server: '*'\n    namespace: {plane.dest}\n",
    )
    plane.repo.commit({"app/cm.yaml": configmap("refused")})
    plane.apply(
        plane.app_yaml("outside", project="narrow", automated=AUTO, dest_namespace="kube-system")
    )
    app = plane.wait_app("outside", lambda a: "InvalidSpecError" in _conditions(a))
    message = _conditions(app)["InvalidSpecError"]
    assert "kube-system" in message and "narrow" in message, message
    assert app["status"]["sync"]["status"] == "Unknown"
    # A manual sync request is refused too, with the reason in the operation state.
    plane.kubectl(
        "patch", "application", "outside", "-n", plane.namespace, "--type", "merge",
        "-p", json.dumps({"operation": {"sync": {}, "initiatedBy": {"username": "u"}}}),
    )  # fmt: skip
    app = plane.wait_app(
        "outside", lambda a: (a["status"].get("operationState") or {}).get("phase") == "Failed"
    )
    assert "kube-system" in app["status"]["operationState"]["message"]
    assert "operation" not in app
    assert (
        plane.kubectl.run(
            "get", "configmap", "refused", "-n", "kube-system", check=False
        ).returncode
        != 0
    )


def test_source_outside_the_project_is_refused(plane: Plane) -> None:
    _project(
        plane,
        "onlyhttps",
        "  sourceRepos: ['https://git.example.com/*']\n"
        "  destinations:\n  - server: '*'\n    namespace: '*'\n",
    )
    plane.repo.commit({"app/cm.yaml": configmap("nosource")})
    plane.apply(plane.app_yaml("badsource", project="onlyhttps", automated=AUTO))
    app = plane.wait_app("badsource", lambda a: "InvalidSpecError" in _conditions(a))
    assert plane.repo.url in _conditions(app)["InvalidSpecError"]
    assert plane.get("configmap", "nosource") is None


def test_deny_window_blocks_automated_sync(plane: Plane) -> None:
    _project(
        plane,
        "frozen",
        "  sourceRepos: ['*']\n  destinations:\n  - server: '*'\n    namespace: '*'\n"
        "  syncWindows:\n  - kind: deny\n    schedule: '* * * * *'\n    duration: 1h\n"
        "    applications: ['*']\n",
    )
    plane.repo.commit({"app/cm.yaml": configmap("windowed")})
    plane.apply(plane.app_yaml("windowed", project="frozen", automated=AUTO))
    app = plane.wait_app(
        "windowed", lambda a: a.get("status", {}).get("sync", {}).get("status") == "OutOfSync"
    )
    first = app["status"]["reconciledAt"]
    plane.wait_app("windowed", lambda a: a["status"]["reconciledAt"] != first, timeout=30)
    app = plane.app("windowed")
    assert "operationState" not in app["status"]
    assert plane.get("configmap", "windowed") is None


def test_finalizer_cascades_deletion(plane: Plane) -> None:
    plane.repo.commit({"app/deploy.yaml": deployment("doomed"), "app/cm.yaml": configmap("doomed")})
    plane.apply(plane.app_yaml("doomed", automated=AUTO, finalizer=True))
    plane.wait_app("doomed", synced_healthy)
    plane.kubectl("delete", "application", "doomed", "-n", plane.namespace, "--wait=false")

    def gone() -> bool:
        app = plane.kubectl.run("get", "application", "doomed", "-n", plane.namespace, check=False)
        return app.returncode != 0

    wait_for(gone, timeout=60, what="application deleted")
    assert plane.get("deployment", "doomed") is None
    assert plane.get("configmap", "doomed") is None


def test_without_finalizer_resources_stay(plane: Plane) -> None:
    plane.repo.commit({"app/cm.yaml": configmap("orphaned-by-delete")})
    plane.apply(plane.app_yaml("keeper", automated=AUTO))
    plane.wait_app("keeper", synced_healthy)
    plane.kubectl("delete", "application", "keeper", "-n", plane.namespace)
    assert plane.get("configmap", "orphaned-by-delete") is not None


def test_app_of_apps_child_health_counts_for_the_parent(plane: Plane) -> None:
    child = plane.app_yaml("child", path="child", automated=AUTO)
    plane.repo.commit({"apps/child.yaml": child, "child/deploy.yaml": deployment("kid")})
    root = plane.app_yaml("root", path="apps", automated=AUTO, dest_namespace=plane.namespace)
    plane.apply(root)
    app = plane.wait_app("root", synced_healthy, timeout=90)
    res = app["status"]["resources"]
    assert [(r["kind"], r["name"]) for r in res] == [("Application", "child")]
    assert res[0]["health"]["status"] == "Healthy"
    plane.wait_app("child", synced_healthy)
    assert plane.get("deployment", "kid") is not None


def test_orphaned_resources_are_reported_when_the_project_asks(plane: Plane) -> None:
    _project(
        plane,
        "watchful",
        "  sourceRepos: ['*']\n  destinations:\n  - server: '*'\n    namespace: '*'\n"
        "  orphanedResources: {warn: true}\n",
    )
    plane.kubectl("create", "configmap", "stray", "-n", plane.dest)
    plane.repo.commit({"app/cm.yaml": configmap("tracked")})
    plane.apply(plane.app_yaml("watchful", project="watchful", automated=AUTO))
    app = plane.wait_app(
        "watchful", lambda a: "OrphanedResourceWarning" in _conditions(a) and synced_healthy(a)
    )
    assert _conditions(app)["OrphanedResourceWarning"] == "Application has 1 orphaned resources"
