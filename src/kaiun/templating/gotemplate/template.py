"""The public face of the Go template engine: :func:`parse` and :class:`Template`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kaiun.templating.errors import TemplateExecError, TemplateParseError
from kaiun.templating.gotemplate.builtins import BUILTINS
from kaiun.templating.gotemplate.evaluate import MISSING
from kaiun.templating.gotemplate.execute import State
from kaiun.templating.gotemplate.funcs import Func, FuncMap, as_func
from kaiun.templating.gotemplate.nodes import ActionNode, TextNode, Tree
from kaiun.templating.gotemplate.parser import parse_trees

_MISSINGKEY = {"default": "default", "invalid": "default", "zero": "zero", "error": "error"}


def _missingkey(options: Iterable[str]) -> str:
    mode = "default"
    for opt in options:
        key, _, value = opt.partition("=")
        if key != "missingkey" or value not in _MISSINGKEY:
            raise TemplateParseError(f"template: unrecognized option: {opt}")
        mode = _MISSINGKEY[value]
    return mode


Plan = tuple[str | tuple[str, ...], ...]


def _plan(tree: Tree | None) -> Plan | None:
    """Text and plain ``{{.a.b}}`` actions only: renderable without the executor."""
    if tree is None:
        return None
    parts: list[str | tuple[str, ...]] = []
    for node in tree.root.nodes:
        if isinstance(node, TextNode):
            parts.append(node.text)
        elif isinstance(node, ActionNode) and node.pipe.fast is not None:
            parts.append(node.pipe.fast)
        else:
            return None
    return tuple(parts)


class Template:
    """A parsed Go template (plus the templates it defines); execute it many times."""

    __slots__ = ("_funcs", "_missingkey", "_plan", "_trees", "name")

    def __init__(
        self, name: str, trees: Mapping[str, Tree], funcs: Mapping[str, Func], missingkey: str
    ) -> None:
        self.name = name
        self._trees = dict(trees)
        self._funcs = funcs
        self._missingkey = missingkey
        self._plan = _plan(self._trees.get(name))

    def _fast(self, data: Any) -> str | None:
        # ApplicationSet fields are mostly "{{.a}}-{{.b.c}}" over plain dicts with strings.
        plan = self._plan
        if plan is None or type(data) is not dict:
            return None
        out: list[str] = []
        for part in plan:
            if type(part) is str:
                out.append(part)
                continue
            v: Any = data
            for key in part:
                if type(v) is not dict or key not in v:
                    return None
                v = v[key]
            if type(v) is not str:
                return None
            out.append(v)
        return "".join(out)

    @property
    def names(self) -> list[str]:
        """Names of every template this one defines (sorted)."""
        return sorted(self._trees)

    def execute(self, data: Any, *, name: str | None = None) -> str:
        """Render against ``data`` (the template's ``.``); raises :class:`TemplateExecError`."""
        if name is None:
            fast = self._fast(data)
            if fast is not None:
                return fast
        target = name or self.name
        tree = self._trees.get(target)
        if tree is None:
            if name is None:
                raise TemplateExecError(
                    f'template: {target}: "{target}" is an incomplete or empty template'
                )
            raise TemplateExecError(
                f'template: no template "{target}" associated with "{self.name}"'
            )
        state = State(self._trees, tree, self._funcs, self._missingkey)
        dot = MISSING if data is None else data
        state.vars.append(["$", dot, False])
        try:
            state.walk(dot, tree.root)
        except RecursionError:
            raise TemplateExecError(
                f"template: {target}: exceeded maximum template depth"
            ) from None
        return "".join(state.out)


def function_table(funcs: FuncMap | None) -> dict[str, Func]:
    """Builtins overlaid with caller functions (caller wins, as with Go's ``Funcs``)."""
    table = dict(BUILTINS)
    if funcs:
        table.update({k: as_func(v) for k, v in funcs.items()})
    return table


def parse(
    name: str,
    text: str,
    *,
    funcs: FuncMap | None = None,
    options: Iterable[str] = (),
    delims: tuple[str, str] = ("{{", "}}"),
) -> Template:
    """Parse ``text`` as Go template ``name`` with extra ``funcs`` and Go ``options``.

    ``options`` are Go's ``Option`` strings, e.g. ``["missingkey=error"]``.
    """
    table = function_table(funcs)
    mode = _missingkey(options)
    try:
        trees = parse_trees(name, text, table, delims)
    except RecursionError:
        raise TemplateParseError(f"template: {name}: template nests too deeply") from None
    return Template(name, trees, table, mode)
