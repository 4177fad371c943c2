"""Go text/template semantics: each case's output or error equals what Go produced."""

from __future__ import annotations

from typing import Any

import pytest

from kaiun import templating
from kaiun.templating.gotemplate import parse

from .conftest import case_id, go_data, load_cases

CORE = load_cases("go_core.yaml")
RECORDED = [c for c in CORE if "out" in c or "error" in c]


def _render(case: dict[str, Any]) -> str:
    tmpl = parse("t", case["text"], options=case.get("options") or ())
    return tmpl.execute(go_data(case["data"]))


@pytest.mark.parametrize("case", RECORDED, ids=case_id)
def test_matches_go(case: dict[str, Any]) -> None:
    if "out" in case:
        assert _render(case) == case["out"]
        return
    err = case["error"]
    expected = (
        templating.TemplateParseError if err["phase"] == "parse" else templating.TemplateExecError
    )
    with pytest.raises(expected) as info:
        _render(case)
    assert str(info.value) == err["message"]


@pytest.mark.parametrize(
    ("text", "data", "out"),
    [
        ("{{ range 3 }}{{ . }}{{ end }}", {}, "012"),
        ("{{ range $i, $e := 2 }}{{ end }}", {}, None),
        ("{{ with .a }}A{{ else with .b }}B{{ . }}{{ else }}C{{ end }}", {"b": 2}, "B2"),
        ("{{ with .a }}A{{ else with .b }}B{{ else }}C{{ end }}", {}, "C"),
    ],
)
def test_newer_go_features(text: str, data: dict[str, Any], out: str | None) -> None:
    """Range over integers (Go 1.22) and ``else with`` (Go 1.23), newer than the oracle."""
    tmpl = parse("t", text)
    if out is None:
        with pytest.raises(templating.TemplateExecError, match="more than one variable"):
            tmpl.execute(data)
    else:
        assert tmpl.execute(data) == out
