"""Fixture tables for hooks, waves, kind order, prune ordering and planning."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from kaiun import sync
from kaiun.sync import options as opt

FIXTURES = Path(__file__).parent / "fixtures"
HOOK_CASES = yaml.safe_load((FIXTURES / "hooks.yaml").read_text())
PLAN_CASES = yaml.safe_load((FIXTURES / "plan.yaml").read_text())


def _with_annotations(annotations: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "x", "annotations": annotations},
    }


@pytest.mark.parametrize("case", HOOK_CASES, ids=[c["name"] for c in HOOK_CASES])
def test_hooks(case: dict[str, Any]) -> None:
    obj = _with_annotations(case["annotations"])
    assert [t.value for t in sync.hook_types(obj)] == case["types"]
    assert sync.is_hook(obj) is case["hook"]
    assert [p.value for p in sync.sync_phases(obj)] == case["phases"]
    if case["hook"] or case["policies"]:
        assert sorted(p.value for p in sync.delete_policies(obj)) == case["policies"]
    assert sync.wave(obj) == case["wave"]


def _obj(spec: dict[str, Any]) -> dict[str, Any]:
    annotations: dict[str, str] = {}
    if "wave" in spec:
        annotations["argocd.argoproj.io/sync-wave"] = str(spec["wave"])
    if "hook" in spec:
        annotations["argocd.argoproj.io/hook"] = spec["hook"]
    if "options" in spec:
        annotations["argocd.argoproj.io/sync-options"] = spec["options"]
    meta: dict[str, Any] = {"name": spec["name"], "annotations": annotations}
    namespace = spec.get("namespace", "default")
    if namespace:
        meta["namespace"] = namespace
    obj: dict[str, Any] = {
        "apiVersion": spec.get("apiVersion", "v1"),
        "kind": spec["kind"],
        "metadata": meta,
    }
    if "crd" in spec:
        obj["spec"] = {"group": spec["crd"][0], "names": {"kind": spec["crd"][1]}}
    return obj


def _describe(task: sync.SyncTask) -> str:
    suffix = " prune" if task.is_prune else ""
    return f"{task.phase.value} {task.wave} {task.key.kind}/{task.key.name}{suffix}"


@pytest.mark.parametrize("case", PLAN_CASES, ids=[c["name"] for c in PLAN_CASES])
def test_plan(case: dict[str, Any]) -> None:
    desired = [_obj(s) for s in case.get("desired", [])]
    tracked = [_obj(s) for s in case.get("tracked", [])]
    live = {sync.key_of(o): o for o in tracked}
    selection = case.get("selection")
    tasks = sync.plan(
        sync.PlanInput(
            desired=desired,
            tracked=tracked,
            live=live,
            options=sync.SyncOptions.parse(case.get("options")),
            skip_hooks=case.get("skip_hooks", False),
            selection=sync.Selection(tuple(tuple(s) for s in selection)) if selection else None,
            destination_namespace=case.get("destination", ""),
        )
    )
    assert [_describe(t) for t in tasks] == case["tasks"]


def test_generate_name_hooks_get_stable_names_and_the_hook_finalizer() -> None:
    hook = _obj({"kind": "Job", "apiVersion": "batch/v1", "name": "", "hook": "PreSync,PostSync"})
    hook["metadata"]["generateName"] = "migrate-"
    data = sync.PlanInput(
        desired=[hook], tracked=[], live={}, revision="0123456789ab", started_at=1700000000
    )
    names = [(t.phase.value, t.key.name) for t in sync.plan(data)]
    assert names == [
        ("PreSync", "migrate-0123456-presync-1700000000"),
        ("PostSync", "migrate-0123456-postsync-1700000000"),
    ]
    assert all(
        t.target is not None
        and "argocd.argoproj.io/hook-finalizer" in t.target["metadata"]["finalizers"]
        for t in sync.plan(data)
    )
    assert hook["metadata"].get("finalizers") is None  # input untouched


def test_resource_options_override_app_options() -> None:
    app = sync.SyncOptions.parse(["ServerSideApply=true", "Prune=false", "Validate"])
    assert app.server_side_apply and app.prune_disabled and app.true("Validate")
    obj = _with_annotations(
        {"argocd.argoproj.io/sync-options": "ServerSideApply=false, Prune=true"}
    )
    own = app.for_resource(obj)
    assert not own.server_side_apply and not own.prune_disabled
    replaced = app.for_resource(_with_annotations({opt.SYNC_OPTIONS_ANNOTATION: "Replace=true"}))
    assert not replaced.server_side_apply  # Replace takes precedence over SSA
    assert sync.SyncOptions().propagation_policy == "Foreground"
    assert sync.SyncOptions.parse(["PrunePropagationPolicy=orphan"]).propagation_policy == "Orphan"
    assert sync.SyncOptions().client_side_apply_migration
    assert not sync.SyncOptions.parse(
        ["ClientSideApplyMigration=false"]
    ).client_side_apply_migration


def test_fail_on_shared_resource_marks_the_task_invalid() -> None:
    target = _obj({"kind": "ConfigMap", "name": "shared"})
    live = _obj({"kind": "ConfigMap", "name": "shared"})
    live["metadata"]["annotations"]["argocd.argoproj.io/tracking-id"] = (
        "other:/ConfigMap:default/shared"
    )
    data = sync.PlanInput(
        desired=[target],
        tracked=[],
        live={sync.key_of(live): live},
        app_name="mine",
        options=sync.SyncOptions.parse(["FailOnSharedResource=true"]),
    )
    (task,) = sync.plan(data)
    assert task.error == "ConfigMap/shared is part of applications mine and other"


_KINDS = st.sampled_from(["Namespace", "ConfigMap", "Service", "Deployment", "Widget", "Job"])


@given(
    st.lists(
        st.tuples(_KINDS, st.integers(-3, 3), st.sampled_from("abcde")),
        max_size=12,
        unique_by=lambda t: (t[0], t[2]),
    )
)
def test_plan_is_sorted_by_phase_wave_kind_name(items: list[tuple[str, int, str]]) -> None:
    desired = [
        _obj({"kind": k, "name": n, "wave": w, "namespace": "" if k == "Namespace" else "zz"})
        for k, w, n in items
    ]
    tasks = sync.plan(sync.PlanInput(desired=desired, tracked=[], live={}))
    assert len(tasks) == len(items)
    keys = [t.sort_key() for t in tasks]
    assert keys == sorted(keys)  # no Namespace named "zz": nothing bubbles
