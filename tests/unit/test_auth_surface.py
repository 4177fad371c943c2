"""The auth room's public surface is what its ``__all__`` claims, and documented."""

from __future__ import annotations

import inspect

import kaiun.auth as auth


def test_all_names_exist_and_are_documented() -> None:
    assert auth.__doc__ and "never" in auth.__doc__
    for name in auth.__all__:
        obj = getattr(auth, name)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            assert inspect.getdoc(obj), f"kaiun.auth.{name} needs a docstring"
    public = {n for n, v in vars(auth).items() if not n.startswith("_")}
    submodules = {n for n in public if inspect.ismodule(getattr(auth, n))}
    assert public - submodules == set(auth.__all__)
