"""Multi-source apps, terminate, skip-reconcile, unpermitted kinds, shared resources."""

from __future__ import annotations

import json

from tests.integration.controller.conftest import Plane, configmap, synced_healthy

AUTO = {"prune": True, "selfHeal": True}


def _conditions(app: dict[str, object]) -> dict[str, str]:
    status = app.get("status") or {}
    assert isinstance(status, dict)
    return {c["type"]: c["message"] for c in status.get("conditions", [])}


def _patch(plane: Plane, name: str, body: dict[str, object]) -> None:
    plane.kubectl(
        "patch", "application", name, "-n", plane.namespace, "--type", "merge",
        "-p", json.dumps(body),
    )  # fmt: skip


def test_multi_source_app_reports_revisions_and_source_types(plane: Plane) -> None:
    commit = plane.repo.commit(
        {"one/a.yaml": configmap("from-one"), "two/b.yaml": configmap("from-two")}
    )
    url = plane.repo.url
    app = f"""apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {{name: multi, namespace: {plane.namespace}}}
spec:
  project: default
  sources:
  - {{repoURL: {url}, path: one, targetRevision: main}}
  - {{repoURL: {url}, path: two, targetRevision: main}}
  destination: {{server: https://kubernetes.default.svc, namespace: {plane.dest}}}
  syncPolicy: {{automated: {{prune: true}}}}
"""
    plane.apply(app)
    got = plane.wait_app("multi", synced_healthy)
    status = got["status"]
    assert status["sync"]["revisions"] == [commit, commit]
    assert "revision" not in status["sync"]
    assert [s["path"] for s in status["sync"]["comparedTo"]["sources"]] == ["one", "two"]
    assert status["sourceTypes"] == ["Directory", "Directory"]
    assert status["history"][0]["revisions"] == [commit, commit]
    assert [s["path"] for s in status["history"][0]["sources"]] == ["one", "two"]
    assert plane.get("configmap", "from-one") and plane.get("configmap", "from-two")


def test_terminate_stops_a_running_sync(plane: Plane) -> None:
    # A PreSync hook Job whose pods never finish keeps the sync Running until terminated.
    job = """apiVersion: batch/v1
kind: Job
metadata:
  name: forever
  annotations: {argocd.argoproj.io/hook: PreSync}
spec:
  template:
    metadata:
      annotations: {local.kaiun.io/run-seconds: "3600"}
    spec:
      restartPolicy: Never
      containers: [{name: main, image: busybox}]
"""
    plane.repo.commit({"app/job.yaml": job, "app/cm.yaml": configmap("after-hook")})
    plane.apply(plane.app_yaml("stuck"))
    plane.wait_app("stuck", lambda a: "sync" in a.get("status", {}))
    _patch(plane, "stuck", {"operation": {"sync": {}, "initiatedBy": {"username": "u"}}})
    plane.wait_app(
        "stuck", lambda a: a["status"].get("operationState", {}).get("phase") == "Running"
    )
    _patch(plane, "stuck", {"status": {"operationState": {"phase": "Terminating"}}})
    app = plane.wait_app(
        "stuck",
        lambda a: (
            a["status"].get("operationState", {}).get("phase") in ("Failed", "Error")
            and "operation" not in a
        ),
    )
    assert plane.get("configmap", "after-hook") is None
    assert "history" not in app["status"]


def test_skip_reconcile_leaves_the_app_alone(plane: Plane) -> None:
    plane.repo.commit({"app/cm.yaml": configmap("paused")})
    text = plane.app_yaml("paused", automated=AUTO).replace(
        "  namespace: " + plane.namespace + "\n",
        "  namespace: " + plane.namespace + "\n"
        "  annotations: {argocd.argoproj.io/skip-reconcile: 'true'}\n",
        1,
    )
    plane.apply(text)
    plane.wait_app("paused", lambda a: True)
    # Another app in the same plane shows the controller is alive meanwhile.
    plane.apply(plane.app_yaml("alive", path="other", automated=AUTO))
    plane.repo.commit({"other/cm.yaml": configmap("alive")})
    plane.kubectl(
        "annotate", "application", "alive", "-n", plane.namespace,
        "argocd.argoproj.io/refresh=hard", "--overwrite",
    )  # fmt: skip
    plane.wait_app("alive", synced_healthy)
    assert "status" not in plane.app("paused")
    assert plane.get("configmap", "paused") is None
    plane.kubectl(
        "annotate", "application", "paused", "-n", plane.namespace,
        "argocd.argoproj.io/skip-reconcile-",
    )  # fmt: skip
    plane.wait_app("paused", synced_healthy)


def test_kind_outside_the_project_is_refused(plane: Plane) -> None:
    plane.apply(
        f"apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n  name: nosecrets\n"
        f"  namespace: {plane.namespace}\nspec:\n  sourceRepos: ['*']\n"
        f"  destinations: [{{server: '*', namespace: '*'}}]\n"
        f"  namespaceResourceBlacklist: [{{group: '', kind: Secret}}]\n"
    )
    secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {a: b}\n"
    plane.repo.commit({"app/secret.yaml": secret, "app/cm.yaml": configmap("withsecret")})
    plane.apply(plane.app_yaml("nosecret", project="nosecrets"))
    app = plane.wait_app("nosecret", lambda a: "InvalidSpecError" in _conditions(a))
    assert _conditions(app)["InvalidSpecError"] == (
        "resource :Secret is not permitted in project nosecrets"
    )
    _patch(plane, "nosecret", {"operation": {"sync": {}, "initiatedBy": {"username": "u"}}})
    app = plane.wait_app(
        "nosecret", lambda a: a["status"].get("operationState", {}).get("phase") == "Failed"
    )
    assert "Secret is not permitted" in app["status"]["operationState"]["message"]
    assert plane.get("secret", "s") is None and plane.get("configmap", "withsecret") is None


def test_a_resource_of_another_app_is_a_shared_resource_warning(plane: Plane) -> None:
    plane.repo.commit({"app/cm.yaml": configmap("shared")})
    plane.apply(plane.app_yaml("owner", automated=AUTO))
    plane.wait_app("owner", synced_healthy)
    plane.apply(plane.app_yaml("intruder"))
    app = plane.wait_app("intruder", lambda a: "SharedResourceWarning" in _conditions(a))
    assert "owner" in _conditions(app)["SharedResourceWarning"]
    assert app["status"]["sync"]["status"] == "OutOfSync"
