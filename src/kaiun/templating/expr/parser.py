"""expr-lang syntax: tokens and a precedence-climbing parser producing a small AST.

The AST is plain tuples ``(kind, pos, ...)``; :mod:`.compiler` turns it into closures.
Precedences follow expr-lang's (``or`` 10 < ``and`` 15 < comparisons 20 < ``..`` 25 <
``+ -`` 30 < ``not`` 50 < ``* / %`` 60 < unary ``- +`` 90 < ``** ^`` 100 < ``??`` 500).
"""

from __future__ import annotations

import re
from typing import Any

from kaiun.templating.errors import ExprSyntaxError

Ast = tuple[Any, ...]

_TOKEN = re.compile(
    r"""(?P<space>\s+|//[^\n]*|/\*.*?\*/)
    |(?P<number>0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][+-]?\d+)?)
    |(?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
    |(?P<pointer>\#(?:index|acc)?)
    |(?P<name>[A-Za-z_$][A-Za-z0-9_$]*)
    |(?P<op>\?\?|\?\.|\.\.|\*\*|==|!=|<=|>=|&&|\|\||[-+*/%^<>!?:.,;=()\[\]{}|])""",
    re.VERBOSE | re.DOTALL,
)
_WORD_OPS = frozenset(["and", "or", "not", "in", "matches", "contains", "startsWith", "endsWith"])
BINARY: dict[str, tuple[int, bool]] = {
    "or": (10, False), "||": (10, False), "and": (15, False), "&&": (15, False),
    "==": (20, False), "!=": (20, False), "<": (20, False), ">": (20, False),
    "<=": (20, False), ">=": (20, False), "in": (20, False), "matches": (20, False),
    "contains": (20, False), "startsWith": (20, False), "endsWith": (20, False),
    "..": (25, False), "+": (30, False), "-": (30, False), "*": (60, False),
    "/": (60, False), "%": (60, False), "**": (100, True), "^": (100, True),
    "??": (500, False),
}  # fmt: skip
UNARY = {"not": 50, "!": 50, "-": 90, "+": 90}
PREDICATES = frozenset(
    ["all", "none", "any", "one", "filter", "map", "count", "find", "findIndex", "findLast",
     "findLastIndex", "groupBy", "sortBy", "sum", "reduce"]
)  # fmt: skip
_ESC = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "0": "\0"}
_ESC.update({"a": "\a", "b": "\b", "f": "\f", "v": "\v"})


def located(msg: str, src: str, pos: int) -> str:
    """expr-lang's error layout: message, (line:col), the source line and a caret."""
    line = src.count("\n", 0, pos) + 1
    start = src.rfind("\n", 0, pos) + 1
    end = src.find("\n", pos)
    text = src[start : end if end >= 0 else len(src)]
    col = pos - start
    return f"{msg} ({line}:{col + 1})\n | {text}\n | {'.' * col}^"


