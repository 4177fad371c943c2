"""Shared helpers for the templating tests: fixture tables and Go-shaped data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

CASES = Path(__file__).resolve().parent / "cases"


def load_cases(name: str) -> list[dict[str, Any]]:
    """A fixture table from ``cases/``."""
    cases: list[dict[str, Any]] = yaml.safe_load((CASES / name).read_text())
    return cases


def go_data(data: Any) -> Any:
    """Data as Go's ``encoding/json`` hands it to templates: every number a float64."""
    return json.loads(json.dumps(data), parse_int=float)


def case_id(case: dict[str, Any]) -> str:
    """A short readable test id."""
    text = case.get("text") or case.get("expr") or ""
    return text[:40].replace("\n", "\\n")
