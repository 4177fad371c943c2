"""The room's public surface: parse/execute options, functions, errors, named templates."""

from __future__ import annotations

import datetime as dt

import pytest

from kaiun import templating
from kaiun.templating import Func, GoTime, func


def test_surface_is_what_it_claims() -> None:
    for name in templating.__all__:
        assert hasattr(templating, name), name
    assert issubclass(templating.TemplateParseError, templating.TemplatingError)
    assert issubclass(templating.TemplateExecError, templating.TemplateError)
    assert issubclass(templating.ExprSyntaxError, templating.ExprError)


def test_unknown_option_is_rejected() -> None:
    with pytest.raises(templating.TemplateParseError, match="unrecognized option: missingkey=x"):
        templating.parse("t", "x", options=["missingkey=x"])


def test_plain_python_function_takes_any_arguments() -> None:
    tmpl = templating.parse("t", '{{ greet "a" .n }}', funcs={"greet": lambda *a: f"hi {a}"})
    assert tmpl.execute({"n": 1}) == "hi ('a', 1)"


def test_typed_function_checks_arguments_like_go() -> None:
    @func("str", "int")
    def rep(s: str, n: int) -> str:
        return s * n

    tmpl = templating.parse("t", "{{ rep .s .n }}", funcs={"rep": rep})
    assert isinstance(rep, Func)
    assert tmpl.execute({"s": "ab", "n": 2}) == "abab"
    with pytest.raises(templating.TemplateExecError, match="expected int; got float64"):
        tmpl.execute({"s": "ab", "n": 2.0})
    with pytest.raises(templating.TemplateExecError, match="wrong number of args for rep"):
        templating.parse("t", "{{ rep 1 }}", funcs={"rep": rep}).execute({})


def test_caller_functions_override_sprig() -> None:
    tmpl = templating.parse("t", '{{ upper "x" }}', funcs={"upper": lambda s: "overridden"})
    assert tmpl.execute({}) == "overridden"


def test_function_error_is_wrapped_with_location() -> None:
    def boom() -> str:
        raise templating.FuncError("it broke")

    tmpl = templating.parse("t", "a\n  {{ boom }}", funcs={"boom": Func(boom)})
    with pytest.raises(templating.TemplateExecError) as info:
        tmpl.execute({})
    assert (
        str(info.value) == 'template: t:2:5: executing "t" at <boom>: error calling boom: it broke'
    )


def test_named_templates_and_execute_by_name() -> None:
    tmpl = templating.parse("main", '{{define "a"}}A{{.}}{{end}}{{define "b"}}B{{end}}main')
    assert tmpl.names == ["a", "b", "main"]
    assert tmpl.execute(1, name="a") == "A1"
    assert tmpl.execute(None) == "main"
    with pytest.raises(templating.TemplateExecError, match='no template "c"'):
        tmpl.execute({}, name="c")


def test_custom_delimiters() -> None:
    tmpl = templating.gotemplate.parse("t", "[[ .a ]] {{ .a }}", delims=("[[", "]]"))
    assert tmpl.execute({"a": 1}) == "1 {{ .a }}"


def test_runaway_recursion_is_an_error_not_a_crash() -> None:
    tmpl = templating.parse("t", '{{define "r"}}{{template "r" .}}{{end}}{{template "r" .}}')
    with pytest.raises(templating.TemplateExecError, match="exceeded maximum template depth"):
        tmpl.execute({})


def test_methods_on_time_values() -> None:
    when = GoTime(dt.datetime(2024, 2, 29, 23, 5, 9, 120000, tzinfo=dt.UTC))
    text = '{{ .t.Format "Mon Jan _2 15:04:05.000 2006" }}|{{ .t.Unix }}|{{ .t.Year }}|{{ .t }}'
    assert templating.parse("t", text).execute({"t": when}) == (
        "Thu Feb 29 23:05:09.120 2024|1709247909|2024|2024-02-29 23:05:09.12 +0000 UTC"
    )


def test_call_invokes_data_functions() -> None:
    tmpl = templating.parse("t", "{{ call .f 2 3 }}|{{ call .g }}")
    assert tmpl.execute({"f": lambda a, b: a * b, "g": lambda: "g"}) == "6|g"


def test_printing_a_function_is_an_error() -> None:
    with pytest.raises(templating.TemplateExecError, match="can't print"):
        templating.parse("t", "{{ .f }}").execute({"f": lambda: 1})