def _unescape(body: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            e = body[i + 1]
            if e == "u" and i + 5 < len(body):
                out.append(chr(int(body[i + 2 : i + 6], 16)))
                i += 6
                continue
            if e == "x" and i + 3 < len(body):
                out.append(chr(int(body[i + 2 : i + 4], 16)))
                i += 4
                continue
            out.append(_ESC.get(e, e))
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def tokenize(src: str) -> list[tuple[str, Any, int]]:
    """(kind, value, pos) tokens; kinds: number, string, name, op, pointer, eof."""
    toks: list[tuple[str, Any, int]] = []
    pos = 0
    while pos < len(src):
        m = _TOKEN.match(src, pos)
        if m is None:
            raise ExprSyntaxError(located(f"unrecognized character: {src[pos]!r}", src, pos))
        kind = m.lastgroup or ""
        text = m.group()
        if kind == "number":
            clean = text.replace("_", "")
            is_float = not clean.lower().startswith(("0x", "0o", "0b")) and any(
                c in clean for c in ".eE"
            )
            toks.append(("number", float(clean) if is_float else int(clean, 0), pos))
        elif kind == "string":
            body = text[1:-1]
            toks.append(("string", body if text[0] == "`" else _unescape(body), pos))
        elif kind == "name" and text in _WORD_OPS:
            toks.append(("op", text, pos))
        elif kind != "space":
            toks.append((kind, text, pos))
        pos = m.end()
    toks.append(("eof", "", len(src)))
    return toks


class Parser:
    """Parses one expression."""

    def __init__(self, src: str) -> None:
        self.src = src
        self.toks = tokenize(src)
        self.i = 0
        self.locals: list[str] = []

    @property
    def cur(self) -> tuple[str, Any, int]:
        return self.toks[self.i]

    def fail(self, msg: str, pos: int | None = None) -> ExprSyntaxError:
        return ExprSyntaxError(located(msg, self.src, self.cur[2] if pos is None else pos))

    def is_op(self, *ops: str) -> bool:
        k, v, _ = self.cur
        return k == "op" and v in ops

    def expect(self, op: str) -> None:
        if not self.is_op(op):
            k, v, _ = self.cur
            got = "end of expression" if k == "eof" else f"{v!r}"
            raise self.fail(f"expected {op!r}, got {got}")
        self.i += 1

    def parse(self) -> Ast:
        node = self.statement()
        if self.cur[0] != "eof":
            raise self.fail(f"unexpected token {self.cur[1]!r}")
        return node

    def statement(self) -> Ast:
        """``let name = value; body`` bindings, then an expression."""
        k, v, pos = self.cur
        if k == "name" and v == "let":
            self.i += 1
            k2, name, _ = self.cur
            if k2 != "name":
                raise self.fail("expected a variable name after let")
            self.i += 1
            self.expect("=")
            value = self.expression(0)
            self.expect(";")
            self.locals.append(name)
            body = self.statement()
            self.locals.pop()
            return ("let", pos, name, value, body)
        return self.expression(0)

    def expression(self, prec: int) -> Ast:
        left = self.unary()
        while True:
            k, op, pos = self.cur
            if k != "op":
                break
            negate = False
            if op == "not" and self.toks[self.i + 1][1] in ("in", "matches", "contains"):
                negate = True
                op = self.toks[self.i + 1][1]
            if op not in BINARY or BINARY[op][0] < prec:
                break
            p, right_assoc = BINARY[op]
            self.i += 2 if negate else 1
            right = self.expression(p if right_assoc else p + 1)
            left = ("binary", pos, op, left, right)
            if negate:
                left = ("unary", pos, "not", left)
        if prec == 0:
            if self.is_op("?"):
                left = self.conditional(left)
            while self.is_op("|"):
                left = self.pipe(left)
        return left

    def conditional(self, cond: Ast) -> Ast:
        pos = self.cur[2]
        self.i += 1
        yes = self.expression(0)
        self.expect(":")
        return ("cond", pos, cond, yes, self.expression(0))

    def pipe(self, left: Ast) -> Ast:
        self.i += 1
        k, name, pos = self.cur
        if k != "name":
            raise self.fail("expected a function call after |")
        self.i += 1
        call = self.call(name, pos)
        return (call[0], call[1], call[2], [left, *call[3]])

    def unary(self) -> Ast:
        k, op, pos = self.cur
        if k == "op" and op in UNARY:
            self.i += 1
            return self.postfix(("unary", pos, op, self.expression(UNARY[op])))
        return self.postfix(self.primary())

    def primary(self) -> Ast:
        k, v, pos = self.cur
        if k == "eof":
            raise self.fail("unexpected end of expression")
        self.i += 1
        if k in ("number", "string"):
            return ("const", pos, v)
        if k == "pointer":
            return ("pointer", pos, v[1:] or "")
        if k == "name":
            if v in ("true", "false"):
                return ("const", pos, v == "true")
            if v == "nil":
                return ("const", pos, None)
            if self.is_op("("):
                return self.call(v, pos)
            if v in self.locals:
                return ("local", pos, v)
            return ("name", pos, v)
        if v == "(":
            node = self.statement()
            self.expect(")")
            return node
        if v == "[":
            items = self.sequence("]")
            return ("array", pos, items)
        if v == "{":
            return self.map_literal(pos)
        if v == ".":
            k2, name, _ = self.cur
            if k2 != "name":
                raise self.fail("expected a field name after .")
            self.i += 1
            return ("member", pos, ("pointer", pos, ""), ("const", pos, name), False)
        raise self.fail(f"unexpected token {v!r}", pos)

    def sequence(self, close: str) -> list[Ast]:
        items: list[Ast] = []
        while not self.is_op(close):
            items.append(self.expression(0))
            if not self.is_op(close):
                self.expect(",")
        self.i += 1
        return items

    def map_literal(self, pos: int) -> Ast:
        pairs: list[tuple[Ast, Ast]] = []
        while not self.is_op("}"):
            k, v, kpos = self.cur
            if k in ("name", "string", "number"):
                self.i += 1
                key: Ast = ("const", kpos, v)
            elif self.is_op("("):
                self.i += 1
                key = self.expression(0)
                self.expect(")")
            else:
                raise self.fail("a map key must be a name, string or number")
            self.expect(":")
            pairs.append((key, self.expression(0)))
            if not self.is_op("}"):
                self.expect(",")
        self.i += 1
        return ("map", pos, pairs)

    def call(self, name: str, pos: int) -> Ast:
        self.expect("(")
        if name in PREDICATES:
            args: list[Ast] = []
            while not self.is_op(")"):
                if args:
                    args.append(self.closure())
                else:
                    args.append(self.expression(0))
                if not self.is_op(")"):
                    self.expect(",")
            self.i += 1
            return ("call", pos, name, args)
        return ("call", pos, name, self.sequence(")"))

    def closure(self) -> Ast:
        pos = self.cur[2]
        if self.is_op("{"):
            save = self.i
            self.i += 1
            try:
                body = self.expression(0)
                self.expect("}")
                return ("closure", pos, body)
            except ExprSyntaxError:
                self.i = save  # a map literal, not a closure
        return ("closure", pos, self.expression(0))

    def postfix(self, node: Ast) -> Ast:
        optional_seen = False
        while True:
            k, v, pos = self.cur
            if k != "op":
                break
            if v in (".", "?."):
                self.i += 1
                optional = v == "?."
                optional_seen = optional_seen or optional
                if optional and self.is_op("["):
                    continue
                k2, name, npos = self.cur
                if k2 != "name" and not (k2 == "op" and name in _WORD_OPS):
                    raise self.fail("expected a field name")
                self.i += 1
                node = ("member", npos, node, ("const", npos, name), optional)
                if self.is_op("("):
                    self.i += 1
                    node = ("method", npos, node, self.sequence(")"))
            elif v == "[":
                self.i += 1
                node = self.index(node, pos)
            else:
                break
        return ("chain", node[1], node) if optional_seen else node

    def index(self, node: Ast, pos: int) -> Ast:
        if self.is_op(":"):
            self.i += 1
            hi = None if self.is_op("]") else self.expression(0)
            self.expect("]")
            return ("slice", pos, node, None, hi)
        lo = self.expression(0)
        if self.is_op(":"):
            self.i += 1
            hi = None if self.is_op("]") else self.expression(0)
            self.expect("]")
            return ("slice", pos, node, lo, hi)
        self.expect("]")
        return ("member", pos, node, lo, False)


def parse(src: str) -> Ast:
    """Parse expr-lang source into an AST; raises :class:`ExprSyntaxError`."""
    if not src.strip():
        raise ExprSyntaxError(located("unexpected end of expression", src, 0))
    return Parser(src).parse()
