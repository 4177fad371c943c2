"""The Application view reads Argo CD's fields the way Argo CD does."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaiun.model.application import Application, ApplicationSpecError, declared_source_type
from kaiun.model.duration import DurationError, parse_duration

SOURCE = {"repoURL": "https://git.example.com/a.git", "path": "app", "targetRevision": "main"}


def app(spec: dict[str, Any], **meta: Any) -> Application:
    return Application.from_dict(
        {"metadata": {"name": "a", "namespace": "argocd", **meta}, "spec": spec}
    )


@pytest.mark.parametrize(
    ("automated", "enabled"),
    [
        ({}, True),
        ({"enabled": None}, True),
        ({"enabled": True, "prune": True}, True),
        ({"enabled": False, "prune": True, "selfHeal": True}, False),
    ],
)
def test_automated_enabled_null_means_on(automated: dict[str, Any], enabled: bool) -> None:
    a = app({"source": SOURCE, "syncPolicy": {"automated": automated}})
    assert a.sync_policy.auto_sync is enabled


def test_no_automated_means_manual() -> None:
    assert app({"source": SOURCE}).sync_policy.auto_sync is False


def test_sources_override_source() -> None:
    other = {**SOURCE, "path": "other"}
    a = app({"source": SOURCE, "sources": [other, {"repoURL": "x", "ref": "values"}]})
    assert a.multi_source and [s.get("path") for s in a.sources] == ["other", None]
    single = app({"source": SOURCE})
    assert not single.multi_source and single.sources == (SOURCE,)


def test_defaults_and_annotations() -> None:
    a = app(
        {"source": SOURCE},
        annotations={
            "argocd.argoproj.io/refresh": "Hard",
            "argocd.argoproj.io/skip-reconcile": "true",
        },
        finalizers=["resources-finalizer.argocd.argoproj.io/background"],
    )
    assert a.revision_history_limit == 10
    assert a.project == "default"
    assert a.refresh == "hard" and a.skip_reconcile
    assert a.cascade == "background"
    assert app({"source": SOURCE, "revisionHistoryLimit": 3}).revision_history_limit == 3
    assert app({"source": SOURCE}, annotations={"argocd.argoproj.io/refresh": "x"}).refresh is None


def test_retry_backoff_reads_go_durations() -> None:
    a = app(
        {
            "source": SOURCE,
            "syncPolicy": {
                "retry": {
                    "limit": 5,
                    "backoff": {"duration": "5s", "factor": 2, "maxDuration": "3m"},
                },
                "syncOptions": ["CreateNamespace=true", "Prune = false"],
            },
        }
    )
    retry = a.sync_policy.retry
    assert retry is not None and retry.limit == 5
    assert [retry.backoff.delay(n) for n in (1, 2, 3, 6, 7)] == [5, 10, 20, 160, 180]
    assert a.sync_policy.option("Prune") == "false"
    assert a.sync_policy.option("Replace") is None


def test_bad_retry_duration_names_the_field() -> None:
    with pytest.raises(ApplicationSpecError, match=r"retry\.backoff"):
        app({"source": SOURCE, "syncPolicy": {"retry": {"backoff": {"duration": "5 parsecs"}}}})


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("5s", 5), ("3m", 180), ("1h30m", 5400), ("250ms", 0.25), ("90", 90), ("0", 0), ("1.5m", 90)],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "s", "5x", "m5", "5s3"])
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(DurationError):
        parse_duration(text)


@given(st.integers(0, 10_000), st.integers(0, 59), st.integers(0, 59))
def test_parse_duration_composes(h: int, m: int, s: int) -> None:
    assert parse_duration(f"{h}h{m}m{s}s") == h * 3600 + m * 60 + s


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        ({"chart": "x"}, "Helm"),
        ({"helm": {}}, "Helm"),
        ({"kustomize": {}}, "Kustomize"),
        ({"plugin": {"name": "p"}}, "Plugin"),
        ({"directory": {"recurse": True}}, "Directory"),
        ({}, ""),
    ],
)
def test_declared_source_type(source: dict[str, Any], kind: str) -> None:
    assert declared_source_type(source) == kind
