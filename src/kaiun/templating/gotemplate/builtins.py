"""Go text/template's predefined functions (``and``, ``eq``, ``index``, ``printf`` ...)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kaiun.templating import gofmt
from kaiun.templating.errors import FuncError
from kaiun.templating.gotemplate.evaluate import MISSING
from kaiun.templating.gotemplate.funcs import Func, func
from kaiun.templating.values import Duration, GoTime, Uint8, truth, type_name


def _unused(*_: Any) -> Any:  # and/or/call are evaluated by the executor itself
    raise AssertionError("handled by the executor")


def _kind(v: Any) -> str:
    """Go's ``basicKind`` classes for comparison."""
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "string"
    if isinstance(v, Duration):
        return "int"
    return "invalid"


def _scalar(v: Any) -> Any:
    return v.ns if isinstance(v, Duration) else v


def _rkind(v: Any) -> str:
    if v is None:
        return "invalid"
    if isinstance(v, Mapping):
        return "map"
    if isinstance(v, list | tuple):
        return "slice"
    if callable(v) and not isinstance(v, GoTime | Duration):
        return "func"
    return "struct"


@func("any", variadic="any")
def eq(arg1: Any, *rest: Any) -> bool:
    """``eq a b c``: a == b || a == c, with Go's comparability rules."""
    if not rest:
        raise FuncError("missing argument for comparison")
    k1 = _kind(arg1)
    for arg in rest:
        k2 = _kind(arg)
        if k1 != k2:
            if arg1 is not None and arg is not None:
                raise FuncError("incompatible types for comparison")
            continue
        if k1 != "invalid":
            if _scalar(arg1) == _scalar(arg):
                return True
            continue
        r1, r2 = _rkind(arg1), _rkind(arg)
        if r1 != r2 and "invalid" not in (r1, r2):
            raise FuncError(
                f"non-comparable types {gofmt.sprintf('%s', [arg1])}: {type_name(arg1)}, "
                f"{type_name(arg)}: {gofmt.format_value(arg)}"
            )
        if arg1 is None or arg is None:
            if arg1 is None and arg is None:
                return True
            continue
        if r2 in ("map", "slice", "func"):
            raise FuncError(f"non-comparable type {gofmt.sprintf('%s', [arg])}: {type_name(arg)}")
        if arg1 == arg:
            return True
    return False


@func("any", "any")
def ne(a: Any, b: Any) -> bool:
    """``ne a b``."""
    return not eq.fn(a, b)


def _less(a: Any, b: Any) -> bool:
    ka, kb = _kind(a), _kind(b)
    if ka == "invalid" or kb == "invalid":
        raise FuncError("invalid type for comparison")
    if ka != kb:
        raise FuncError("incompatible types for comparison")
    if ka == "bool":
        raise FuncError("invalid type for comparison")
    return bool(_scalar(a) < _scalar(b))


@func("any", "any")
def lt(a: Any, b: Any) -> bool:
    """``lt a b``."""
    return _less(a, b)


@func("any", "any")
def le(a: Any, b: Any) -> bool:
    """``le a b``."""
    return _less(a, b) or bool(eq.fn(a, b))


@func("any", "any")
def gt(a: Any, b: Any) -> bool:
    """``gt a b``."""
    return not le.fn(a, b)


@func("any", "any")
def ge(a: Any, b: Any) -> bool:
    """``ge a b``."""
    return not _less(a, b)


@func("any")
def not_(a: Any) -> bool:
    """``not a``."""
    return not truth(a)


@func("rv")
def length(item: Any) -> int:
    """``len x``: bytes of a string, elements of a list or map."""
    if item is MISSING:
        raise FuncError("reflect: call of reflect.Value.Type on zero Value")
    if item is None:
        raise FuncError("len of nil pointer")
    if isinstance(item, str):
        return len(item.encode())
    if isinstance(item, Mapping | list | tuple | bytes):
        return len(item)
    raise FuncError(f"len of type {type_name(item)}")


def _index_of(v: Any, cap: int) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        if v is None:
            raise FuncError("cannot index slice/array with nil")
        raise FuncError(f"cannot index slice/array with type {type_name(v)}")
    if v < 0 or v > cap:
        raise FuncError(f"index out of range: {v}")
    return v


