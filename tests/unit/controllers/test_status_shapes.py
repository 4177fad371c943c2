"""Status writing: minimal merge patches, condition timestamps, history entries."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from kaiun.controllers.application import status
from kaiun.engine.comparison import Condition, summarize

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def apply_merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386, to check merge_patch against."""
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = apply_merge_patch(out.get(k), v)
    return out


json_values = st.recursive(
    st.integers() | st.text(max_size=3) | st.booleans(),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=3)
    ),
    max_leaves=10,
)
objects = st.dictionaries(st.text(max_size=2), json_values, max_size=4)


@given(objects, objects)
def test_merge_patch_turns_old_into_new(old: dict[str, Any], new: dict[str, Any]) -> None:
    assert apply_merge_patch(old, status.merge_patch(old, new)) == new


def test_merge_patch_drops_stale_nested_keys() -> None:
    old = {"sync": {"revision": "a", "comparedTo": {"source": {"path": "x"}}}}
    new = {"sync": {"revisions": ["a"], "comparedTo": {"sources": [{"path": "x"}]}}}
    assert status.merge_patch(old, new) == {
        "sync": {"revision": None, "revisions": ["a"],
                 "comparedTo": {"source": None, "sources": [{"path": "x"}]}},
    }  # fmt: skip
    assert status.merge_patch(new, new) == {}


def test_conditions_keep_their_transition_time() -> None:
    old = [
        {"type": "ComparisonError", "message": "m", "lastTransitionTime": "2020-01-01T00:00:00Z"}
    ]
    out = status.conditions(
        [
            Condition("ComparisonError", "m"),
            Condition("SyncError", "s"),
            Condition("SyncError", "s"),
        ],
        old,
        NOW,
    )
    assert out == [
        {"type": "ComparisonError", "message": "m", "lastTransitionTime": "2020-01-01T00:00:00Z"},
        {"type": "SyncError", "message": "s", "lastTransitionTime": "2026-01-02T03:04:05Z"},
    ]


def test_history_entries_and_trimming() -> None:
    state = {
        "phase": "Succeeded", "startedAt": "s", "finishedAt": "f",
        "operation": {"initiatedBy": {"username": "u"}},
        "syncResult": {"revision": "c3", "source": {"path": "p"}},
    }  # fmt: skip
    history = [{"id": 4, "revision": "c1"}, {"id": 7, "revision": "c2"}]
    entry = status.history_entry(state, history, multi_source=False)
    assert entry == {
        "id": 8, "revision": "c3", "source": {"path": "p"}, "deployedAt": "f",
        "deployStartedAt": "s", "initiatedBy": {"username": "u"},
    }  # fmt: skip
    assert [h["id"] for h in status.trimmed([*history, entry], 2)] == [7, 8]
    assert [h["id"] for h in status.trimmed([*history, entry], 0)] == [8]
    multi = {**state, "syncResult": {"revisions": ["a", "b"], "sources": [{}, {}]}}
    assert status.history_entry(multi, [], multi_source=True)["revisions"] == ["a", "b"]


def test_summary_lists_images_and_urls() -> None:
    pod = {"initContainers": [{"image": "busybox"}], "containers": [{"image": "nginx:1"}]}
    deploy = {"kind": "Deployment", "spec": {"template": {"spec": pod}}}
    ingress = {
        "kind": "Ingress",
        "metadata": {"annotations": {"link.argocd.argoproj.io/docs": "https://docs.example.com"}},
        "spec": {"tls": [{"hosts": ["a.example.com"]}],
                 "rules": [{"host": "a.example.com", "http": {"paths": [{"path": "/api"}]}},
                           {"host": "b.example.com"}]},
    }  # fmt: skip
    assert summarize([deploy, ingress, None]) == {
        "externalURLs": [
            "https://docs.example.com", "https://a.example.com/api", "http://b.example.com/",
        ],
        "images": ["busybox", "nginx:1"],
    }  # fmt: skip
