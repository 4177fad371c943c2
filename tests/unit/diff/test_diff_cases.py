"""The diff fixture table: normalization rules, three-way edge cases and verdicts."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from kaiun import diff

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "fixtures" / "diff_cases.yaml").read_text()
)


def _with_last_applied(live: dict[str, Any], applied: dict[str, Any]) -> dict[str, Any]:
    live = copy.deepcopy(live)
    annotations = live.setdefault("metadata", {}).setdefault("annotations", {})
    annotations[diff.compare.LAST_APPLIED] = json.dumps(applied, sort_keys=True) + "\n"
    return live


def _prepare(case: dict[str, Any]) -> tuple[Any, Any, diff.Normalizer]:
    config, live = case["config"], case["live"]
    applied = case.get("last_applied")
    if applied is not None and live is not None:
        live = _with_last_applied(live, config if applied == "config" else applied)
    rules = tuple(diff.IgnoreRule.from_spec(r) for r in case.get("rules", []))
    return config, live, diff.Normalizer(rules=rules)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_diff_case(case: dict[str, Any]) -> None:
    config, live, normalizer = _prepare(case)
    before = copy.deepcopy((config, live))
    result = diff.diff(config, live, normalizer=normalizer)
    assert result.modified is case["modified"]
    if "patch" in case:
        assert result.json_patch == case["patch"]
    if not case["modified"]:
        assert result.json_patch == []
        assert result.unified_diff == ""
    else:
        assert result.unified_diff.startswith("---")
    assert (config, live) == before, "diff must not mutate its inputs"


@pytest.mark.parametrize(
    "case", [c for c in CASES if c["config"] and c["live"]], ids=lambda c: c["name"]
)
def test_fast_path_agrees_with_the_full_comparison(case: dict[str, Any]) -> None:
    config, live, normalizer = _prepare(case)
    fast = diff.diff(config, live, normalizer=normalizer)
    applied = diff.last_applied_of(live)
    full = diff.diff(config, live, normalizer=normalizer, last_applied=applied or config)
    assert fast.modified is full.modified
