"""Executes parsed Go templates: the statements (text, actions, ``if``/``with``/``range``,
``template``) of ``text/template/exec.go``, over :class:`.evaluate.Evaluator`."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any, cast

from kaiun.templating import gofmt
from kaiun.templating.gotemplate.evaluate import MISSING, BreakLoop, ContinueLoop, Evaluator
from kaiun.templating.gotemplate.nodes import (
    ActionNode,
    BranchNode,
    BreakNode,
    ContinueNode,
    ListNode,
    Node,
    PipeNode,
    TemplateNode,
    TextNode,
)
from kaiun.templating.values import Duration, GoTime, truth, type_name

MAX_DEPTH = 1000


class State(Evaluator):
    """One execution: statements write to the output buffer."""

    __slots__ = ()

    def walk(self, dot: Any, node: Node) -> None:
        # Dispatch on the exact type: isinstance chains dominate render time otherwise.
        kind = type(node)
        if kind is ListNode:
            out = self.out
            for n in cast(ListNode, node).nodes:
                k = type(n)
                if k is TextNode:
                    out.append(cast(TextNode, n).text)
                elif k is ActionNode:
                    self.walk_action(dot, cast(ActionNode, n))
                else:
                    self.walk(dot, n)
        elif kind is TextNode:
            self.out.append(cast(TextNode, node).text)
        elif kind is ActionNode:
            self.walk_action(dot, cast(ActionNode, node))
        elif kind is BranchNode:
            branch = cast(BranchNode, node)
            if branch.kind == "range":
                self.walk_range(dot, branch)
            else:
                self.walk_if_or_with(dot, branch)
        elif kind is TemplateNode:
            self.walk_template(dot, cast(TemplateNode, node))
        elif kind is BreakNode:
            raise BreakLoop
        elif kind is ContinueNode:
            raise ContinueLoop
        else:  # pragma: no cover - the parser makes no other statements
            raise self.error(f"unknown node: {node}")

    def walk_action(self, dot: Any, node: ActionNode) -> None:
        fast = node.pipe.fast
        if fast is not None:
            # {{.a.b}} through plain dicts with every key present: no Go semantics to apply.
            v = dot
            for name in fast:
                if type(v) is not dict or name not in v:
                    break
                v = v[name]
            else:
                if type(v) is str:
                    self.out.append(v)
                    return
                if v is None:
                    self.out.append("<no value>")
                    return
        val = self.eval_pipeline(dot, node.pipe)
        if not node.pipe.decl:
            self.print_value(node, val)

    def print_value(self, node: Node, val: Any) -> None:
        if val is MISSING:
            self.out.append("<no value>")
            return
        if type(val) is str:
            self.out.append(val)
            return
        if callable(val) and not isinstance(val, GoTime | Duration):
            self.node = node
            raise self.error(f"can't print {node} of type {type_name(val)}")
        self.out.append(gofmt.format_value(val))

    def walk_if_or_with(self, dot: Any, node: BranchNode) -> None:
        mark = len(self.vars)
        val = self.eval_pipeline(dot, node.pipe)
        if truth(val) and val is not MISSING:
            if node.kind == "with":
                saved, self.dot_boxed = self.dot_boxed, False
                self.walk(val, node.body)
                self.dot_boxed = saved
            else:
                self.walk(dot, node.body)
        elif node.else_body is not None:
            self.walk(dot, node.else_body)
        del self.vars[mark:]

    def _range_items(self, node: BranchNode, val: Any) -> list[tuple[Any, Any]] | None:
        if val is MISSING or val is None:
            return []
        if isinstance(val, Mapping):
            return [(k, val[k]) for k in sorted(val, key=gofmt._map_key)]
        if isinstance(val, list | tuple):
            return list(enumerate(val))
        if isinstance(val, int) and not isinstance(val, bool):
            if len(node.pipe.decl) > 1:
                raise self.error(f"can't use {val} to iterate over more than one variable")
            return [(i, i) for i in range(val)]
        raise self.error(f"range can't iterate over {gofmt.format_value(val)}")

    def walk_range(self, dot: Any, node: BranchNode) -> None:
        self.node = node
        mark = len(self.vars)
        val = self.eval_pipeline(dot, node.pipe)
        items = self._range_items(node, val)
        decl = node.pipe.decl
        if items:
            saved_boxed, self.dot_boxed = self.dot_boxed, not isinstance(val, int)
            try:
                for index, elem in items:
                    inner = len(self.vars)
                    if len(decl) == 1:
                        self._bind(node.pipe, decl[0], elem, 1)
                    elif len(decl) == 2:
                        self._bind(node.pipe, decl[0], index, 2)
                        self._bind(node.pipe, decl[1], elem, 1)
                        self.vars[-2][2] = False  # the index is a concrete int
                    with contextlib.suppress(ContinueLoop):
                        self.walk(elem, node.body)
                    del self.vars[inner:]
            except BreakLoop:
                pass
            finally:
                self.dot_boxed = saved_boxed
        elif node.else_body is not None:
            self.walk(dot, node.else_body)
        del self.vars[mark:]

    def _bind(self, pipe: PipeNode, name: str, value: Any, top: int) -> None:
        # Declared range variables were pushed by the pipeline; Go overwrites them in place.
        if pipe.is_assign:
            self.set_var(name, value)
        else:
            self.vars[-top][1] = value
            self.vars[-top][2] = self.dot_boxed

    def walk_template(self, dot: Any, node: TemplateNode) -> None:
        self.node = node
        tree = self.trees.get(node.name)
        if tree is None:
            raise self.error(f'template "{node.name}" not defined')
        if self.depth >= MAX_DEPTH:
            raise self.error(f"exceeded maximum template depth ({MAX_DEPTH})")
        new_dot = MISSING if node.pipe is None else self.eval_pipeline(dot, node.pipe)
        saved = (self.tree, self.vars, self.dot_boxed)
        self.tree, self.vars, self.dot_boxed = tree, [["$", new_dot, False]], False
        self.depth += 1
        try:
            self.walk(new_dot, tree.root)
        finally:
            self.depth -= 1
            self.tree, self.vars, self.dot_boxed = saved

    # -- expressions --------------------------------------------------------------------
