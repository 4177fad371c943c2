"""expr-lang's runtime semantics for operators, member access and equality."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from kaiun.templating.errors import FuncError
from kaiun.templating.sprig.strings import go_regex
from kaiun.templating.values import Duration, GoTime, type_name


def kind(v: Any) -> str:
    """Go's ``%T`` of a value, as expr-lang's runtime messages print it."""
    return "<nil>" if v is None else type_name(v)


def expr_type(v: Any) -> str:
    """expr-lang's ``type(v)`` builtin."""
    if v is None:
        return "nil"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "string"
    if isinstance(v, Mapping):
        return "map"
    if isinstance(v, list | tuple):
        return "array"
    if isinstance(v, GoTime | Duration):
        return type_name(v)
    if callable(v):
        return "func"
    return "struct"


def is_number(v: Any) -> bool:
    """int or float, not bool."""
    return isinstance(v, int | float) and not isinstance(v, bool)


_SIMPLE = frozenset([str, int, float])


def equal(a: Any, b: Any) -> bool:
    """``==``: numbers by value across int/float, otherwise deep equality of the same kind."""
    ta = type(a)
    if ta is type(b) and ta in _SIMPLE:
        return bool(a == b)
    if a is None or b is None:
        return a is b
    if is_number(a) and is_number(b):
        return bool(a == b)
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(equal(a[k], b[k]) for k in a)
    return (type(a) is type(b) and bool(a == b)) or (a is None and b is None)


def _mismatch(op: str, a: Any, b: Any) -> FuncError:
    return FuncError(f"invalid operation: {kind(a)} {op} {kind(b)}")


def add(a: Any, b: Any) -> Any:
    if is_number(a) and is_number(b):
        return a + b
    if isinstance(a, str) and isinstance(b, str):
        return a + b
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return [*a, *b]
    if isinstance(a, GoTime) and isinstance(b, Duration):
        return a.Add(b)
    if isinstance(a, Duration) and isinstance(b, GoTime):
        return b.Add(a)
    if isinstance(a, Duration) and isinstance(b, Duration):
        return Duration(a.ns + b.ns)
    raise _mismatch("+", a, b)


def sub(a: Any, b: Any) -> Any:
    if is_number(a) and is_number(b):
        return a - b
    if isinstance(a, GoTime) and isinstance(b, GoTime):
        return a.Sub(b)
    if isinstance(a, GoTime) and isinstance(b, Duration):
        return a.Add(Duration(-b.ns))
    if isinstance(a, Duration) and isinstance(b, Duration):
        return Duration(a.ns - b.ns)
    raise _mismatch("-", a, b)


def mul(a: Any, b: Any) -> Any:
    if is_number(a) and is_number(b):
        return a * b
    if isinstance(a, Duration) and is_number(b):
        return Duration(int(a.ns * b))
    raise _mismatch("*", a, b)


def div(a: Any, b: Any) -> float:
    if is_number(a) and is_number(b):
        if b == 0:
            if a == 0:
                return math.nan
            return math.copysign(math.inf, a) * (1 if math.copysign(1, b) > 0 else -1)
        return float(a) / float(b)
    raise _mismatch("/", a, b)


def mod(a: Any, b: Any) -> int:
    if isinstance(a, int) and isinstance(b, int) and not isinstance(a | b, bool):
        if b == 0:
            raise FuncError("runtime error: integer divide by zero")
        return int(math.fmod(a, b))
    raise _mismatch("%", a, b)


def power(a: Any, b: Any) -> float:
    if is_number(a) and is_number(b):
        return float(float(a) ** float(b))
    raise _mismatch("**", a, b)


def _order_key(a: Any, b: Any, op: str) -> tuple[Any, Any]:
    if is_number(a) and is_number(b):
        return a, b
    if isinstance(a, str) and isinstance(b, str):
        return a, b
    if isinstance(a, GoTime) and isinstance(b, GoTime):
        return a.UnixNano(), b.UnixNano()
    if isinstance(a, Duration) and isinstance(b, Duration):
        return a.ns, b.ns
    raise _mismatch(op, a, b)


def compare(op: str, a: Any, b: Any) -> bool:
    x, y = _order_key(a, b, op)
    if op == "<":
        return bool(x < y)
    if op == ">":
        return bool(x > y)
    if op == "<=":
        return bool(x <= y)
    return bool(x >= y)


def contains_in(needle: Any, haystack: Any) -> bool:
    """``needle in haystack``: array element, map key."""
    if haystack is None:
        return False
    if isinstance(haystack, Mapping):
        return needle in haystack if isinstance(needle, str) else False
    if isinstance(haystack, list | tuple):
        return any(equal(needle, x) for x in haystack)
    raise FuncError(f'operator "in" not defined on {kind(haystack)}')


def _strings(op: str, a: Any, b: Any) -> tuple[str, str]:
    if not isinstance(a, str) or not isinstance(b, str):
        raise _mismatch(op, a, b)
    return a, b


def string_op(op: str, a: Any, b: Any) -> bool:
    s, t = _strings(op, a, b)
    if op == "contains":
        return t in s
    if op == "startsWith":
        return s.startswith(t)
    if op == "endsWith":
        return s.endswith(t)
    return go_regex(t).search(s) is not None


def fetch(obj: Any, key: Any) -> Any:
    """``obj.key`` / ``obj[key]``: map keys (missing -> nil), array indexes, methods, fields."""
    if isinstance(obj, Mapping):
        return obj.get(key) if isinstance(key, str | int) else None
    if isinstance(obj, list | tuple | str):
        if not is_number(key):
            raise FuncError(f"invalid operation: int({kind(key)})")
        i = int(key)
        n = len(obj)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise FuncError(f"index out of range: {i} (array length is {n})")
        return obj[i]
    if obj is None:
        raise FuncError(f"cannot fetch {key} from <nil>")
    if isinstance(key, str) and key[:1].isupper():
        attr = getattr(obj, key, None)
        if attr is not None:
            return attr
    raise FuncError(f"cannot fetch {key} from {kind(obj)}")


def slice_of(obj: Any, lo: Any, hi: Any) -> Any:
    if not isinstance(obj, list | tuple | str):
        raise FuncError(f"cannot slice {kind(obj)}")
    n = len(obj)
    a = 0 if lo is None else int(lo)
    b = n if hi is None else int(hi)
    a, b = (a + n if a < 0 else a), (b + n if b < 0 else b)
    a, b = max(0, min(a, n)), max(0, min(b, n))
    return obj[a:b] if a <= b else obj[0:0]


def truthy_bool(v: Any, op: str) -> bool:
    if isinstance(v, bool):
        return v
    raise FuncError(f"invalid operation: {op} {kind(v)} (expected bool)")
