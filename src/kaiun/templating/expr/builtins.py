"""expr-lang's builtin functions (``len``, ``upper``, ``now``, ``duration``, ``date`` ...)
and its closure-taking predicates (``all``, ``filter``, ``map`` ...)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import zoneinfo
from collections.abc import Callable, Mapping
from typing import Any

from kaiun.templating import timefmt
from kaiun.templating.errors import FuncError
from kaiun.templating.expr.operators import add, compare, equal, expr_type, is_number, kind
from kaiun.templating.gofmt import format_value
from kaiun.templating.sprig.dates import parse_duration
from kaiun.templating.sprig.encoding import go_json
from kaiun.templating.values import Clock, Duration, GoTime

Pred = Callable[[Any, int, Any], Any]

# expr-lang's date() layouts when none is given.
_DATE_LAYOUTS = (
    "2006-01-02",
    "15:04:05",
    "2006-01-02 15:04:05",
    "2006-01-02T15:04:05.999999999Z07:00",
    "02 Jan 06 15:04 MST",
    "Monday, 02-Jan-06 15:04:05 MST",
    "Mon, 02 Jan 2006 15:04:05 MST",
)


def _len(v: Any) -> int:
    if isinstance(v, str | list | tuple | Mapping):
        return len(v)
    raise FuncError(f"invalid argument for len (type {kind(v)})")


def _int(v: Any) -> int:
    if isinstance(v, bool):
        raise FuncError("invalid argument for int (type bool)")
    if is_number(v):
        return int(v)
    if isinstance(v, str):
        try:
            return int(v.strip())
        except ValueError:
            raise FuncError(f'invalid operation: int("{v}")') from None
    raise FuncError(f"invalid argument for int (type {kind(v)})")


def _float(v: Any) -> float:
    if is_number(v):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            raise FuncError(f'invalid operation: float("{v}")') from None
    raise FuncError(f"invalid argument for float (type {kind(v)})")


def _string(v: Any) -> str:
    return v if isinstance(v, str) else format_value(v)


def _str_arg(name: str, v: Any) -> str:
    if not isinstance(v, str):
        raise FuncError(f"invalid argument for {name} (type {kind(v)})")
    return v


def _abs(v: Any) -> Any:
    if not is_number(v):
        raise FuncError(f"invalid argument for abs (type {kind(v)})")
    return abs(v)


def _extreme(name: str, args: tuple[Any, ...]) -> Any:
    items = _flatten(list(args))
    if not items:
        raise FuncError(f"not enough arguments to call {name}")
    best = items[0]
    for x in items[1:]:
        if compare("<" if name == "min" else ">", x, best):
            best = x
    return best


def _date(value: Any, *rest: Any) -> GoTime:
    if isinstance(value, GoTime):
        return value
    s = _str_arg("date", value)
    tz: dt.tzinfo = dt.UTC
    if len(rest) >= 2:
        tz = zoneinfo.ZoneInfo(str(rest[1]))
    layouts = (str(rest[0]),) if rest else _DATE_LAYOUTS
    for layout in layouts:
        try:
            when, nanos = timefmt.parse_time(layout, s, tz)
        except timefmt.LayoutError:
            continue
        return GoTime(when, nanos)
    raise FuncError(f'cannot parse "{s}" as a date')


def _sum(items: Any) -> Any:
    total: Any = 0
    for x in _array("sum", items):
        total = add(total, x)
    return total


def _array(name: str, v: Any) -> list[Any]:
    if v is None:
        return []
    if isinstance(v, list | tuple):
        return list(v)
    raise FuncError(f"cannot use {kind(v)} as argument of {name} (expected array)")


def _flatten(v: Any) -> list[Any]:
    out: list[Any] = []
    for x in _array("flatten", v):
        out.extend(_flatten(x) if isinstance(x, list | tuple) else [x])
    return out


def _median(v: Any) -> float:
    items = sorted(float(x) for x in _flatten(v))
    if not items:
        return 0.0
    mid = len(items) // 2
    return items[mid] if len(items) % 2 else (items[mid - 1] + items[mid]) / 2


def _split_after(s: Any, sep: Any, n: int = -1) -> list[str]:
    text, by = _str_arg("splitAfter", s), _str_arg("splitAfter", sep)
    parts = text.split(by, n - 1 if n > 0 else -1)
    return [p + by for p in parts[:-1]] + parts[-1:]


def _mean(v: Any) -> float:
    items = _array("mean", v)
    return math.fsum(float(x) for x in items) / len(items) if items else 0.0


def _sort(v: Any, order: str = "asc") -> list[Any]:
    items = _array("sort", v)
    return sorted(items, reverse=order == "desc")


def _uniq(v: Any) -> list[Any]:
    out: list[Any] = []
    for x in _array("uniq", v):
        if not any(equal(x, y) for y in out):
            out.append(x)
    return out


def _keys(v: Any) -> list[Any]:
    if not isinstance(v, Mapping):
        raise FuncError(f"cannot get keys from {kind(v)}")
    return list(v.keys())


def _values(v: Any) -> list[Any]:
    if not isinstance(v, Mapping):
        raise FuncError(f"cannot get values from {kind(v)}")
    return list(v.values())


def _first(v: Any) -> Any:
    items = _array("first", v)
    return items[0] if items else None


def _last(v: Any) -> Any:
    items = _array("last", v)
    return items[-1] if items else None


def _get(v: Any, key: Any) -> Any:
    if isinstance(v, Mapping):
        return v.get(key)
    if isinstance(v, list | tuple) and isinstance(key, int) and -len(v) <= key < len(v):
        return v[key]
    return None


def _split(s: Any, sep: Any, n: int = -1) -> list[str]:
    text, by = _str_arg("split", s), _str_arg("split", sep)
    if n == 0:
        return []
    return text.split(by, n - 1 if n > 0 else -1) if by else list(text)


def functions(clock: Clock | None) -> dict[str, Callable[..., Any]]:
    """The non-predicate builtins, with ``now()`` bound to ``clock``."""

    def now() -> GoTime:
        if clock is None:
            raise FuncError("now() needs a clock: pass clock= to Program.run")
        return clock()

    return {
        "len": _len,
        "abs": _abs,
        "int": _int,
        "float": _float,
        "string": _string,
        "type": expr_type,
        "upper": lambda s: _str_arg("upper", s).upper(),
        "lower": lambda s: _str_arg("lower", s).lower(),
        "trim": lambda s, c=None: _str_arg("trim", s).strip(c),
        "trimPrefix": lambda s, p: s[len(p) :] if s.startswith(p) else s,
        "trimSuffix": lambda s, p: s[: -len(p)] if p and s.endswith(p) else s,
        "split": _split,
        "join": lambda v, sep="": sep.join(_string(x) for x in _array("join", v)),
        "replace": lambda s, old, new: _str_arg("replace", s).replace(old, new),
        "repeat": lambda s, n: _str_arg("repeat", s) * int(n),
        "indexOf": lambda s, t: _str_arg("indexOf", s).find(t),
        "lastIndexOf": lambda s, t: _str_arg("lastIndexOf", s).rfind(t),
        "hasPrefix": lambda s, p: _str_arg("hasPrefix", s).startswith(p),
        "hasSuffix": lambda s, p: _str_arg("hasSuffix", s).endswith(p),
        "keys": _keys,
        "values": _values,
        "max": lambda *a: _extreme("max", a),
        "min": lambda *a: _extreme("min", a),
        "mean": _mean,
        "median": _median,
        "splitAfter": _split_after,
        "bitand": lambda a, b: a & b,
        "bitor": lambda a, b: a | b,
        "bitxor": lambda a, b: a ^ b,
        "bitnand": lambda a, b: a & ~b,
        "bitnot": lambda a: ~a,
        "bitshl": lambda a, b: (a << b) & 0xFFFFFFFFFFFFFFFF if a >= 0 else a << b,
        "bitshr": lambda a, b: a >> b,
        "bitushr": lambda a, b: (a & 0xFFFFFFFFFFFFFFFF) >> b,
        "ceil": lambda x: float(math.ceil(x)),
        "floor": lambda x: float(math.floor(x)),
        "round": lambda x: float(math.floor(x + 0.5)) if x >= 0 else -float(math.floor(-x + 0.5)),
        "now": now,
        "duration": lambda s: parse_duration(_str_arg("duration", s)),
        "date": _date,
        "toJSON": lambda v: go_json(v, indent="  "),
        "fromJSON": lambda s: json.loads(_str_arg("fromJSON", s), parse_int=float),
        "toBase64": lambda s: base64.b64encode(_str_arg("toBase64", s).encode()).decode(),
        "fromBase64": lambda s: base64.b64decode(_str_arg("fromBase64", s)).decode(),
        "first": _first,
        "last": _last,
        "get": _get,
        "flatten": _flatten,
        "concat": lambda *a: [x for arr in a for x in _array("concat", arr)],
        "reverse": lambda v: list(reversed(_array("reverse", v))),
        "sort": _sort,
        "uniq": _uniq,
        "take": lambda v, n: _array("take", v)[: int(n)],
        "toPairs": lambda m: [[k, v] for k, v in m.items()],
        "fromPairs": lambda p: {k: v for k, v in p},
        "Duration": Duration,
    }


def run_predicate(name: str, items: Any, pred: Pred | None, extra: list[Any]) -> Any:  # noqa: C901
    """Evaluate a closure-taking builtin; ``pred(elem, index, acc)`` runs the closure."""
    if name == "sum" and pred is None:
        return _sum(items)
    if isinstance(items, Mapping) and name in ("map", "filter", "all", "any", "none", "count"):
        items = [{"key": k, "value": v} for k, v in items.items()]
    arr = _array(name, items)
    if pred is None:
        if name == "count":
            return sum(1 for x in arr if x is True)
        raise FuncError(f"{name} needs a predicate")
    if name == "reduce":
        acc = extra[0] if extra else (arr[0] if arr else None)
        start = 0 if extra else 1
        for i in range(start, len(arr)):
            acc = pred(arr[i], i, acc)
        return acc
    if name == "map":
        return [pred(x, i, None) for i, x in enumerate(arr)]
    if name == "sortBy":
        keyed = [(pred(x, i, None), x) for i, x in enumerate(arr)]
        desc = bool(extra) and extra[0] == "desc"
        keyed.sort(key=lambda kx: kx[0], reverse=desc)
        return [x for _, x in keyed]
    if name == "groupBy":
        groups: dict[Any, list[Any]] = {}
        for i, x in enumerate(arr):
            groups.setdefault(pred(x, i, None), []).append(x)
        return groups
    if name == "sum":
        total: Any = 0
        for i, x in enumerate(arr):
            total = add(total, pred(x, i, None))
        return total
    hits = [_pred_bool(name, pred(x, i, None)) for i, x in enumerate(arr)]
    if name == "all":
        return all(hits)
    if name == "any":
        return any(hits)
    if name == "none":
        return not any(hits)
    if name == "one":
        return sum(hits) == 1
    if name == "count":
        return sum(hits)
    if name == "filter":
        return [x for x, h in zip(arr, hits, strict=True) if h]
    found = [i for i, h in enumerate(hits) if h]
    if name == "find":
        return arr[found[0]] if found else None
    if name == "findIndex":
        return found[0] if found else -1
    if name == "findLast":
        return arr[found[-1]] if found else None
    return found[-1] if found else -1


def _pred_bool(name: str, v: Any) -> bool:
    if not isinstance(v, bool):
        raise FuncError(f"predicate of {name} must return bool, got {kind(v)}")
    return v
