"""The controller's state metrics from Application dicts, and request labels from API paths."""

from __future__ import annotations

import pytest

from kaiun.controllers.application.metrics import _split, _verb, app_families


def _app(name: str, **extra: object) -> dict[str, object]:
    app: dict[str, object] = {
        "metadata": {"name": name, "namespace": "argocd"},
        "spec": {
            "project": "p",
            "source": {"repoURL": "https://GitHub.com/Org/Repo.git"},
            "destination": {"name": "prod", "namespace": "web"},
            "syncPolicy": {"automated": {"enabled": False, "prune": True}},
        },
    }
    app.update(extra)
    return app


def test_app_info_labels_follow_argo_cd() -> None:
    deleting = _app("gone")
    deleting["metadata"] = {"name": "gone", "namespace": "argocd", "deletionTimestamp": "x"}
    syncing = _app("busy", operation={"sync": {}}, status={"sync": {"status": "OutOfSync"}})
    families = app_families(
        [deleting, syncing], lambda d: {"prod": "https://prod"}.get(str(d.get("name")), "")
    )
    [info] = families
    by_name = {s.labels["name"]: s.labels for s in info.samples}
    assert by_name["gone"]["operation"] == "delete"
    assert by_name["busy"]["operation"] == "sync"
    assert by_name["busy"]["sync_status"] == "OutOfSync"
    assert by_name["busy"]["health_status"] == "Unknown"
    assert by_name["busy"]["autosync_enabled"] == "false"  # enabled: false wins over prune
    assert by_name["busy"]["dest_server"] == "https://prod"
    assert by_name["busy"]["repo"] == "https://github.com/org/repo"


def test_conditions_are_counted_only_when_asked_for() -> None:
    app = _app("c", status={"conditions": [{"type": "SyncError"}, {"type": "SyncError"},
                                           {"type": "ComparisonError"}]})  # fmt: skip
    assert [f.name for f in app_families([app], lambda d: "")] == ["argocd_app_info"]
    families = app_families([app], lambda d: "", conditions=["SyncError"])
    [cond] = [f for f in families if f.name == "argocd_app_condition"]
    assert [(s.labels["condition"], s.value) for s in cond.samples] == [("SyncError", 2.0)]


@pytest.mark.parametrize(
    ("method", "path", "params", "expected"),
    [
        ("GET", "/api/v1/namespaces/ns/configmaps/x", None, ("Get", "configmaps", "ns")),
        ("GET", "/apis/apps/v1/namespaces/ns/deployments", None, ("List", "deployments", "ns")),
        ("GET", "/apis/apps/v1/deployments", {"watch": "true"}, ("Watch", "deployments", "")),
        ("PATCH", "/apis/apps/v1/namespaces/ns/deployments/d/status", None,
         ("Patch", "deployments", "ns")),
        ("POST", "/api/v1/namespaces", None, ("Create", "namespaces", "")),
        ("GET", "/api/v1/namespaces/ns", None, ("Get", "namespaces", "")),
        ("DELETE", "/api/v1/namespaces/ns/pods/p", None, ("Delete", "pods", "ns")),
    ],
)  # fmt: skip
def test_request_labels(
    method: str, path: str, params: dict[str, str] | None, expected: tuple[str, str, str]
) -> None:
    watch = bool(params and params.get("watch") == "true")
    resource, namespace, _ = _split(path)
    assert (_verb(method, path, watch), resource, namespace) == expected
