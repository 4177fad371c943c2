"""The public surfaces of the sync and engine rooms are what their ``__all__`` claims, and
the engine's contract with the application controller keeps its names and parameters."""

from __future__ import annotations

import importlib
import inspect

import pytest


@pytest.mark.parametrize("room", ["kaiun.sync", "kaiun.engine"])
def test_all_names_exist_and_are_documented(room: str) -> None:
    module = importlib.import_module(room)
    doc = " ".join((module.__doc__ or "").split())
    assert "Owns" in doc and ("must not import" in doc or "Imports only" in doc)
    for name in module.__all__:
        obj = getattr(module, name)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            assert inspect.getdoc(obj), f"{room}.{name} needs a docstring"
    public = {n for n, v in vars(module).items() if not n.startswith("_")}
    submodules = {n for n in public if inspect.ismodule(getattr(module, n))}
    assert public - submodules == set(module.__all__)


def test_engine_contract() -> None:
    from kaiun import engine

    params = inspect.signature(engine.run_operation).parameters
    assert list(params) == [
        "ctx",
        "desired",
        "live",
        "operation",
        "sync_policy",
        "revision",
        "state",
        "persist",
        "terminate_requested",
        "ignore_differences",
        "sleep",
        "prune_confirmed",
    ]
    assert list(inspect.signature(engine.prepare_targets).parameters) == ["ctx", "manifests"]
    fields = [f for f in engine.SyncContext.__dataclass_fields__]
    assert fields == [
        "client",
        "app_name",
        "app_namespace",
        "destination_namespace",
        "tracking_method",
        "instance_label_key",
        "health_overrides",
        "wave_delay",
        "field_manager",
    ]
    assert engine.SyncContext.__dataclass_fields__["wave_delay"].default == 2.0
    assert engine.SyncContext.__dataclass_fields__["field_manager"].default == "argocd-controller"
