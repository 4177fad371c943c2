"""Turns an expr-lang AST into Python closures once, so a trigger evaluates many times fast."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kaiun.templating.errors import ExprRuntimeError, ExprSyntaxError, FuncError
from kaiun.templating.expr import builtins, operators
from kaiun.templating.expr.parser import PREDICATES, Ast, located, parse
from kaiun.templating.values import Clock


class Ctx:
    """One evaluation: the caller's environment, builtins, closure frames (``#``)."""

    __slots__ = ("clock", "env", "frames", "locals")

    def __init__(self, env: Mapping[str, Any], clock: Clock | None) -> None:
        self.env = env
        self.clock = clock
        self.frames: list[tuple[Any, int, Any]] = []
        self.locals: dict[str, Any] = {}

    @property
    def funcs(self) -> Mapping[str, Callable[..., Any]]:
        """Builtins; ``now`` is bound to this evaluation's clock."""
        return builtins.functions(self.clock) if self.clock is not None else _STATIC

    def func(self, name: str) -> Callable[..., Any] | None:
        """One builtin by name, without building the clock-bound table unless needed."""
        if name == "now":
            return self.funcs.get(name)
        return _STATIC.get(name)


_STATIC = builtins.functions(None)


Code = Callable[[Ctx], Any]


class _NilChain(Exception):
    """``a?.b`` met nil: the whole chain is nil."""


class _Error(Exception):
    def __init__(self, msg: str, pos: int) -> None:
        super().__init__(msg)
        self.pos = pos


class Program:
    """A compiled expression: ``run(env)`` evaluates it against a mapping of names."""

    __slots__ = ("_code", "source")

    def __init__(self, source: str, code: Code) -> None:
        self.source = source
        self._code = code

    def run(self, env: Mapping[str, Any] | None = None, *, clock: Clock | None = None) -> Any:
        """Evaluate; raises :class:`ExprRuntimeError` pointing at the failing column."""
        ctx = Ctx(env or {}, clock)
        try:
            return self._code(ctx)
        except _Error as exc:
            raise ExprRuntimeError(located(str(exc), self.source, exc.pos)) from None
        except RecursionError:
            raise ExprRuntimeError("expression nests too deeply") from None


def compile(source: str) -> Program:
    """Compile expr-lang ``source``; raises :class:`ExprSyntaxError`."""
    try:
        return Program(source, _compile(parse(source)))
    except RecursionError:
        raise ExprSyntaxError("expression nests too deeply") from None


def _guard(pos: int, fn: Code) -> Code:
    def run(ctx: Ctx) -> Any:
        try:
            return fn(ctx)
        except (FuncError, TypeError, ValueError, KeyError, AttributeError, ZeroDivisionError) as e:
            raise _Error(str(e), pos) from None

    return run


def _compile(node: Ast) -> Code:  # noqa: C901
    kind, pos = node[0], node[1]
    if kind == "const":
        value = node[2]
        return lambda ctx: value
    if kind == "name":
        return _name(node[2], pos)
    if kind == "pointer":
        return _pointer(node[2], pos)
    if kind == "local":
        name = node[2]
        return lambda ctx: ctx.locals[name]
    if kind == "let":
        return _let(node[2], _compile(node[3]), _compile(node[4]))
    if kind == "array":
        items = [_compile(n) for n in node[2]]
        return lambda ctx: [f(ctx) for f in items]
    if kind == "map":
        pairs = [(_compile(k), _compile(v)) for k, v in node[2]]
        return lambda ctx: {k(ctx): v(ctx) for k, v in pairs}
    if kind == "unary":
        return _unary(node[2], _compile(node[3]), pos)
    if kind == "binary":
        return _binary(node[2], _compile(node[3]), _compile(node[4]), pos)
    if kind == "cond":
        c, yes, no = _compile(node[2]), _compile(node[3]), _compile(node[4])
        return _guard(pos, lambda ctx: yes(ctx) if operators.truthy_bool(c(ctx), "?") else no(ctx))
    if kind == "member":
        path = _const_path(node)
        if path is not None:
            return _path(*path)
        return _member(_compile(node[2]), _compile(node[3]), node[4], pos)
    if kind == "slice":
        obj = _compile(node[2])
        lo = _compile(node[3]) if node[3] is not None else (lambda ctx: None)
        hi = _compile(node[4]) if node[4] is not None else (lambda ctx: None)
        return _guard(pos, lambda ctx: operators.slice_of(obj(ctx), lo(ctx), hi(ctx)))
    if kind == "chain":
        inner = _compile(node[2])
        return lambda ctx: _chain(inner, ctx)
    if kind == "method":
        target = _compile(node[2])
        args = [_compile(a) for a in node[3]]
        return _guard(pos, lambda ctx: _invoke(target(ctx), [a(ctx) for a in args]))
    if kind == "call":
        return _call(node[2], node[3], pos)
    if kind == "closure":
        return _compile(node[2])
    raise ExprSyntaxError(f"unknown node {kind}")  # pragma: no cover


