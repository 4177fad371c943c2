"""Recursive-descent parser for Go templates, following ``text/template/parse`` closely.

It yields one :class:`Tree` per template name (the main one plus every ``define``/``block``)
and reports errors as ``template: name:line: message``.
"""

from __future__ import annotations

from collections.abc import Container

from kaiun.templating.errors import TemplateParseError
from kaiun.templating.gotemplate import literals
from kaiun.templating.gotemplate.lexer import Lexer, Token
from kaiun.templating.gotemplate.nodes import (
    ActionNode,
    BoolNode,
    BranchNode,
    BreakNode,
    ChainNode,
    CommandNode,
    ContinueNode,
    DotNode,
    FieldNode,
    IdentifierNode,
    ListNode,
    NilNode,
    Node,
    NumberNode,
    PipeNode,
    StringNode,
    TemplateNode,
    TextNode,
    Tree,
    VariableNode,
    is_empty,
)

_OPERAND_START = frozenset(
    ["bool", "char", "dot", "field", "identifier", "number", "nil", "rawstring", "string",
     "variable", "lparen"]
)  # fmt: skip


class _End(Node):
    __slots__ = ()

    def __str__(self) -> str:
        return "{{end}}"


class _Else(Node):
    __slots__ = ()

    def __str__(self) -> str:
        return "{{else}}"


