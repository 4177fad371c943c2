"""Differential test: kaiun's Go template engine against Go's own text/template.

Hundreds of generated cases (every value shape through every builtin and printing path, in
each ``missingkey`` mode) plus the fixture table run through the Go oracle in one batch;
each must give the same output, or an error of the same phase with the same message.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from kaiun import templating
from kaiun.templating.gotemplate import parse

from .conftest import go_data, load_cases
from .oracles import GoOracle, needs_go

pytestmark = needs_go()

VALUES: list[Any] = [
    None, True, False, 0, 1, -7, 2.5, 1e6, 1e-7, 123456789, "", "text", "<b>&'\"", "héllo",
    [], [1, "a"], [None, [2]], {}, {"x": 1}, {"b": {"c": [1, 2]}, "a": None},
]  # fmt: skip
FORMS = [
    "{{.v}}", "{{print .v}}", "{{print .v .v}}", "{{println .v}}", "{{printf \"%v|%s\" .v .v}}",
    "{{printf \"%d|%q\" .v .v}}", "{{printf \"%5.1f|%x|%t\" .v .v .v}}", "{{printf \"%T\" .v}}",
    "{{len .v}}", "{{index .v 0}}", "{{index .v \"x\"}}", "{{slice .v 1}}",
    "{{eq .v .v}}", "{{eq .v 1.0}}", "{{ne .v \"text\"}}", "{{lt .v 1.0}}", "{{ge .v \"a\"}}",
    "{{not .v}}", "{{and .v \"y\"}}", "{{or .v \"y\"}}", "{{if .v}}T{{else}}F{{end}}",
    "{{with .v}}[{{.}}]{{else}}none{{end}}", "{{range .v}}[{{.}}]{{else}}E{{end}}",
    "{{range $k, $e := .v}}{{$k}}={{$e}};{{end}}", "{{.v.x}}", "{{.v.x.y}}", "{{.nope.x}}",
    "{{html .v}}", "{{js .v}}", "{{urlquery .v}}", "{{.v | print \"p\"}}", "{{$x := .v}}{{$x}}",
]  # fmt: skip
OPTIONS: list[list[str]] = [[], ["missingkey=zero"], ["missingkey=error"]]


def _generated() -> list[dict[str, Any]]:
    cases = [
        {"text": form, "data": {"v": value}, "options": []}
        for form, value in itertools.product(FORMS, VALUES)
    ]
    cases += [
        {"text": form, "data": {"v": {"x": None}}, "options": opts}
        for form, opts in itertools.product(FORMS, OPTIONS)
    ]
    return cases


FLOATS = [
    0.0, -0.0, 1.0, -1.5, 0.1, 0.2 + 0.1, 1 / 3, 2 / 3, 1e-5, 1e-4, 123456.0, 1234567.0,
    99999.95, 1e20, 1e21, 1.7976931348623157e308, 5e-324, 2.5, 3.5, -2.5, 0.125, 1e100,
    6.02214076e23, 299792458.0, 0.000123456, 9007199254740993.0, 100.0, 1e6, 12345.6789,
]  # fmt: skip
FLOAT_FORMS = [
    "{{.f}}", "{{printf \"%v|%e|%E|%f|%g|%G\" .f .f .f .f .f .f}}",
    "{{printf \"%.0f|%.1f|%.2e|%.3g|%.10g|%8.3f|%-8.2f|%+.1e\" .f .f .f .f .f .f .f .f}}",
    "{{printf \"%x|%X|%.2x|%08.3f|% .2f|%+v\" .f .f .f .f .f .f}}", "{{print .f \"s\" .f .f}}",
    "{{printf \"%5v|%-7v|%07.2f|%T|%d\" .f .f .f .f .f}}",
]  # fmt: skip


def _float_cases() -> list[dict[str, Any]]:
    return [
        {"text": form, "data": {"f": value}, "options": []}
        for form, value in itertools.product(FLOAT_FORMS, FLOATS)
    ]


def _kaiun(case: dict[str, Any]) -> dict[str, str]:
    try:
        tmpl = parse("t", case["text"], options=case.get("options") or ())
    except templating.TemplateParseError as exc:
        return {"phase": "parse", "err": str(exc), "out": ""}
    try:
        return {"phase": "ok", "out": tmpl.execute(go_data(case["data"])), "err": ""}
    except templating.TemplateExecError as exc:
        return {"phase": "exec", "err": str(exc), "out": ""}


@pytest.fixture(scope="module")
def oracle() -> GoOracle:
    return GoOracle()


def _compare(oracle: GoOracle, cases: list[dict[str, Any]]) -> list[str]:
    go = oracle.run([{"name": "t", **c} for c in cases])
    diffs = []
    for case, want in zip(cases, go, strict=True):
        got = _kaiun(case)
        if (got["phase"], got["out"], got["err"]) != (want["phase"], want["out"], want["err"]):
            diffs.append(f"{json.dumps(case)}\n  go:    {want}\n  kaiun: {got}")
    return diffs


def test_generated_cases_match_go(oracle: GoOracle) -> None:
    cases = _generated()
    assert len(cases) > 600
    diffs = _compare(oracle, cases)
    assert not diffs, f"{len(diffs)} of {len(cases)} differ:\n" + "\n".join(diffs[:20])


def test_float_formatting_matches_go(oracle: GoOracle) -> None:
    cases = _float_cases()
    diffs = _compare(oracle, cases)
    assert not diffs, f"{len(diffs)} of {len(cases)} differ:\n" + "\n".join(diffs[:20])


def test_fixture_table_matches_go(oracle: GoOracle) -> None:
    cases = [c for c in load_cases("go_core.in.yaml") if "go" not in c]
    diffs = _compare(oracle, cases)
    assert not diffs, "\n".join(diffs[:20])