def _chain(inner: Code, ctx: Ctx) -> Any:
    try:
        return inner(ctx)
    except _NilChain:
        return None


def _let(name: str, value: Code, body: Code) -> Code:
    def run(ctx: Ctx) -> Any:
        saved = ctx.locals.get(name, _UNSET)
        ctx.locals[name] = value(ctx)
        try:
            return body(ctx)
        finally:
            if saved is _UNSET:
                del ctx.locals[name]
            else:
                ctx.locals[name] = saved

    return run


_UNSET = object()


def _name(name: str, pos: int) -> Code:
    if name == "$env":
        return lambda ctx: ctx.env

    def load(ctx: Ctx) -> Any:
        env = ctx.env
        if name in env:
            return env[name]
        fn = ctx.func(name)
        if fn is not None:
            return fn
        raise _Error(f"unknown name {name}", pos)

    return load


def _pointer(which: str, pos: int) -> Code:
    slot = {"": 0, "index": 1, "acc": 2}[which]

    def load(ctx: Ctx) -> Any:
        if not ctx.frames:
            raise _Error(f"#{which} outside of a predicate", pos)
        return ctx.frames[-1][slot]

    return load


def _const_path(node: Ast) -> tuple[str, int, list[tuple[str, int]]] | None:
    """``name.a.b`` with constant keys and no ``?.``: (root, pos, [(key, pos)...]) or None."""
    keys: list[tuple[str, int]] = []
    while node[0] == "member":
        key = node[3]
        if node[4] or key[0] != "const" or not isinstance(key[2], str):
            return None
        keys.append((key[2], node[1]))
        node = node[2]
    if node[0] != "name":
        return None
    return node[2], node[1], keys[::-1]


def _path(root: str, pos: int, keys: list[tuple[str, int]]) -> Code:
    """A member chain through plain dicts, the shape of every trigger (``app.status.x``)."""
    load_root = _name(root, pos)
    names = [k for k, _ in keys]

    def load(ctx: Ctx) -> Any:
        env = ctx.env
        o = env[root] if type(env) is dict and root in env else load_root(ctx)
        for i, k in enumerate(names):
            if type(o) is dict:
                o = o.get(k)
                continue
            try:
                o = operators.fetch(o, k)
            except FuncError as exc:
                raise _Error(str(exc), keys[i][1]) from None
        return o

    return load


def _member(obj: Code, key: Code, optional: bool, pos: int) -> Code:
    def load(ctx: Ctx) -> Any:
        o = obj(ctx)
        if o is None and optional:
            raise _NilChain
        try:
            return operators.fetch(o, key(ctx))
        except FuncError as exc:
            raise _Error(str(exc), pos) from None

    return load


def _invoke(fn: Any, args: list[Any]) -> Any:
    if not callable(fn):
        raise FuncError(f"{operators.kind(fn)} is not callable")
    return fn(*args)


def _unary(op: str, operand: Code, pos: int) -> Code:
    if op in ("not", "!"):
        return _guard(pos, lambda ctx: not operators.truthy_bool(operand(ctx), op))

    def neg(ctx: Ctx) -> Any:
        v = operand(ctx)
        if not operators.is_number(v):
            raise FuncError(f"invalid operation: {op} {operators.kind(v)}")
        return -v if op == "-" else v

    return _guard(pos, neg)


_ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "+": operators.add, "-": operators.sub, "*": operators.mul, "/": operators.div,
    "%": operators.mod, "**": operators.power, "^": operators.power,
}  # fmt: skip


def _binary(op: str, a: Code, b: Code, pos: int) -> Code:
    if op in ("and", "&&", "or", "||"):
        return _logical(op, a, b, pos)
    if op == "??":
        return lambda ctx: _coalesce(a, b, ctx)
    if op == "==":
        return lambda ctx: operators.equal(a(ctx), b(ctx))
    if op == "!=":
        return lambda ctx: not operators.equal(a(ctx), b(ctx))
    if op in ("<", ">", "<=", ">="):
        return _guard(pos, lambda ctx: operators.compare(op, a(ctx), b(ctx)))
    if op == "in":
        return _in(a, b, pos)
    if op in ("matches", "contains", "startsWith", "endsWith"):
        return _guard(pos, lambda ctx: operators.string_op(op, a(ctx), b(ctx)))
    if op == "..":
        return _guard(pos, lambda ctx: list(range(int(a(ctx)), int(b(ctx)) + 1)))
    fn = _ARITH[op]
    return _guard(pos, lambda ctx: fn(a(ctx), b(ctx)))


def _logical(op: str, a: Code, b: Code, pos: int) -> Code:
    stop = op in ("or", "||")  # the value that short-circuits

    def run(ctx: Ctx) -> bool:
        x = a(ctx)
        if x is not True and x is not False:
            raise _Error(f"invalid operation: {op} {operators.kind(x)} (expected bool)", pos)
        if x is stop:
            return x
        y = b(ctx)
        if y is not True and y is not False:
            raise _Error(f"invalid operation: {op} {operators.kind(y)} (expected bool)", pos)
        return y

    return run


def _in(a: Code, b: Code, pos: int) -> Code:
    def run(ctx: Ctx) -> bool:
        needle, haystack = a(ctx), b(ctx)
        if type(needle) is str and type(haystack) is list:
            return needle in haystack  # a string equals only an equal string
        try:
            return operators.contains_in(needle, haystack)
        except FuncError as exc:
            raise _Error(str(exc), pos) from None

    return run


def _coalesce(a: Code, b: Code, ctx: Ctx) -> Any:
    try:
        v = a(ctx)
    except _NilChain:
        v = None
    return b(ctx) if v is None else v


def _call(name: str, args: list[Ast], pos: int) -> Code:
    if name in PREDICATES:
        return _predicate_call(name, args, pos)
    argv = [_compile(a) for a in args]

    def call(ctx: Ctx) -> Any:
        fn = ctx.env.get(name) if name in ctx.env else ctx.func(name)
        if fn is None:
            raise _Error(f"unknown func {name}", pos)
        values = [f(ctx) for f in argv]
        if not callable(fn):
            raise _Error(f"{name} is not callable", pos)
        try:
            return fn(*values)
        except _Error:
            raise
        except (FuncError, TypeError, ValueError, KeyError, AttributeError, ZeroDivisionError) as e:
            raise _Error(f"{name}: {e}", pos) from None

    return call


def _predicate_call(name: str, args: list[Ast], pos: int) -> Code:
    if not args:
        raise ExprSyntaxError(f"{name} needs arguments")
    items = _compile(args[0])
    if name == "sortBy" and len(args) > 1 and args[1][2][0] == "const":
        # sortBy(users, "Age"): the older spelling names the field instead of a predicate.
        key = args[1][2]
        args = [
            args[0],
            ("closure", key[1], ("member", key[1], ("pointer", key[1], ""), key, False)),
            *args[2:],
        ]
    body = _compile(args[1]) if len(args) > 1 else None
    extra = [_compile(a) for a in args[2:]]

    def call(ctx: Ctx) -> Any:
        pred = None
        if body is not None:

            def pred(elem: Any, index: int, acc: Any) -> Any:
                ctx.frames.append((elem, index, acc))
                try:
                    return body(ctx)
                finally:
                    ctx.frames.pop()

        try:
            return builtins.run_predicate(name, items(ctx), pred, [e(ctx) for e in extra])
        except FuncError as exc:
            raise _Error(str(exc), pos) from None

    return call