def _describe(tok: Token) -> str:
    if tok.kind == "eof":
        return "EOF"
    if tok.kind == "keyword" or tok.kind == "nil":
        return f"<{tok.val}>"
    if len(tok.val) > 10:
        return '"' + tok.val[:10] + '"...'
    return '"' + tok.val.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Parser:
    """Parses one template text into named trees."""

    def __init__(
        self, name: str, text: str, funcs: Container[str], delims: tuple[str, str]
    ) -> None:
        self.name = name
        self.text = text
        self.funcs = funcs
        self.tokens = Lexer(name, text, *delims).run()
        self.i = 0
        self.vars: list[str] = ["$"]
        self.range_depth = 0
        self.trees: dict[str, Tree] = {}
        self.tree_name = name

    # -- token stream -------------------------------------------------------------------
    def next(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def peek(self) -> Token:
        return self.tokens[self.i]

    def next_non_space(self) -> Token:
        tok = self.next()
        while tok.kind == "space":
            tok = self.next()
        return tok

    def peek_non_space(self) -> Token:
        tok = self.next_non_space()
        self.i -= 1
        return tok

    def fail(self, msg: str, tok: Token | None = None) -> TemplateParseError:
        line = (tok or self.tokens[max(self.i - 1, 0)]).line
        return TemplateParseError(f"template: {self.name}:{line}: {msg}")

    def unexpected(self, tok: Token, context: str) -> TemplateParseError:
        if tok.kind == "eof":
            return self.fail(f"unexpected EOF in {context}", tok)
        return self.fail(f"unexpected {_describe(tok)} in {context}", tok)

    def expect(self, kind: str, context: str) -> Token:
        tok = self.next_non_space()
        if tok.kind != kind:
            raise self.unexpected(tok, context)
        return tok

    # -- top level ----------------------------------------------------------------------
    def parse(self) -> dict[str, Tree]:
        """Parse everything; returns trees by name (the main one under ``self.name``)."""
        root = ListNode(self.peek().pos)
        while self.peek().kind != "eof":
            if self.peek().kind == "left":
                save = self.i
                self.next()
                tok = self.next_non_space()
                if tok.kind == "keyword" and tok.val == "define":
                    self.definition()
                    continue
                self.i = save
            node = self.text_or_action()
            if isinstance(node, _End | _Else):
                raise self.fail(f"unexpected {node}")
            root.nodes.append(node)
        self.add(Tree(self.name, self.name, self.text, root))
        return self.trees

    def add(self, tree: Tree) -> None:
        old = self.trees.get(tree.name)
        if old is None or is_empty(old.root):
            self.trees[tree.name] = tree
        elif not is_empty(tree.root):
            raise self.fail(f'template: multiple definition of template "{tree.name}"')

    def definition(self) -> None:
        tok = self.next_non_space()
        if tok.kind not in ("string", "rawstring"):
            raise self.unexpected(tok, "define clause")
        name = self.unquote(tok)
        self.expect("right", "define clause")
        saved_vars, self.vars = self.vars, ["$"]
        body, end = self.item_list()
        if not isinstance(end, _End):
            raise self.fail(f"unexpected {end} in define clause")
        self.vars = saved_vars
        self.add(Tree(name, self.name, self.text, body))

    def item_list(self) -> tuple[ListNode, Node]:
        lst = ListNode(self.peek_non_space().pos)
        while self.peek_non_space().kind != "eof":
            node = self.text_or_action()
            if isinstance(node, _End | _Else):
                return lst, node
            lst.nodes.append(node)
        raise self.fail("unexpected EOF")

    def text_or_action(self) -> Node:
        tok = self.next_non_space()
        if tok.kind == "text":
            return TextNode(tok.pos, tok.val)
        if tok.kind == "left":
            return self.action()
        raise self.unexpected(tok, "input")

    def action(self) -> Node:
        tok = self.next_non_space()
        if tok.kind == "keyword":
            kw = tok.val
            if kw == "end":
                self.expect("right", "end")
                return _End(tok.pos)
            if kw == "else":
                return self.else_control(tok)
            if kw in ("if", "with", "range"):
                return self.control(kw, tok)
            if kw == "template":
                return self.template_control(tok)
            if kw == "block":
                return self.block_control(tok)
            if kw in ("break", "continue"):
                self.expect("right", kw)
                if self.range_depth == 0:
                    raise self.fail(f"{{{{{kw}}}}} outside {{{{range}}}}", tok)
                return (
                    BreakNode(tok.pos, tok.line)
                    if kw == "break"
                    else ContinueNode(tok.pos, tok.line)
                )
        self.i -= 1
        start = self.peek_non_space()
        return ActionNode(start.pos, start.line, self.pipeline("command", "right"))

    def else_control(self, tok: Token) -> Node:
        nxt = self.peek_non_space()
        if nxt.kind == "keyword" and nxt.val in ("if", "with"):
            return _Else(nxt.pos)
        self.expect("right", "else")
        return _Else(tok.pos)

    def control(self, kind: str, tok: Token) -> BranchNode:
        nvars = len(self.vars)
        pipe = self.pipeline(kind, "right")
        if kind == "range":
            self.range_depth += 1
        body, nxt = self.item_list()
        if kind == "range":
            self.range_depth -= 1
        else_body: ListNode | None = None
        if isinstance(nxt, _Else):
            peek = self.peek()
            if kind in ("if", "with") and peek.kind == "keyword" and peek.val == kind:
                inner_tok = self.next()
                else_body = ListNode(nxt.pos, [self.control(kind, inner_tok)])
            else:
                else_body, nxt = self.item_list()
                if not isinstance(nxt, _End):
                    raise self.fail(f"expected end; found {nxt}")
        self.vars = self.vars[:nvars]
        return BranchNode(tok.pos, kind, tok.line, pipe, body, else_body)

    def template_name(self, tok: Token, context: str) -> str:
        if tok.kind not in ("string", "rawstring"):
            raise self.unexpected(tok, context)
        return self.unquote(tok)

    def template_control(self, kw: Token) -> TemplateNode:
        tok = self.next_non_space()
        name = self.template_name(tok, "template clause")
        pipe = None
        if self.next_non_space().kind != "right":
            self.i -= 1
            pipe = self.pipeline("template clause", "right")
        return TemplateNode(tok.pos, tok.line, name, pipe)

    def block_control(self, kw: Token) -> TemplateNode:
        tok = self.next_non_space()
        name = self.template_name(tok, "block clause")
        pipe = self.pipeline("block clause", "right")
        saved_vars, saved_depth = self.vars, self.range_depth
        self.vars, self.range_depth = ["$"], 0
        body, end = self.item_list()
        if not isinstance(end, _End):
            raise self.fail(f"unexpected {end} in block clause")
        self.vars, self.range_depth = saved_vars, saved_depth
        self.add(Tree(name, self.name, self.text, body))
        return TemplateNode(tok.pos, tok.line, name, pipe)

    # -- pipelines ----------------------------------------------------------------------
    def pipeline(self, context: str, end: str) -> PipeNode:
        start = self.peek_non_space()
        pipe = PipeNode(start.pos, start.line)
        self.declarations(pipe, context)
        while True:
            tok = self.next_non_space()
            if tok.kind == end:
                self.check_pipeline(pipe, context)
                if not pipe.decl and len(pipe.cmds) == 1 and len(pipe.cmds[0].args) == 1:
                    only = pipe.cmds[0].args[0]
                    if isinstance(only, FieldNode):
                        pipe.fast = only.idents
                return pipe
            if tok.kind in _OPERAND_START:
                self.i -= 1
                pipe.cmds.append(self.command())
            else:
                raise self.unexpected(tok, context)

    def declarations(self, pipe: PipeNode, context: str) -> None:
        while True:
            v = self.peek_non_space()
            if v.kind != "variable":
                return
            save = self.i
            self.next_non_space()
            nxt = self.peek_non_space()
            if nxt.kind in ("assign", "declare"):
                pipe.is_assign = nxt.kind == "assign"
                self.next_non_space()
                pipe.decl.append(v.val)
                self.vars.append(v.val)
                return
            if nxt.kind == "comma":
                self.next_non_space()
                pipe.decl.append(v.val)
                self.vars.append(v.val)
                if context == "range" and len(pipe.decl) < 2:
                    if self.peek_non_space().kind in ("variable", "right", "rparen"):
                        continue
                    raise self.fail("range can only initialize variables")
                raise self.fail(f"too many declarations in {context}")
            self.i = save
            return

    def check_pipeline(self, pipe: PipeNode, context: str) -> None:
        if not pipe.cmds:
            raise self.fail(f"missing value for {context}")
        for i, c in enumerate(pipe.cmds[1:]):
            if isinstance(c.args[0], BoolNode | DotNode | NilNode | NumberNode | StringNode):
                raise self.fail(f"non executable command in pipeline stage {i + 2}")

    def command(self) -> CommandNode:
        cmd = CommandNode(self.peek_non_space().pos)
        while True:
            self.peek_non_space()
            operand = self.operand()
            if operand is not None:
                cmd.args.append(operand)
            tok = self.next()
            if tok.kind == "space":
                continue
            if tok.kind in ("right", "rparen"):
                self.i -= 1
            elif tok.kind != "pipe":
                raise self.unexpected(tok, "operand")
            break
        if not cmd.args:
            raise self.fail("empty command")
        return cmd

    def operand(self) -> Node | None:
        node = self.term()
        if node is None or self.peek().kind != "field":
            return node
        pos = self.peek().pos
        fields: list[str] = []
        while self.peek().kind == "field":
            fields.extend(self.next().val[1:].split("."))
        if isinstance(node, FieldNode):
            return FieldNode(pos, node.idents + tuple(fields))
        if isinstance(node, VariableNode):
            return VariableNode(pos, node.idents + tuple(fields))
        if isinstance(node, BoolNode | StringNode | NumberNode | NilNode | DotNode):
            raise self.fail(f'unexpected . after term "{node}"')
        return ChainNode(pos, node, tuple(fields))

    def term(self) -> Node | None:
        tok = self.next_non_space()
        k = tok.kind
        if k == "identifier":
            if tok.val not in self.funcs:
                raise self.fail(f'function "{tok.val}" not defined', tok)
            return IdentifierNode(tok.pos, tok.val)
        if k == "dot":
            return DotNode(tok.pos)
        if k == "nil":
            return NilNode(tok.pos)
        if k == "variable":
            if tok.val not in self.vars:
                raise self.fail(f'undefined variable "{tok.val}"', tok)
            return VariableNode(tok.pos, (tok.val,))
        if k == "field":
            return FieldNode(tok.pos, tuple(tok.val[1:].split(".")))
        if k == "bool":
            return BoolNode(tok.pos, tok.val == "true")
        if k in ("number", "char"):
            return self.number(tok)
        if k == "lparen":
            return self.pipeline("parenthesized pipeline", "rparen")
        if k in ("string", "rawstring"):
            return StringNode(tok.pos, tok.val, self.unquote(tok))
        self.i -= 1
        return None

    def unquote(self, tok: Token) -> str:
        try:
            return literals.unquote(tok.val)
        except literals.SyntaxErr as exc:
            raise self.fail(str(exc), tok) from None

    def number(self, tok: Token) -> NumberNode:
        text = tok.val
        if tok.kind == "char":
            try:
                code = ord(literals.unquote(text))
            except literals.SyntaxErr:
                raise self.fail(f"malformed character constant: {text}", tok) from None
            return NumberNode(tok.pos, text, True, True, code, float(code))
        iv = literals.parse_int(text)
        if iv is not None and not -(2**63) <= iv < 2**64:
            iv = None
        fv = literals.parse_float(text)
        if iv is None and fv is not None:
            if not any(c in text for c in ".eEpP"):
                raise self.fail(f'integer overflow: "{text}"', tok)
            if fv.is_integer() and -(2**63) <= fv < 2**63:
                iv = int(fv)
        if iv is None and fv is None:
            raise self.fail(f'illegal number syntax: "{text}"', tok)
        return NumberNode(
            tok.pos,
            text,
            iv is not None,
            fv is not None,
            iv if iv is not None else 0,
            fv if fv is not None else float(iv or 0),
        )


def parse_trees(
    name: str, text: str, funcs: Container[str], delims: tuple[str, str] = ("{{", "}}")
) -> dict[str, Tree]:
    """Parse ``text`` as template ``name``; returns every tree it defines."""
    return Parser(name, text, funcs, delims).parse()
