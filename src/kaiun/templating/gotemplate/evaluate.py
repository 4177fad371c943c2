"""Evaluates pipelines, commands, fields and function calls, mirroring ``text/template``.

Go distinguishes an *invalid* value (a missing map key: printed ``<no value>``) from a nil
interface (a key present with a null value). Here :data:`MISSING` is the former and ``None``
the latter; after each pipeline command a nil becomes :data:`MISSING`, as Go's does.
:class:`Evaluator` holds what an execution needs to evaluate expressions; the statements
(:mod:`.execute`) build on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from kaiun.templating.errors import FuncError, TemplateExecError
from kaiun.templating.gotemplate.funcs import GO_TYPE, NILABLE, Func
from kaiun.templating.gotemplate.nodes import (
    BoolNode,
    ChainNode,
    CommandNode,
    DotNode,
    FieldNode,
    IdentifierNode,
    NilNode,
    Node,
    NumberNode,
    PipeNode,
    StringNode,
    Tree,
    VariableNode,
)
from kaiun.templating.values import Duration, GoTime, Int64, truth, type_name


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<no value>"


MISSING: Any = _Missing()
_NOFINAL: Any = object()


class BreakLoop(Exception):
    """``{{break}}``: unwinds to the enclosing ``range``."""


class ContinueLoop(Exception):
    """``{{continue}}``: unwinds to the next iteration of the enclosing ``range``."""


class Evaluator:
    """Expression evaluation for one execution: variables, functions, the current node."""

    __slots__ = (
        "depth", "dot_boxed", "funcs", "missingkey", "node", "out", "tree", "trees", "vars",
    )  # fmt: skip

    def __init__(
        self, trees: Mapping[str, Tree], tree: Tree, funcs: Mapping[str, Func], missingkey: str
    ) -> None:
        self.trees = trees
        self.tree = tree
        self.funcs = funcs
        self.missingkey = missingkey
        self.out: list[str] = []
        # [name, value, boxed]: boxed values are range elements, typed interface {} in Go.
        self.vars: list[list[Any]] = []
        self.dot_boxed = False
        self.node: Node = tree.root
        self.depth = 0

    # -- errors -------------------------------------------------------------------------
    def error(self, msg: str) -> TemplateExecError:
        where = self.tree.location(self.node)
        ctx = str(self.node)
        return TemplateExecError(
            f'template: {where}: executing "{self.tree.name}" at <{ctx}>: {msg}'
        )

    # -- variables ----------------------------------------------------------------------
    def var_entry(self, name: str) -> list[Any]:
        for i in range(len(self.vars) - 1, -1, -1):
            if self.vars[i][0] == name:
                return self.vars[i]
        raise self.error(f"undefined variable: {name}")

    def set_var(self, name: str, value: Any) -> None:
        for i in range(len(self.vars) - 1, -1, -1):
            if self.vars[i][0] == name:
                self.vars[i][1] = value
                self.vars[i][2] = False
                return
        raise self.error(f"undefined variable: {name}")

    # -- statements ---------------------------------------------------------------------

    def eval_pipeline(self, dot: Any, pipe: PipeNode) -> Any:
        self.node = pipe
        value = _NOFINAL
        for cmd in pipe.cmds:
            value = self.eval_command(dot, cmd, value)
            if value is None:
                value = MISSING
        for name in pipe.decl:
            if pipe.is_assign:
                self.set_var(name, value)
            else:
                self.vars.append([name, value, False])
        return value

    def not_a_function(self, args: list[Node], final: Any) -> None:
        if len(args) > 1 or final is not _NOFINAL:
            raise self.error(f"can't give argument to non-function {args[0]}")

    def eval_command(self, dot: Any, cmd: CommandNode, final: Any) -> Any:
        first = cmd.args[0]
        if isinstance(first, FieldNode):
            self.node = first
            return self.eval_field_chain(
                dot, dot, first, first.idents, cmd.args, final, self.dot_boxed
            )
        if isinstance(first, VariableNode):
            self.node = first
            _, value, boxed = self.var_entry(first.idents[0])
            if len(first.idents) == 1:
                self.not_a_function(cmd.args, final)
                return value
            return self.eval_field_chain(
                dot, value, first, first.idents[1:], cmd.args, final, boxed
            )
        if isinstance(first, IdentifierNode):
            return self.eval_function(dot, first, cmd, cmd.args, final)
        if isinstance(first, ChainNode):
            return self.eval_chain(dot, first, cmd.args, final)
        if isinstance(first, PipeNode):
            self.not_a_function(cmd.args, final)
            return self.eval_pipeline(dot, first)
        self.node = first
        self.not_a_function(cmd.args, final)
        if isinstance(first, BoolNode):
            return first.value
        if isinstance(first, DotNode):
            return dot
        if isinstance(first, NilNode):
            raise self.error("nil is not a command")
        if isinstance(first, NumberNode):
            return self.ideal_constant(first)
        if isinstance(first, StringNode):
            return first.text
        raise self.error(f"can't evaluate command {first}")  # pragma: no cover

    def eval_chain(self, dot: Any, chain: ChainNode, args: list[Node], final: Any) -> Any:
        self.node = chain
        if isinstance(chain.node, NilNode):
            raise self.error(f"indirection through explicit nil in {chain}")
        receiver = self.eval_arg(dot, None, chain.node)
        return self.eval_field_chain(dot, receiver, chain, chain.fields, args, final)

    def eval_field_chain(
        self,
        dot: Any,
        receiver: Any,
        node: Node,
        idents: tuple[str, ...],
        args: list[Node],
        final: Any,
        boxed: bool = False,
    ) -> Any:
        last = len(idents) - 1
        for i in range(last):
            from_map = isinstance(receiver, Mapping)
            receiver = self.eval_field(dot, idents[i], node, [], _NOFINAL, receiver, boxed)
            boxed = from_map
        return self.eval_field(dot, idents[last], node, args, final, receiver, boxed)

    def eval_field(
        self,
        dot: Any,
        name: str,
        node: Node,
        args: list[Node],
        final: Any,
        receiver: Any,
        boxed: bool = False,
    ) -> Any:
        """``receiver.name``; ``boxed`` values came out of a map, so Go types them interface {}."""
        if type(receiver) is dict and name in receiver and len(args) < 2 and final is _NOFINAL:
            return receiver[name]
        if receiver is MISSING:
            if self.missingkey == "error":
                raise self.error(f'nil data; no entry for key "{name}"')
            return MISSING
        if receiver is None:
            raise self.error(f"nil pointer evaluating interface {{}}.{name}")
        has_args = len(args) > 1 or final is not _NOFINAL
        if isinstance(receiver, Mapping):
            if has_args:
                raise self.error(f"{name} is not a method but has arguments")
            try:
                return receiver[name]
            except KeyError:
                pass
            except TypeError:
                raise self.error(
                    f"can't evaluate field {name} in type {type_name(receiver)}"
                ) from None
            if self.missingkey == "error":
                raise self.error(f'map has no entry for key "{name}"')
            return None if self.missingkey == "zero" else MISSING
        if (
            not isinstance(receiver, str | int | float | list | tuple | bytes)
            and name[:1].isupper()
        ):
            attr = getattr(receiver, name, MISSING)
            if attr is not MISSING:
                if callable(attr):
                    fn = Func(attr, (), "any")
                    return self.eval_call(dot, fn, node, name, args, final)
                if has_args:
                    raise self.error(f"{name} has arguments but cannot be invoked as function")
                return attr
        typ = "interface {}" if boxed else type_name(receiver)
        raise self.error(f"can't evaluate field {name} in type {typ}")

    def eval_function(
        self, dot: Any, ident: IdentifierNode, cmd: CommandNode, args: list[Node], final: Any
    ) -> Any:
        self.node = ident
        fn = self.funcs.get(ident.name)
        if fn is None:
            raise self.error(f'"{ident.name}" is not a defined function')
        return self.eval_call(dot, fn, cmd, ident.name, args, final)

    def eval_call(
        self, dot: Any, fn: Func, node: Node, name: str, args: list[Node], final: Any
    ) -> Any:
        args = args[1:]
        num_in = len(args) + (final is not _NOFINAL)
        num_fixed = len(args)
        if fn.variadic is not None:
            num_fixed = len(fn.params)
            if num_in < num_fixed:
                raise self.error(
                    f"wrong number of args for {name}: want at least {num_fixed} got {len(args)}"
                )
        elif num_in != len(fn.params):
            raise self.error(f"wrong number of args for {name}: want {len(fn.params)} got {num_in}")
        if fn.special in ("and", "or"):
            return self._and_or(dot, fn.special, args, final)
        argv: list[Any] = []
        i = 0
        while i < num_fixed and i < len(args):
            argv.append(self.eval_arg(dot, fn.params[i], args[i]))
            i += 1
        if fn.variadic is not None:
            while i < len(args):
                argv.append(self.eval_arg(dot, fn.variadic, args[i]))
                i += 1
        if final is not _NOFINAL:
            if fn.variadic is None:
                t = fn.params[-1]
            else:
                t = fn.params[num_in - 1] if num_in - 1 < num_fixed else fn.variadic
            argv.append(self.validate(final, t))
        if fn.special == "call":
            return self._call(node, argv)
        if fn.special == "slice":
            boxed = tuple(self._boxed_arg(a) for a in args[1:])
            return self._invoke(fn, node, name, argv, {"boxed": boxed})
        try:
            return fn.fn(*argv)
        except (TemplateExecError, BreakLoop, ContinueLoop, RecursionError):
            raise
        except Exception as exc:
            raise self._call_error(node, name, exc) from None

    def _boxed_arg(self, n: Node) -> bool:
        """Whether Go would see this argument with a static interface type (a map value)."""
        if isinstance(n, FieldNode | ChainNode):
            return True
        return isinstance(n, VariableNode) and len(n.idents) > 1

    def _invoke(
        self, fn: Func, node: Node, name: str, argv: list[Any], kwargs: dict[str, Any]
    ) -> Any:
        try:
            return fn.fn(*argv, **kwargs)
        except (TemplateExecError, BreakLoop, ContinueLoop, RecursionError):
            raise
        except Exception as exc:
            raise self._call_error(node, name, exc) from None

    def _call_error(self, node: Node, name: str, exc: Exception) -> TemplateExecError:
        """``error calling f: ...``; Go recovers a panicking function the same way."""
        self.node = node
        reason = str(exc) if isinstance(exc, FuncError) else _describe_exc(exc)
        return self.error(f"error calling {name}: {reason}")

    def _and_or(self, dot: Any, which: str, args: list[Node], final: Any) -> Any:
        v: Any = MISSING
        for arg in args:
            v = self.eval_arg(dot, "any", arg)
            if truth(v) == (which == "or"):
                return v
        if final is not _NOFINAL:
            v = self.validate(final, "any")
        return v

    def _call(self, node: Node, argv: list[Any]) -> Any:
        fn, rest = argv[0], argv[1:]
        if fn is None:
            self.node = node
            raise self.error("error calling call: call of nil")
        if not callable(fn) or isinstance(fn, GoTime | Duration):
            self.node = node
            raise self.error(f"error calling call: non-function of type {type_name(fn)}")
        try:
            return fn(*rest)
        except FuncError as exc:
            self.node = node
            raise self.error(f"error calling call: {exc}") from None
        except Exception as exc:
            self.node = node
            raise self.error(f"error calling call: {_describe_exc(exc)}") from None

    def eval_arg(self, dot: Any, typ: str | None, n: Node) -> Any:  # noqa: C901
        self.node = n
        kind = type(n)
        # The common arguments first: a string literal or a plain map field.
        if kind is StringNode and typ in ("str", "any"):
            return cast(StringNode, n).text
        if kind is FieldNode and type(dot) is dict and not self.dot_boxed:
            idents = cast(FieldNode, n).idents
            if len(idents) == 1 and idents[0] in dot:
                return self.validate(dot[idents[0]], typ)
        if isinstance(n, DotNode):
            return self.validate(dot, typ)
        if isinstance(n, NilNode):
            if typ == "rv":  # Go's reflect.Value parameters take nil as the zero Value
                return MISSING
            if typ is None or typ in NILABLE:
                return None
            raise self.error(f"cannot assign nil to {GO_TYPE.get(typ, typ)}")
        if isinstance(n, FieldNode):
            value = self.eval_field_chain(dot, dot, n, n.idents, [n], _NOFINAL, self.dot_boxed)
            return self.validate(value, typ)
        if isinstance(n, VariableNode):
            _, value, boxed = self.var_entry(n.idents[0])
            if len(n.idents) > 1:
                value = self.eval_field_chain(dot, value, n, n.idents[1:], [n], _NOFINAL, boxed)
            return self.validate(value, typ)
        if isinstance(n, PipeNode):
            return self.validate(self.eval_pipeline(dot, n), typ)
        if isinstance(n, IdentifierNode):
            fn = self.funcs[n.name]
            return self.validate(self.eval_call(dot, fn, n, n.name, [n], _NOFINAL), typ)
        if isinstance(n, ChainNode):
            return self.validate(self.eval_chain(dot, n, [], _NOFINAL), typ)
        if typ is None or typ in ("any", "rv"):
            if isinstance(n, NumberNode):
                return self.ideal_constant(n)
            if isinstance(n, StringNode):
                return n.text
            if isinstance(n, BoolNode):
                return n.value
        elif typ == "bool":
            if isinstance(n, BoolNode):
                return n.value
            raise self.error(f"expected bool; found {n}")
        elif typ in ("int", "int64", "dur"):
            if isinstance(n, NumberNode) and n.is_int:
                return {"int": int, "int64": Int64, "dur": Duration}[typ](n.int_value)
            raise self.error(f"expected integer; found {n}")
        elif typ == "float":
            if isinstance(n, NumberNode) and n.is_float:
                return n.float_value
            raise self.error(f"expected float; found {n}")
        elif typ == "str":
            if isinstance(n, StringNode):
                return n.text
            raise self.error(f"expected string; found {n}")
        raise self.error(f"can't handle {n} for arg of type {GO_TYPE.get(typ or 'any')}")

    def ideal_constant(self, n: NumberNode) -> Any:
        text = n.text
        hex_int = text.lstrip("+-")[:2].lower() == "0x" and "p" not in text.lower()
        if n.is_float and not hex_int and text[0] != "'" and any(c in text for c in ".eEpP"):
            return n.float_value
        if n.is_int:
            if not -(2**63) <= n.int_value < 2**63:
                raise self.error(f"{text} overflows int")
            return n.int_value
        raise self.error(f"{text} overflows int")

    def validate(self, value: Any, typ: str | None) -> Any:
        if typ == "str" and type(value) is str:
            return value
        if value is MISSING:
            if typ is None or typ == "rv":
                return MISSING
            if typ in NILABLE:
                return None
            raise self.error(f"invalid value; expected {GO_TYPE.get(typ, typ)}")
        if typ is None or typ in ("any", "rv"):
            return value
        if _assignable(value, typ):
            return value
        got = "interface {}" if value is None else type_name(value)
        raise self.error(f"wrong type for value; expected {GO_TYPE.get(typ, typ)}; got {got}")


def _assignable(value: Any, typ: str) -> bool:
    if typ == "str":
        return isinstance(value, str)
    if typ == "int":
        return isinstance(value, int) and not isinstance(value, bool | Int64)
    if typ == "int64":
        return isinstance(value, Int64)
    if typ == "float":
        return isinstance(value, float)
    if typ == "bool":
        return isinstance(value, bool)
    if typ == "dict":
        return isinstance(value, Mapping)
    if typ == "list":
        return isinstance(value, list | tuple)
    if typ == "time":
        return isinstance(value, GoTime)
    if typ == "dur":
        return isinstance(value, Duration)
    return True


def _describe_exc(exc: Exception) -> str:
    if isinstance(exc, ZeroDivisionError):
        return "runtime error: integer divide by zero"
    if isinstance(exc, IndexError):
        return "runtime error: index out of range"
    return str(exc) or type(exc).__name__
