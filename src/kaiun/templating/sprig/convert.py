"""Sprig's value coercions (``strval``, ``cast.ToInt64`` ...) and the functions built on them:
defaults and logic, type conversion, integer and float math."""

from __future__ import annotations

import decimal
import math
from collections.abc import Mapping
from typing import Any

from kaiun.templating import gofmt
from kaiun.templating.errors import FuncError
from kaiun.templating.gotemplate.funcs import Func, func
from kaiun.templating.gotemplate.literals import parse_float, parse_int
from kaiun.templating.values import Duration, Int64, type_name


def strval(v: Any) -> str:
    """Sprig's ``strval``: strings as they are, everything else as ``%v``."""
    if isinstance(v, str):
        return v
    if isinstance(v, bytes):
        return v.decode(errors="replace")
    return gofmt.format_value(v)


def strslice(v: Any) -> list[str]:
    """Sprig's ``strslice``: a list as strings (nils dropped), a scalar as a one-item list."""
    if v is None:
        return []
    if isinstance(v, list | tuple):
        return [strval(x) for x in v if x is not None]
    return [strval(v)]


def _trim_zero_decimal(s: str) -> str:
    if "." in s:
        head, _, tail = s.partition(".")
        if tail and set(tail) == {"0"}:
            return head
    return s


def to_int64(v: Any) -> int:
    """``cast.ToInt64``: numbers truncate, strings parse (base prefixes allowed), else 0."""
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        return 0 if math.isnan(v) or math.isinf(v) else int(v)
    if isinstance(v, Duration):
        return v.ns
    if isinstance(v, str):
        n = parse_int(_trim_zero_decimal(v))
        return n if n is not None else 0
    return 0


def to_float64(v: Any) -> float:
    """``cast.ToFloat64``: numbers convert, strings parse, else 0."""
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, int | float):
        return float(v)
    if isinstance(v, str):
        f = parse_float(v)
        return f if f is not None else 0.0
    return 0.0


def empty(v: Any) -> bool:
    """Sprig's ``empty``: nil, false, 0, "" and empty collections."""
    if v is None:
        return True
    if isinstance(v, bool | int | float | str | bytes | list | tuple | Mapping):
        return not v
    if isinstance(v, Duration):
        return v.ns == 0
    return False


@func("any", variadic="any")
def default(d: Any, *given: Any) -> Any:
    """``default "x" .v``: ``.v`` unless it is empty."""
    if not given or empty(given[0]):
        return d
    return given[0]


@func(variadic="any")
def coalesce(*v: Any) -> Any:
    """The first non-empty argument, or nil."""
    for x in v:
        if not empty(x):
            return x
    return None


@func("str")
def fail(msg: str) -> str:
    """Abort the render with ``msg``."""
    raise FuncError(msg)


@func("any")
def to_int(v: Any) -> int:
    """``int``: cast.ToInt."""
    return to_int64(v)


def _go_div(a: int, b: int) -> int:
    if b == 0:
        raise FuncError("runtime error: integer divide by zero")
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _go_mod(a: int, b: int) -> int:
    if b == 0:
        raise FuncError("runtime error: integer divide by zero")
    return a - b * _go_div(a, b)


def _round(a: Any, p: int, *r_opt: float) -> float:
    rounding = r_opt[0] if r_opt else 0.5
    val = to_float64(a)
    pow10 = 10.0**p
    digit = pow10 * val
    frac, _ = math.modf(digit)
    if frac >= rounding:
        rounded = math.ceil(digit)
    else:
        rounded = math.floor(digit)
    return rounded / pow10


def _atoi(s: str) -> int:
    try:
        return int(s, 10) if s.strip() == s and "_" not in s else 0
    except ValueError:
        return 0


def _max(a: Any, *rest: Any) -> Int64:
    return Int64(max([to_int64(a), *(to_int64(x) for x in rest)]))


def _min(a: Any, *rest: Any) -> Int64:
    return Int64(min([to_int64(a), *(to_int64(x) for x in rest)]))


def _floatmax(a: Any, *rest: Any) -> float:
    return max([to_float64(a), *(to_float64(x) for x in rest)])


