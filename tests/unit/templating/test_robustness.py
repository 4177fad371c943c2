"""Arbitrary input never escapes as anything but the room's own errors."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaiun import templating
from kaiun.templating import expr

TEMPLATE_PIECES = st.sampled_from(
    [*"{}.$|()-\"'` \n", "{{", "}}", "{{-", "-}}", "if", "end", "range", "else", "with",
    "define", "template", "printf", "index", ":=", "=", ",", "1", "a", "nil", "true", "/*",
    "*/", "len", "slice", "call", "block", "break", "continue", "upper", "default", "dict",
    "list", ".a.b", "$x", "toYaml", "semverCompare", "\"%d\""]
)  # fmt: skip
EXPR_PIECES = st.sampled_from(
    [*"()[]{}.,?:!#+-*/%<>=&|'\" ", "a", "b", "1", "2.5", "in", "not", "and", "or",
    "nil", "true", "all", "map", "filter", "len", "matches", "??", "?.", "..", "#index", "x",
    "now()", "duration", "'1h'"]
)  # fmt: skip
DATA = {"a": {"b": 1}, "l": [1, "x"], "s": "str"}


@settings(max_examples=300, deadline=None)
@given(st.lists(TEMPLATE_PIECES, min_size=1, max_size=25).map("".join))
def test_templates_fail_only_with_template_errors(text: str) -> None:
    try:
        out = templating.parse("t", text).execute(DATA)
    except templating.TemplateError:
        return
    assert isinstance(out, str)


@settings(max_examples=300, deadline=None)
@given(st.lists(EXPR_PIECES, min_size=1, max_size=15).map("".join))
def test_expressions_fail_only_with_expr_errors(src: str) -> None:
    with contextlib.suppress(templating.ExprError):
        expr.compile(src).run({"a": {"b": [1, 2]}, "x": "s"})


@pytest.mark.parametrize(
    "text",
    ["{{" + "(" * 3000 + "1" + ")" * 3000 + "}}", "{{if 1}}" * 3000 + "x" + "{{end}}" * 3000],
)
def test_deep_nesting_is_a_template_error(text: str) -> None:
    with pytest.raises(templating.TemplateParseError, match="nests too deeply"):
        templating.parse("t", text)


@pytest.mark.parametrize("src", ["(" * 3000 + "1" + ")" * 3000, "-" * 5000 + "1"])
def test_deep_expression_is_a_syntax_error(src: str) -> None:
    with pytest.raises(templating.ExprSyntaxError, match="nests too deeply"):
        expr.compile(src)
