"""Sprig's list and dict functions (``list``, ``first``, ``dict``, ``merge``, ``dig`` ...)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from kaiun.templating.errors import FuncError
from kaiun.templating.gotemplate.funcs import Func
from kaiun.templating.sprig.convert import empty, strval
from kaiun.templating.values import type_name


def _as_list(v: Any, what: str) -> list[Any]:
    if v is None:  # Sprig asks reflect for the kind of nil, which panics
        raise FuncError("runtime error: invalid memory address or nil pointer dereference")
    if isinstance(v, list | tuple):
        return list(v)
    raise FuncError(f"Cannot {what} on type {type_name(v)}")


def _first(v: Any) -> Any:
    lst = _as_list(v, "find first")
    return lst[0] if lst else None


def _last(v: Any) -> Any:
    lst = _as_list(v, "find last")
    return lst[-1] if lst else None


def _rest(v: Any) -> Any:
    return _as_list(v, "find rest")[1:]


def _initial(v: Any) -> Any:
    return _as_list(v, "find initial")[:-1]


def _push(v: Any, item: Any) -> list[Any]:
    return [*(_as_list(v, "push")), item]


def _prepend(v: Any, item: Any) -> list[Any]:
    return [item, *(_as_list(v, "prepend"))]


def _eq(a: Any, b: Any) -> bool:
    # reflect.DeepEqual: a float64 never equals an int.
    if isinstance(a, bool) != isinstance(b, bool) or isinstance(a, float) != isinstance(b, float):
        return False
    return bool(a == b)


def _uniq(v: Any) -> list[Any]:
    out: list[Any] = []
    for x in _as_list(v, "uniq"):
        if not any(_eq(x, y) for y in out):
            out.append(x)
    return out


def _has(needle: Any, haystack: Any) -> bool:
    if haystack is None:
        return False
    lst = _as_list(haystack, "find has")
    return any(_eq(needle, x) for x in lst)


def _without(v: Any, *omit: Any) -> list[Any]:
    return [x for x in _as_list(v, "find without") if not any(_eq(x, o) for o in omit)]


def _compact(v: Any) -> list[Any]:
    return [x for x in _as_list(v, "compact") if not empty(x)]


def _concat(*lists: Any) -> list[Any]:
    out: list[Any] = []
    for lst in lists:
        out.extend(_as_list(lst, "concat"))
    return out


def _reverse(v: Any) -> list[Any]:
    return list(reversed(_as_list(v, "find reverse")))


def _slice(v: Any, *idx: Any) -> Any:
    lst = _as_list(v, "slice")
    start = int(idx[0]) if idx else 0
    end = int(idx[1]) if len(idx) > 1 else len(lst)
    return lst[start:end]


def _chunk(size: int, v: Any) -> list[list[Any]]:
    lst = _as_list(v, "chunk")
    if size <= 0:
        raise FuncError("runtime error: integer divide by zero")
    return [lst[i : i + size] for i in range(0, len(lst), size)]


def _until_step(start: int, stop: int, step: int) -> list[int]:
    if step == 0 or (step > 0 and start >= stop) or (step < 0 and start <= stop):
        return []
    return list(range(start, stop, step))


def _dict(*v: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i in range(0, len(v), 2):
        out[strval(v[i])] = v[i + 1] if i + 1 < len(v) else ""
    return out


def _get(d: Mapping[str, Any] | None, key: str) -> Any:
    if d is not None and key in d:
        return d[key]
    return ""


def _set(d: dict[str, Any] | None, key: str, value: Any) -> dict[str, Any]:
    if d is None:
        raise FuncError("assignment to entry in nil map")
    d[key] = value
    return d


def _unset(d: dict[str, Any] | None, key: str) -> Any:
    if d is None:  # deleting from a nil map is a no-op; Go prints it as map[]
        return {}
    d.pop(key, None)
    return d


def _keys(*dicts: Mapping[str, Any] | None) -> list[str]:
    return [k for d in dicts if d for k in d]


def _pick(d: Mapping[str, Any] | None, *keys: str) -> dict[str, Any]:
    return {k: d[k] for k in keys if d is not None and k in d}


def _omit(d: Mapping[str, Any] | None, *keys: str) -> dict[str, Any]:
    return {k: v for k, v in (d or {}).items() if k not in keys}


def _merge_into(dst: dict[str, Any], src: Mapping[str, Any], overwrite: bool) -> None:
    for k, v in src.items():
        cur = dst.get(k)
        if isinstance(cur, dict) and isinstance(v, Mapping):
            _merge_into(cur, v, overwrite)
        elif k not in dst or empty(cur) or overwrite:
            dst[k] = copy.deepcopy(v)


def _merge(dst: Any, *srcs: Any, overwrite: bool = False) -> Any:
    if dst is None:  # mergo fills a nil destination map through its pointer
        dst = {}
    for src in srcs:
        if src is not None:
            _merge_into(dst, src, overwrite)
    return dst


def _conversion(v: Any, want: str) -> FuncError:
    got = "nil" if v is None else type_name(v)
    return FuncError(f"interface conversion: interface {{}} is {got}, not {want}")


def _dig(*ps: Any) -> Any:
    """``dig "a" "b" default dict``: Sprig asserts the dict and every key's Go type."""
    if len(ps) < 3:
        raise FuncError("dig needs at least three arguments")
    cur, default = ps[-1], ps[-2]
    if not isinstance(cur, Mapping):
        raise _conversion(cur, "map[string]interface {}")
    keys = ps[:-2]
    for k in keys:
        if not isinstance(k, str):
            raise _conversion(k, "string")
    for i, k in enumerate(keys):
        if k not in cur:
            return default
        cur = cur[k]
        if i < len(keys) - 1 and not isinstance(cur, Mapping):
            raise _conversion(cur, "map[string]interface {}")
    return cur


