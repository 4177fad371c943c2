"""Differential test: kaiun's Sprig functions against Helm's engine (Go + Sprig, in-process).

Generated cases put every string, number and list shape through the functions ApplicationSet
and notification templates use; each must render identically to Helm, or fail in both.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from kaiun import templating

from .conftest import load_cases
from .oracles import HelmOracle, needs_helm
from .test_sprig_fixtures import render_like_helm

needs_helm()


STRINGS = [
    "", "hello world", "Hello_World-foo", "  pad  ", "HTTPServer", "mixed CASE words",
    "héllo wörld", "a\"b'c\\d", "123", "yes", "line1\nline2", "x:y, z", "ALLCAPS", "snake_case_id",
    "kebab-case-id", "CamelCaseID", "with.dots.v1", "tab\there",
]  # fmt: skip
STRING_FUNCS = [
    "upper", "lower", "title", "untitle", "trim", "nospace", "b64enc", "sha1sum", "sha256sum",
    "quote", "squote", "toJson", "toYaml", "swapcase", "initials", "len", "snakecase",
    "camelcase", "kebabcase", "trunc 4", "indent 2", "nindent 1", "trimSuffix \"id\"",
    "replace \"-\" \"_\"", "splitList \" \"", "regexFind \"[a-z]+\"", "contains \"o\"",
    "adler32sum",
]  # fmt: skip
SCALARS: list[Any] = [0, 1, -1, 2.5, -2.5, 1e6, 123456789, "12", "x", "", True, False, None]
SCALAR_FUNCS = [
    "add1", "int", "int64", "float64", "toString", "floor", "ceil", "toJson", "empty",
    "default \"d\"", "quote", "toYaml", "add 1", "mul 3", "sub 1", "max 2", "min 2",
    "coalesce 0", "toStrings", "typeOf", "kindOf",
]  # fmt: skip
LISTS: list[Any] = [[], [1, 2, 3], ["b", "a", "c"], [1, "a", None, True], [[1], {"k": "v"}], ["x"]]
LIST_FUNCS = [
    "first", "last", "rest", "initial", "uniq", "compact", "reverse", "sortAlpha", "toJson",
    "toYaml", "len", "join \",\"", "has 1", "without 1", "append 9", "prepend 0", "toStrings",
    "concat (list 7)", "empty", "default \"d\"", "quote",
]  # fmt: skip


def _generated() -> list[dict[str, Any]]:
    cases = []
    for func, value in itertools.product(STRING_FUNCS, STRINGS):
        cases.append({"text": "{{ .v | " + func + " }}", "data": {"v": value}})
    for func, value in itertools.product(SCALAR_FUNCS, SCALARS):
        cases.append({"text": "{{ .v | " + func + " }}", "data": {"v": value}})
    for func, value in itertools.product(LIST_FUNCS, LISTS):
        cases.append({"text": "{{ .v | " + func + " }}", "data": {"v": value}})
    return cases


def _kaiun(case: dict[str, Any]) -> tuple[str, bool]:
    try:
        return render_like_helm(case["text"], case["data"]), False
    except templating.TemplateError as exc:
        return str(exc), True


def _diffs(cases: list[dict[str, Any]], tmp_path: Path) -> list[str]:
    helm = HelmOracle(tmp_path)
    out = []
    for case in cases:
        want, want_err = helm.render(case["text"], case["data"])
        got, got_err = _kaiun(case)
        if bool(want_err) != got_err or (not got_err and got != want):
            out.append(f"{json.dumps(case)}\n  helm:  {want_err or want!r}\n  kaiun: {got!r}")
    return out


def test_generated_cases_match_helm(tmp_path: Path) -> None:
    cases = _generated()
    assert len(cases) > 600
    diffs = _diffs(cases, tmp_path)
    assert not diffs, f"{len(diffs)} of {len(cases)} differ:\n" + "\n".join(diffs[:25])


def test_fixture_table_matches_helm(tmp_path: Path) -> None:
    cases = load_cases("sprig.in.yaml")
    cases = [c for c in cases if "uuidv4" not in c["text"]]
    diffs = _diffs(cases, tmp_path)
    assert not diffs, "\n".join(diffs[:25])
