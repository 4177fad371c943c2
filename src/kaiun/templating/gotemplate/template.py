"""The public face of the Go template engine: :func:`parse` and :class:`Template`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kaiun.templating.errors import TemplateExecError, TemplateParseError
from kaiun.templating.gotemplate.builtins import BUILTINS
from kaiun.templating.gotemplate.execute import MISSING, State
from kaiun.templating.gotemplate.funcs import Func, FuncMap, as_func
from kaiun.templating.gotemplate.nodes import Tree
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


class Template:
    """A parsed Go template (plus the templates it defines); execute it many times."""

    __slots__ = ("_funcs", "_missingkey", "_trees", "name")

    def __init__(
        self, name: str, trees: Mapping[str, Tree], funcs: Mapping[str, Func], missingkey: str
    ) -> None:
        self.name = name
        self._trees = dict(trees)
        self._funcs = funcs
        self._missingkey = missingkey

    @property
    def names(self) -> list[str]:
        """Names of every template this one defines (sorted)."""
        return sorted(self._trees)

    def execute(self, data: Any, *, name: str | None = None) -> str:
        """Render against ``data`` (the template's ``.``); raises :class:`TemplateExecError`."""
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
        state.vars.append(["$", dot])
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
    trees = parse_trees(name, text, table, delims)
    return Template(name, trees, table, mode)
