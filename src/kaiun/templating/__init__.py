"""The templating room (pure, L1): faithful evaluators of the languages users write.

It owns Go text/template with Sprig (ApplicationSet ``goTemplate``, notification templates),
ApplicationSet's legacy ``{{param}}`` substitution, and expr-lang (notification triggers).
It does no IO — no files, clocks or network: ``now`` comes from an injected clock. It must
not import any other kaiun room.

Surface::

    tmpl = templating.parse("name", text, options=["missingkey=error"], clock=clock)
    tmpl.execute(data) -> str
    templating.fasttemplate.render(text, params) -> str
    templating.expr.compile(src).run(env, clock=clock) -> Any
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from kaiun.templating import expr, fasttemplate, sprig
from kaiun.templating.errors import (
    ExprError,
    ExprRuntimeError,
    ExprSyntaxError,
    FastTemplateError,
    FuncError,
    TemplateError,
    TemplateExecError,
    TemplateParseError,
    TemplatingError,
)
from kaiun.templating.gotemplate import Func, Template, func
from kaiun.templating.gotemplate import parse as _parse
from kaiun.templating.gotemplate.funcs import FuncMap
from kaiun.templating.values import Clock, Duration, GoTime, Int64

__all__ = [
    "Clock",
    "Duration",
    "ExprError",
    "ExprRuntimeError",
    "ExprSyntaxError",
    "FastTemplateError",
    "Func",
    "FuncError",
    "FuncMap",
    "GoTime",
    "Int64",
    "Template",
    "TemplateError",
    "TemplateExecError",
    "TemplateParseError",
    "TemplatingError",
    "expr",
    "fasttemplate",
    "func",
    "parse",
    "sprig",
]


def parse(
    name: str,
    text: str,
    *,
    funcs: FuncMap | None = None,
    options: Iterable[str] = (),
    clock: Clock | None = None,
    local: dt.tzinfo = dt.UTC,
) -> Template:
    """Parse a Go template with Go's builtins, Sprig (as ApplicationSet has it) and ``funcs``.

    ``options`` are Go's (``missingkey=default|zero|error``); ``clock`` feeds ``now``/``ago``.
    """
    table: dict[str, Func | Callable[..., Any]] = dict(sprig.functions(clock=clock, local=local))
    if funcs:
        table.update(funcs)
    return _parse(name, text, funcs=table, options=options)