@func("rv", variadic="any")
def index(item: Any, *indexes: Any) -> Any:
    """``index m k1 k2``: m[k1][k2] over maps, lists and strings."""
    if item is None or item is MISSING:
        raise FuncError("index of untyped nil")
    for ix in indexes:
        if item is None:
            raise FuncError("index of nil pointer")
        if isinstance(item, Mapping):
            if ix is None:
                raise FuncError("value is nil; should be of type string")
            if not isinstance(ix, str):
                raise FuncError(f"value has type {type_name(ix)}; should be string")
            item = item.get(ix)
        elif isinstance(item, list | tuple):
            i = _index_of(ix, len(item))
            if i == len(item):  # Go checks against the capacity, then reflect panics
                raise FuncError("reflect: slice index out of range")
            item = item[i]
        elif isinstance(item, str):
            b = item.encode()
            i = _index_of(ix, len(b))
            if i == len(b):
                raise FuncError("reflect: string index out of range")
            item = Uint8(b[i])
        else:
            raise FuncError(f"can't index item of type {type_name(item)}")
    return item


def slice_(item: Any, *indexes: Any, boxed: tuple[bool, ...] = ()) -> Any:
    """``slice x 1 2``: x[1:2] of a string or list."""
    if item is None:
        raise FuncError("slice of untyped nil")
    if len(indexes) > 3:
        raise FuncError(f"too many slice indexes: {len(indexes)}")
    if isinstance(item, str):
        if len(indexes) == 3:
            raise FuncError("cannot 3-index slice a string")
        seq: Any = item.encode()
    elif isinstance(item, list | tuple):
        seq = item
    else:
        raise FuncError(f"can't slice item of type {type_name(item)}")
    idx = [0, len(seq), len(seq)]
    for i, ix in enumerate(indexes):
        if ix is MISSING:
            raise FuncError("cannot index slice/array with nil")
        if isinstance(ix, bool) or not isinstance(ix, int):
            # slice does not unwrap its arguments: a map value keeps its static interface type.
            typ = "interface {}" if ix is None or (i < len(boxed) and boxed[i]) else type_name(ix)
            raise FuncError(f"cannot index slice/array with type {typ}")
        idx[i] = _index_of(ix, len(seq))
    if len(indexes) < 3:
        idx[2] = len(seq)
    if idx[0] > idx[1]:
        raise FuncError(f"invalid slice index: {idx[0]} > {idx[1]}")
    if len(indexes) == 3 and idx[1] > idx[2]:
        raise FuncError(f"invalid slice index: {idx[1]} > {idx[2]}")
    out = seq[idx[0] : idx[1]]
    return out.decode(errors="replace") if isinstance(item, str) else list(out)


def _eval_args(args: tuple[Any, ...]) -> str:
    if len(args) == 1 and isinstance(args[0], str):
        return args[0]
    return gofmt.sprint(["<no value>" if a is None else a for a in args])


def html_escape(s: str) -> str:
    """Go's ``template.HTMLEscapeString``."""
    return (
        s.replace("&", "&amp;")
        .replace("'", "&#39;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&#34;")
        .replace("\0", "\ufffd")
    )


_JS = {"\\": "\\\\", "'": "\\'", '"': '\\"', "<": "\\u003C", ">": "\\u003E"}
_JS.update({"&": "\\u0026", "=": "\\u003D"})


def js_escape(s: str) -> str:
    """Go's ``template.JSEscapeString``."""
    out: list[str] = []
    for c in s:
        if c in _JS:
            out.append(_JS[c])
        elif ord(c) < 0x20:
            out.append(f"\\u00{ord(c):02X}")
        elif ord(c) >= 0x80 and not c.isprintable():
            out.append(f"\\u{ord(c):04X}")
        else:
            out.append(c)
    return "".join(out)


_URL_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


def query_escape(s: str) -> str:
    """Go's ``url.QueryEscape``."""
    out: list[str] = []
    for b in s.encode():
        c = chr(b)
        if c in _URL_SAFE:
            out.append(c)
        elif c == " ":
            out.append("+")
        else:
            out.append(f"%{b:02X}")
    return "".join(out)


BUILTINS: dict[str, Func] = {
    "and": Func(_unused, ("any",), "any", special="and"),
    "or": Func(_unused, ("any",), "any", special="or"),
    "call": Func(_unused, ("any",), "any", special="call"),
    "not": not_,
    "len": length,
    "index": index,
    "slice": Func(slice_, ("any",), "rv", special="slice"),
    "print": Func(lambda *a: gofmt.sprint(a), (), "any"),
    "println": Func(lambda *a: gofmt.sprintln(a), (), "any"),
    "printf": Func(lambda f, *a: gofmt.sprintf(f, a), ("str",), "any"),
    "html": Func(lambda *a: html_escape(_eval_args(a)), (), "any"),
    "js": Func(lambda *a: js_escape(_eval_args(a)), (), "any"),
    "urlquery": Func(lambda *a: query_escape(_eval_args(a)), (), "any"),
    "eq": eq,
    "ne": ne,
    "lt": lt,
    "le": le,
    "gt": gt,
    "ge": ge,
}

__all__ = ["BUILTINS", "GoTime", "html_escape", "js_escape", "query_escape"]
