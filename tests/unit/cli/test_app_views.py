"""Output shapes of ``kaiun app``: argocd's labels, tables and time formats."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from kaiun.cli.app import views
from kaiun.cli.app.tree import TreeNode


def _app(**status: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "web", "namespace": "argocd"},
        "spec": {
            "project": "default",
            "source": {
                "repoURL": "https://git.example/r.git",
                "path": "p",
                "targetRevision": "main",
            },
            "destination": {"name": "prod", "namespace": "web"},
        },
        "status": status,
    }


@pytest.mark.parametrize(
    ("sync", "target", "expected"),
    [
        ({"status": "Synced", "revision": "0123456789abcdef"}, "main", "Synced to main (0123456)"),
        (
            {"status": "OutOfSync", "revision": "0123456789"},
            "main",
            "OutOfSync from main (0123456)",
        ),
        ({"status": "Synced", "revision": "0123456789"}, "0123456", "Synced to 0123456"),
        ({"status": "Unknown"}, "main", "Unknown"),
        ({"status": "Synced", "revision": "1.2.3"}, "1.2.3", "Synced to 1.2.3"),
    ],
)
def test_sync_status_label(sync: dict[str, Any], target: str, expected: str) -> None:
    app = _app(sync=sync)
    app["spec"]["source"]["targetRevision"] = target
    assert views.sync_status_label(app) == expected


@pytest.mark.parametrize(
    ("policy", "get_label", "list_label"),
    [
        (None, "Manual", "Manual"),
        ({"automated": {}}, "Automated", "Auto"),
        ({"automated": {"prune": True}}, "Automated (Prune)", "Auto-Prune"),
        ({"automated": {"enabled": False, "prune": True}}, "Manual", "Manual"),
    ],
)
def test_sync_policy_labels(policy: dict[str, Any] | None, get_label: str, list_label: str) -> None:
    app = _app()
    if policy is not None:
        app["spec"]["syncPolicy"] = policy
    assert views.sync_policy_label(app) == get_label
    assert views.list_table([app], wide=False).splitlines()[1].split()[4] == list_label


def test_table_pads_all_but_the_last_column() -> None:
    assert views.table([["A", "BB", "C"], ["xxx", "y", ""]]) == "A    BB  C\nxxx  y   \n"
    assert views.table([]) == ""


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0s"), (59, "59s"), (65, "1m5s"), (3600, "1h0m0s"), (-3, "0s")]
)
def test_go_duration(seconds: int, text: str) -> None:
    assert views.go_duration(seconds) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("2026-01-02T03:04:05Z", "2026-01-02 03:04:05 +0000 UTC"),
        ("2026-01-02T05:04:05+02:00", "2026-01-02 03:04:05 +0000 UTC"),
        (None, "0001-01-01 00:00:00 +0000 UTC"),
        ("garbage", "0001-01-01 00:00:00 +0000 UTC"),
    ],
)
def test_go_time(value: str | None, text: str) -> None:
    assert views.go_time(value) == text


def test_summary_names_cluster_when_no_server_and_lists_sources() -> None:
    app = _app(health={"status": "Healthy"})
    app["spec"]["sources"] = [
        {
            "repoURL": "https://charts.example",
            "chart": "web",
            "targetRevision": "1.0.0",
            "helm": {"valueFiles": ["$values/a.yaml", "b.yaml"]},
        },
        {"repoURL": "https://git.example/values.git", "targetRevision": "main", "ref": "values"},
    ]
    lines = views.summary(app).splitlines()
    assert lines[2] == "Server:             prod"
    assert lines[5] == "Sources:"
    assert lines[6:11] == [
        "- Repo:             https://charts.example",
        "  Target:           1.0.0",
        "  Chart:            web",
        "  Helm Values:      $values/a.yaml,b.yaml",
        "- Repo:             https://git.example/values.git",
    ]
    assert "  Ref:              values" in lines
    assert lines[-1] == "Health Status:      Healthy"


def test_resource_rows_merge_sync_results_and_hooks() -> None:
    app = _app(
        resources=[
            {
                "kind": "Service",
                "namespace": "web",
                "name": "svc",
                "status": "Synced",
                "health": {"status": "Healthy"},
            }
        ],
        operationState={
            "syncResult": {
                "resources": [
                    {
                        "kind": "Service",
                        "namespace": "web",
                        "name": "svc",
                        "message": "service/svc created",
                    },
                    {
                        "group": "batch",
                        "kind": "Job",
                        "namespace": "web",
                        "name": "migrate",
                        "hookType": "PreSync",
                        "hookPhase": "Succeeded",
                        "message": "job completed",
                    },
                ]
            }
        },
    )
    assert views.resource_rows(app) == [
        ["", "Service", "web", "svc", "Synced", "Healthy", "", "service/svc created"],
        ["batch", "Job", "web", "migrate", "Succeeded", "", "PreSync", "job completed"],
    ]


def test_conditions_summary_counts_types() -> None:
    app = _app(
        conditions=[{"type": "SyncError"}, {"type": "ComparisonError"}, {"type": "SyncError"}]
    )
    assert views.conditions_summary(app) == "ComparisonError,SyncError(2)"
    assert views.conditions_summary(_app()) == "<none>"


def test_operation_result_running_uses_now() -> None:
    state = {"phase": "Running", "startedAt": "2026-01-01T00:00:00Z", "operation": {"sync": {}}}
    text = views.operation_result(state, now=datetime(2026, 1, 1, 0, 0, 42, tzinfo=UTC))
    assert "Operation:          Sync" in text
    assert "Duration:           42s" in text
    assert "Message:" not in text
    assert views.operation_result(None) == ""


def test_history_groups_by_source_repo() -> None:
    app = _app(
        history=[
            {
                "id": 3,
                "deployedAt": "2026-01-01T00:00:00Z",
                "revisions": ["a" * 40, "b" * 40],
                "sources": [
                    {"repoURL": "https://one", "targetRevision": "main"},
                    {"repoURL": "https://two", "targetRevision": "v1"},
                ],
            },
        ]
    )
    text = views.history_table(app)
    assert text.splitlines() == [
        "SOURCE  https://one",
        "ID  DATE                           REVISION",
        "3   2026-01-01 00:00:00 +0000 UTC  main (aaaaaaa)",
        "",
        "SOURCE  https://two",
        "ID  DATE                           REVISION",
        "3   2026-01-01 00:00:00 +0000 UTC  v1 (bbbbbbb)",
    ]


def test_resources_tree_draws_owned_objects() -> None:
    pod = TreeNode("Pod", "web-1-a", "Healthy", ())
    old = TreeNode("ReplicaSet", "web-0", "", ())
    new = TreeNode("ReplicaSet", "web-1", "Healthy", (pod,))
    app = _app(
        resources=[
            {
                "group": "apps",
                "kind": "Deployment",
                "namespace": "web",
                "name": "web",
                "status": "Synced",
                "health": {"status": "Healthy"},
            }
        ]
    )
    text = views.resources_tree(app, {("apps", "Deployment", "web", "web"): (old, new)})
    assert text.splitlines() == [
        "KIND/NAME           STATUS  HEALTH   MESSAGE",
        "Deployment/web      Synced  Healthy  ",
        "├─ReplicaSet/web-0                   ",
        "└─ReplicaSet/web-1          Healthy  ",
        "  └─Pod/web-1-a             Healthy  ",
    ]