def _floatmin(a: Any, *rest: Any) -> float:
    return min([to_float64(a), *(to_float64(x) for x in rest)])


def kind_of(v: Any) -> str:
    """Sprig's ``kindOf``: the reflect kind name."""
    if v is None:
        return "invalid"
    name = type_name(v)
    if name.startswith("map"):
        return "map"
    if name.startswith("[]"):
        return "slice"
    if name.startswith("time."):
        return "struct" if name == "time.Time" else "int64"
    return name


FUNCS: dict[str, Func] = {
    "typeOf": Func(type_name, ("any",)),
    "kindOf": Func(kind_of, ("any",)),
    "typeIs": Func(lambda t, v: type_name(v) == t, ("str", "any")),
    "kindIs": Func(lambda k, v: kind_of(v) == k, ("str", "any")),
    "default": default,
    "empty": Func(empty, ("any",)),
    "coalesce": coalesce,
    "ternary": Func(lambda vt, vf, v: vt if v else vf, ("any", "any", "bool")),
    "fail": fail,
    "int": to_int,
    "int64": Func(lambda v: Int64(to_int64(v)), ("any",)),
    "float64": Func(to_float64, ("any",)),
    "toString": Func(strval, ("any",)),
    "toStrings": Func(strslice, ("any",)),
    "atoi": Func(_atoi, ("str",)),
    "toDecimal": Func(lambda v: Int64(_octal(strval(v))), ("any",)),
    "add1": Func(lambda i: Int64(to_int64(i) + 1), ("any",)),
    "add": Func(lambda *i: Int64(sum(to_int64(x) for x in i)), (), "any"),
    "sub": Func(lambda a, b: Int64(to_int64(a) - to_int64(b)), ("any", "any")),
    "mul": Func(
        lambda a, *v: Int64(math.prod([to_int64(a), *(to_int64(x) for x in v)])), ("any",), "any"
    ),
    "div": Func(lambda a, b: Int64(_go_div(to_int64(a), to_int64(b))), ("any", "any")),
    "mod": Func(lambda a, b: Int64(_go_mod(to_int64(a), to_int64(b))), ("any", "any")),
    "max": Func(_max, ("any",), "any"),
    "min": Func(_min, ("any",), "any"),
    "addf": Func(lambda *i: _decimal("add", [0.0, *i]), (), "any"),
    "add1f": Func(lambda i: _decimal("add", [i, 1.0]), ("any",)),
    "subf": Func(lambda a, *v: _decimal("sub", [a, *v]), ("any",), "any"),
    "mulf": Func(lambda a, *v: _decimal("mul", [a, *v]), ("any",), "any"),
    "divf": Func(lambda a, *v: _decimal("div", [a, *v]), ("any",), "any"),
    "maxf": Func(_floatmax, ("any",), "any"),
    "minf": Func(_floatmin, ("any",), "any"),
    "round": Func(_round, ("any", "int"), "float"),
    "floor": Func(lambda a: float(math.floor(to_float64(a))), ("any",)),
    "ceil": Func(lambda a: float(math.ceil(to_float64(a))), ("any",)),
}


def _octal(s: str) -> int:
    try:
        return int(s, 8) if s and s.lstrip("+-").isdigit() else 0
    except ValueError:
        return 0


_DIV_QUANTUM = decimal.Decimal(1).scaleb(-16)  # shopspring/decimal's DivisionPrecision


def _decimal(op: str, values: list[Any]) -> float:
    """Sprig's float math goes through decimal arithmetic: 0.1+0.2 is 0.3, -0 is 0."""
    ctx = decimal.Context(prec=400, rounding=decimal.ROUND_HALF_UP)
    nums = [decimal.Decimal(repr(to_float64(v))) for v in values]
    acc = nums[0]
    for x in nums[1:]:
        if op == "add":
            acc = ctx.add(acc, x)
        elif op == "sub":
            acc = ctx.subtract(acc, x)
        elif op == "mul":
            acc = ctx.multiply(acc, x)
        else:
            if x == 0:
                raise FuncError("decimal division by 0")
            acc = ctx.divide(acc, x).quantize(_DIV_QUANTUM, rounding=decimal.ROUND_HALF_UP)
    return float(acc) + 0.0
