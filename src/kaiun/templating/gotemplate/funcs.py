"""Template function descriptors: a Python callable plus its Go signature.

Go checks a call's argument count and converts each argument to the parameter's type before
calling; the signature lets the executor do the same, with Go's error messages. Type codes:
``any`` (interface{}), ``str``, ``int``, ``int64``, ``float``, ``bool``, ``dict``
(map[string]interface{}), ``list`` ([]interface{}), ``time`` (time.Time), ``dur``, and
``rv`` (a reflect.Value: Go's own builtins see a missing value as such, not as nil).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

GO_TYPE = {
    "any": "interface {}",
    "str": "string",
    "int": "int",
    "int64": "int64",
    "float": "float64",
    "bool": "bool",
    "dict": "map[string]interface {}",
    "list": "[]interface {}",
    "time": "time.Time",
    "dur": "time.Duration",
    "rv": "reflect.Value",
}
NILABLE = frozenset(["any", "dict", "list"])


@dataclass(frozen=True, slots=True)
class Func:
    """A template function: ``fn(*args)`` with Go parameter types ``params``.

    ``variadic`` is the element type of a trailing ``...T`` parameter. ``special`` marks the
    builtins the executor implements itself (``and``/``or`` short-circuit, ``call``).
    """

    fn: Callable[..., Any]
    params: tuple[str, ...] = ()
    variadic: str | None = None
    special: str = ""

    @property
    def n_in(self) -> int:
        """Go's ``NumIn``: fixed parameters plus the variadic slice, if any."""
        return len(self.params) + (1 if self.variadic is not None else 0)


def func(*params: str, variadic: str | None = None) -> Callable[[Callable[..., Any]], Func]:
    """Decorator: declare a Python function's Go signature."""

    def wrap(fn: Callable[..., Any]) -> Func:
        return Func(fn, params, variadic)

    return wrap


def as_func(value: Func | Callable[..., Any]) -> Func:
    """A caller-supplied function without a signature takes ``...interface{}``."""
    if isinstance(value, Func):
        return value
    return Func(value, (), "any")


FuncMap = Mapping[str, Func | Callable[..., Any]]
