"""Sprig functions: each case's output or error equals what Helm's engine (Go + Sprig) gave.

Helm executes with ``missingkey=zero`` and blanks ``<no value>``; the cases are rendered the
same way here so the recorded outputs compare byte for byte.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from kaiun import templating
from kaiun.templating.values import GoTime

from .conftest import case_id, go_data, load_cases

CASES = load_cases("sprig.yaml")
FIXED = GoTime(dt.datetime(2024, 3, 15, 10, 20, 30, tzinfo=dt.UTC))


def render_like_helm(text: str, data: Any) -> str:
    """Render the way Helm does: missingkey=zero, then ``<no value>`` blanked."""
    tmpl = templating.parse("case", text, options=["missingkey=zero"], clock=lambda: FIXED)
    return tmpl.execute(go_data(data)).replace("<no value>", "")


def helm_reason(message: str) -> str:
    """The last line of a Helm error: Go's own reason, without Helm's location wrapping."""
    reason = message.strip().splitlines()[-1].strip()
    if reason.startswith("execution error at ("):
        reason = reason.split("): ", 1)[1]
    return reason.split("executing", 1)[-1].split(">: ", 1)[-1]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_matches_helm(case: dict[str, Any]) -> None:
    if "out" in case:
        assert render_like_helm(case["text"], case["data"]) == case["out"]
        return
    with pytest.raises(templating.TemplateError) as info:
        render_like_helm(case["text"], case["data"])
    assert helm_reason(case["error"]) in str(info.value)


@pytest.mark.parametrize(
    ("text", "out"),
    [
        ('{{ normalize "Hello_World!" }}', "hello-world"),
        ('{{ normalize "--My.App--" }}', "my.app"),
        ('{{ normalize "UPPER case" }}', "upper-case"),
        ('{{ slugify "Hello World Foo" }}', "hello-world-foo"),
        ('{{ slugify 12 true "hello world foo bar" }}', "hello-world"),
        ('{{ slugify 12 false "hello world foo bar" }}', "hello-world-"),
    ],
)
def test_applicationset_extras(text: str, out: str) -> None:
    """ApplicationSet's additions to Sprig (``normalize``, ``slugify``)."""
    assert templating.parse("t", text).execute({}) == out.rstrip("-")


@pytest.mark.parametrize("name", ["env", "expandenv", "getHostByName"])
def test_forbidden_functions_are_absent(name: str) -> None:
    with pytest.raises(templating.TemplateParseError, match=f'function "{name}" not defined'):
        templating.parse("t", "{{ " + name + ' "x" }}')


def test_now_uses_the_injected_clock() -> None:
    tmpl = templating.parse(
        "t", '{{ now | date "2006-01-02T15:04:05Z07:00" }}', clock=lambda: FIXED
    )
    assert tmpl.execute({}) == "2024-03-15T10:20:30Z"
    tmpl = templating.parse("t", "{{ ago .t }}", clock=lambda: FIXED)
    earlier = GoTime(dt.datetime(2024, 3, 15, 9, 0, 0, 400000, tzinfo=dt.UTC))
    assert tmpl.execute({"t": earlier}) == "1h20m30s"


def test_now_without_a_clock_is_a_clear_error() -> None:
    with pytest.raises(templating.TemplateExecError, match="no clock"):
        templating.parse("t", "{{ now }}").execute({})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{{ fromYaml "- a" }}', "cannot unmarshal array into Go value of type map[string]"),
        ('{{ fromYaml "a: .inf" }}', "json: unsupported value: +Inf"),
        ('{{ fromYaml "a: [" }}', "error converting YAML to JSON: yaml:"),
        ('{{ fromYamlArray "a: 1" }}', "cannot unmarshal object into Go value of type []interface"),
    ],
)
def test_from_yaml_errors_fail_the_render(text: str, message: str) -> None:
    """ApplicationSet's fromYaml/fromYamlArray return an error (Helm's embed it instead)."""
    with pytest.raises(templating.TemplateExecError, match=re.escape(message)):
        templating.parse("t", text).execute({})
