"""Automated sync decisions, as a table: app + comparison + last operation -> decision."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from kaiun import health
from kaiun.controllers.application.autosync import decide, superseded
from kaiun.engine.comparison import Comparison, Condition, ResourceState
from kaiun.model.application import Application
from kaiun.settings.controller import ControllerSettings

SOURCE = {"repoURL": "https://git.example.com/a.git", "path": "app", "targetRevision": "main"}
NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
SETTINGS = ControllerSettings()


def app(automated: dict[str, Any] | None, state: dict[str, Any] | None = None) -> Application:
    spec: dict[str, Any] = {"source": SOURCE, "destination": {"namespace": "d"}}
    if automated is not None:
        spec["syncPolicy"] = {"automated": automated, "syncOptions": ["CreateNamespace=true"]}
    status = {"operationState": state} if state else {}
    return Application.from_dict({"metadata": {"name": "a"}, "spec": spec, "status": status})


def res(name: str, status: str, *, prune: bool = False) -> ResourceState:
    return ResourceState(
        group="", version="v1", kind="ConfigMap", namespace="d", name=name, status=status,
        health=health.Health(health.HealthStatus.HEALTHY), target=None if prune else {},
        live={}, requires_pruning=prune,
    )  # fmt: skip


def comparison(*resources: ResourceState, revision: str = "c2", **kw: Any) -> Comparison:
    sync = "OutOfSync" if any(r.status == "OutOfSync" for r in resources) else "Synced"
    return Comparison(
        sync_status=kw.pop("sync_status", sync), revisions=[revision], sources=[SOURCE],
        multi_source=False, destination={}, ignore_differences=[], resources=list(resources),
        health=health.Health(health.HealthStatus.HEALTHY), **kw,
    )  # fmt: skip


def last(revision: str, phase: str, attempts: int = 0, finished: str = "2026-01-01T11:59:59Z"):
    sync: dict[str, Any] = {"revision": revision}
    if attempts:
        sync["autoHealAttemptsCount"] = attempts
    return {
        "phase": phase, "message": "boom" if phase != "Succeeded" else "",
        "operation": {"sync": sync}, "finishedAt": finished,
        "syncResult": {"revision": revision, "source": SOURCE},
    }  # fmt: skip


OUT = res("x", "OutOfSync")
SYNCED = res("y", "Synced")


@pytest.mark.parametrize(
    ("automated", "state", "cmp", "expect"),
    [
        (None, None, comparison(OUT), "skip:automated sync is off"),
        ({"enabled": False}, None, comparison(OUT), "skip:automated sync is off"),
        ({}, None, comparison(SYNCED), "skip:application status is Synced"),
        ({}, None, comparison(OUT), "sync"),
        ({}, last("c1", "Succeeded"), comparison(OUT), "sync"),
        ({}, last("c2", "Succeeded"), comparison(OUT), "skip:already attempted"),
        ({}, last("c2", "Failed"), comparison(OUT), "skip:Failed last sync attempt"),
        ({"selfHeal": True}, last("c2", "Failed"), comparison(OUT), "skip:Failed last sync"),
        ({}, last("c2", "Running"), comparison(OUT), "skip:still running"),
        ({}, None, comparison(res("p", "OutOfSync", prune=True)), "skip:only pruning"),
        ({"prune": True}, None, comparison(res("p", "OutOfSync", prune=True)), "skip:wipe out"),
        (
            {"prune": True, "allowEmpty": True},
            None,
            comparison(res("p", "OutOfSync", prune=True)),
            "sync",
        ),
        (
            {},
            None,
            comparison(OUT, conditions=[Condition("ComparisonError", "x")]),
            "skip:comparison has errors",
        ),
        ({}, None, comparison(OUT, sync_status="Unknown", rendered=False), "skip:errors"),
    ],
)
def test_decision_table(
    automated: dict[str, Any] | None, state: dict[str, Any] | None, cmp: Comparison, expect: str
) -> None:
    d = decide(app(automated, state), cmp, settings=SETTINGS, now=NOW)
    if expect == "sync":
        assert d.operation is not None, d
        assert d.operation["initiatedBy"] == {"automated": True}
        assert d.operation["sync"]["revision"] == "c2"
        assert d.operation["sync"]["syncOptions"] == ["CreateNamespace=true"]
        assert "autoHealAttemptsCount" not in d.operation["sync"]
    else:
        assert d.operation is None
        assert expect.removeprefix("skip:") in d.reason


def test_wipe_out_is_a_sync_error_condition() -> None:
    d = decide(app({"prune": True}), comparison(res("p", "OutOfSync", prune=True)),
               settings=SETTINGS, now=NOW)  # fmt: skip
    assert d.condition is not None and d.condition.type == "SyncError"


@pytest.mark.parametrize(
    ("attempts", "finished", "wait"),
    [
        (0, "2026-01-01T11:59:59Z", None),  # first self-heal: no delay
        (1, "2026-01-01T11:59:59Z", 1.0),  # 2 s after the last one, 1 s have passed
        (2, "2026-01-01T11:59:50Z", None),  # 6 s backoff, 10 s passed
        (3, "2026-01-01T11:59:50Z", 8.0),  # 18 s backoff, 10 s passed
        (9, "2026-01-01T11:58:00Z", 180.0),  # capped at 300 s, 120 s passed
    ],
)
def test_self_heal_backoff(attempts: int, finished: str, wait: float | None) -> None:
    a = app({"selfHeal": True}, last("c2", "Succeeded", attempts, finished))
    d = decide(a, comparison(OUT, SYNCED), settings=SETTINGS, now=NOW)
    if wait is None:
        assert d.operation is not None
        assert d.operation["sync"]["autoHealAttemptsCount"] == attempts + 1
        assert d.operation["sync"]["resources"] == [
            {"group": "", "kind": "ConfigMap", "name": "x", "namespace": "d"}
        ]
    else:
        assert d.operation is None and d.requeue_after == pytest.approx(wait)


def test_a_new_revision_resets_self_heal_attempts() -> None:
    a = app({"selfHeal": True}, last("c1", "Succeeded", attempts=4))
    d = decide(a, comparison(OUT), settings=SETTINGS, now=NOW)
    assert d.operation is not None and "autoHealAttemptsCount" not in d.operation["sync"]
    assert "resources" not in d.operation["sync"]


def retrying(revision: str, *, refresh: bool, automated: bool = True, retry_count: int = 1):
    spec: dict[str, Any] = {
        "source": SOURCE,
        "syncPolicy": {"automated": {}, "retry": {"limit": 5, "refresh": refresh}},
    }
    initiated = {"automated": True} if automated else {"username": "u"}
    op = {"sync": {"revision": revision}, "initiatedBy": initiated}
    state = {"phase": "Running", "retryCount": retry_count, "operation": op}
    return Application.from_dict(
        {"metadata": {"name": "a"}, "spec": spec, "operation": op,
         "status": {"operationState": state}}
    )  # fmt: skip


@pytest.mark.parametrize(
    ("application", "expected"),
    [
        (retrying("c1", refresh=True), True),
        (retrying("c2", refresh=True), False),  # still the newest commit
        (retrying("c1", refresh=False), False),  # retry.refresh off
        (retrying("c1", refresh=True, automated=False), False),  # a user's sync is kept
        (retrying("c1", refresh=True, retry_count=0), False),  # first attempt still running
    ],
)
def test_a_newer_commit_supersedes_a_retrying_sync(
    application: Application, expected: bool
) -> None:
    assert superseded(application, comparison(OUT)) is expected
