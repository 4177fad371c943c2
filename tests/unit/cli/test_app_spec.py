"""Spec flags of ``app create|set|unset`` and the operations ``sync|rollback|delete`` write."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kaiun.cli.app import delete, edit, operations, spec
from kaiun.cli.app.core import AppError

BASE: dict[str, Any] = {
    "project": "default",
    "source": {"repoURL": "https://git.example/r.git", "path": "app"},
    "destination": {"server": "https://kubernetes.default.svc", "namespace": "web"},
}


def _apply(base: dict[str, Any], **opts: Any) -> dict[str, Any]:
    out = copy.deepcopy(base)
    spec.apply_spec_options(out, opts)
    return out


@pytest.mark.parametrize(
    ("opts", "path", "expected"),
    [
        ({"dest_name": "prod"}, ("destination",), {"name": "prod", "namespace": "web"}),
        (
            {"sync_policy": "auto", "self_heal": True},
            ("syncPolicy",),
            {"automated": {"selfHeal": True}},
        ),
        (
            {"sync_retry_limit": 3, "sync_retry_backoff_duration": "5s"},
            ("syncPolicy",),
            {"retry": {"limit": 3, "backoff": {"duration": "5s"}}},
        ),
        (
            {"sync_options": ("Prune=false", "Prune=true")},
            ("syncPolicy", "syncOptions"),
            ["Prune=true"],
        ),
        (
            {"helm_set_file": ("cfg=files/c.yaml",)},
            ("source", "helm"),
            {"fileParameters": [{"name": "cfg", "path": "files/c.yaml"}]},
        ),
        (
            {"kustomize_replica": ("web=3",), "kustomize_common_label": ("a=b",)},
            ("source", "kustomize"),
            {"replicas": [{"name": "web", "count": 3}], "commonLabels": {"a": "b"}},
        ),
        (
            {"jsonnet_ext_var_str": ("env=prod",), "jsonnet_libs": ("vendor",)},
            ("source", "directory"),
            {"jsonnet": {"extVars": [{"name": "env", "value": "prod"}], "libs": ["vendor"]}},
        ),
        (
            {"plugin": "cmp", "plugin_env": ("A=1",)},
            ("source", "plugin"),
            {"name": "cmp", "env": [{"name": "A", "value": "1"}]},
        ),
    ],
)
def test_apply_spec_options(opts: dict[str, Any], path: tuple[str, ...], expected: Any) -> None:
    out: Any = _apply(BASE, **opts)
    for key in path:
        out = out[key]
    assert out == expected


def test_kustomize_images_merge_by_name() -> None:
    first = _apply(BASE, kustomize_image=("nginx=nginx:1.0", "redis:7"))
    second = _apply(first, kustomize_image=("nginx@sha256:abc",))
    assert second["source"]["kustomize"]["images"] == ["redis:7", "nginx@sha256:abc"]


@pytest.mark.parametrize(
    ("opts", "message"),
    [
        ({"auto_prune": True}, "--sync-policy automated"),
        ({"dest_server": "https://a", "dest_name": "b"}, "mutually exclusive"),
        ({"kustomize_replica": ("web=x",)}, "must be a number"),
        ({"helm_set": ("novalue",)}, "--helm-set: expected NAME=VALUE"),
        ({"source_position": 2}, "only to multi-source"),
    ],
)
def test_bad_flags(opts: dict[str, Any], message: str) -> None:
    with pytest.raises(AppError, match=message):
        _apply(BASE, **opts)


def test_multi_source_needs_position() -> None:
    multi = {**BASE, "sources": [{"repoURL": "a"}, {"repoURL": "b"}]}
    with pytest.raises(AppError, match="--source-position"):
        _apply(multi, path="x")
    with pytest.raises(AppError, match="out of range"):
        _apply(multi, path="x", source_position=3)
    assert _apply(multi, path="x", source_position=2)["sources"][1] == {"repoURL": "b", "path": "x"}


@pytest.mark.parametrize(
    ("spec_in", "message"),
    [
        ({"destination": {"server": "s"}}, "no source"),
        ({"source": {"path": "x"}, "destination": {"server": "s"}}, "no repository URL"),
        ({"source": {"repoURL": "r"}, "destination": {"namespace": "n"}}, "no destination"),
        (
            {"source": {"repoURL": "r"}, "destination": {"server": "s", "name": "n"}},
            "both name and server",
        ),
    ],
)
def test_validate_spec(spec_in: dict[str, Any], message: str) -> None:
    with pytest.raises(AppError, match=message):
        spec.validate_spec(spec_in)


def _unset_opts(**given: Any) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    for option in edit.UNSET_OPTIONS:
        param = option(lambda: None).__click_params__[0]  # type: ignore[attr-defined]
        opts[param.name] = (
            () if param.multiple else (None if param.type.name == "integer" else False)
        )
    return {**opts, **given}


def test_unset_removes_and_prunes_empty_blocks() -> None:
    full = _apply(
        BASE,
        helm_set=("a=1",),
        values_files=("v.yaml",),
        nameprefix="p-",
        kustomize_image=("nginx:1",),
        directory_recurse=True,
    )
    edit.unset_fields(
        full,
        _unset_opts(
            parameters=("a",),
            values_files=("v.yaml",),
            nameprefix=True,
            kustomize_image=("nginx",),
            directory_recurse=True,
        ),
    )
    assert full["source"] == BASE["source"]


def test_parse_resource() -> None:
    assert operations.parse_resource("apps:Deployment:ns/web") == {
        "group": "apps",
        "kind": "Deployment",
        "name": "web",
        "namespace": "ns",
    }
    assert operations.parse_resource(":ConfigMap:cm") == {
        "group": "",
        "kind": "ConfigMap",
        "name": "cm",
    }
    for bad in ("Deployment/web", "apps::web", "a:b:"):
        with pytest.raises(AppError, match="GROUP:KIND:NAME"):
            operations.parse_resource(bad)


def test_rollback_operation_multi_source() -> None:
    entry = {"id": 2, "sources": [{"repoURL": "a"}], "revisions": ["r1"]}
    op = operations.rollback_operation(entry, prune=True, dry_run=False)
    assert op["sync"] == {
        "prune": True,
        "dryRun": False,
        "syncStrategy": {"apply": {}},
        "sources": [{"repoURL": "a"}],
        "revisions": ["r1"],
    }


@pytest.mark.parametrize(
    ("current", "cascade", "policy", "expected"),
    [
        (["x"], None, "foreground", ["x"]),
        ([], True, "foreground", ["resources-finalizer.argocd.argoproj.io"]),
        ([], True, "background", ["resources-finalizer.argocd.argoproj.io/background"]),
        (
            ["resources-finalizer.argocd.argoproj.io"],
            True,
            "background",
            ["resources-finalizer.argocd.argoproj.io/background"],
        ),
        (["x", "resources-finalizer.argocd.argoproj.io/background"], False, "foreground", ["x"]),
    ],
)
def test_finalizers_for(
    current: list[str], cascade: bool | None, policy: str, expected: list[str]
) -> None:
    assert delete.finalizers_for(current, cascade, policy) == expected