def _deep_copy(v: Any) -> Any:
    if v is None:
        raise FuncError("reflect: call of reflect.Value.Type on zero Value")
    return copy.deepcopy(v)


def _pluck(name: str, *dicts: Mapping[str, Any] | None) -> list[Any]:
    return [d[name] for d in dicts if d is not None and name in d]


D, L, A = "dict", "list", "any"
FUNCS: dict[str, Func] = {
    "list": Func(lambda *v: list(v), (), A),
    "tuple": Func(lambda *v: list(v), (), A),
    "append": Func(_push, (A, A)),
    "push": Func(_push, (A, A)),
    "prepend": Func(_prepend, (A, A)),
    "first": Func(_first, (A,)),
    "last": Func(_last, (A,)),
    "rest": Func(_rest, (A,)),
    "initial": Func(_initial, (A,)),
    "uniq": Func(_uniq, (A,)),
    "has": Func(_has, (A, A)),
    "without": Func(_without, (A,), A),
    "compact": Func(_compact, (A,)),
    "concat": Func(_concat, (), A),
    "reverse": Func(_reverse, (A,)),
    "slice": Func(_slice, (A,), A),
    "chunk": Func(_chunk, ("int", A)),
    "until": Func(lambda n: _until_step(0, n, 1 if n >= 0 else -1), ("int",)),
    "untilStep": Func(_until_step, ("int", "int", "int")),
    "dict": Func(_dict, (), A),
    "get": Func(_get, (D, "str")),
    "set": Func(_set, (D, "str", A)),
    "unset": Func(_unset, (D, "str")),
    "hasKey": Func(lambda d, k: d is not None and k in d, (D, "str")),
    "keys": Func(_keys, (), D),
    "values": Func(lambda d: list((d or {}).values()), (D,)),
    "pick": Func(_pick, (D,), "str"),
    "omit": Func(_omit, (D,), "str"),
    "merge": Func(lambda dst, *s: _merge(dst, *s), (D,), D),
    "mergeOverwrite": Func(lambda dst, *s: _merge(dst, *s, overwrite=True), (D,), D),
    "dig": Func(_dig, (), A),
    "pluck": Func(_pluck, ("str",), D),
    "deepCopy": Func(_deep_copy, (A,)),
}
