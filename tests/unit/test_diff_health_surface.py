"""The public surfaces of the diff and health rooms are what their ``__all__`` claims."""

from __future__ import annotations

import importlib
import inspect

import pytest


@pytest.mark.parametrize("room", ["kaiun.health", "kaiun.diff"])
def test_all_names_exist_and_are_documented(room: str) -> None:
    module = importlib.import_module(room)
    assert module.__doc__ and "no IO" in module.__doc__
    for name in module.__all__:
        obj = getattr(module, name)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            assert inspect.getdoc(obj), f"{room}.{name} needs a docstring"
    public = {n for n, v in vars(module).items() if not n.startswith("_")}
    submodules = {n for n in public if inspect.ismodule(getattr(module, n))}
    assert public - submodules == set(module.__all__)
