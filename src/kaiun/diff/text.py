"""Unified text diffs of objects rendered as YAML."""

from __future__ import annotations

import difflib
from typing import Any

import yaml

try:  # libyaml when present: ~10x faster rendering
    from yaml import CSafeDumper as _Dumper
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeDumper as _Dumper  # type: ignore[assignment]


def to_yaml(obj: Any) -> str:
    """``obj`` as block YAML with sorted keys ("" for None)."""
    if obj is None:
        return ""
    return str(yaml.dump(obj, Dumper=_Dumper, default_flow_style=False, sort_keys=True))


def unified_diff(live: Any, target: Any, *, name: str = "", context: int = 3) -> str:
    """A unified diff from the live YAML to the target YAML ("" when they are equal)."""
    before = to_yaml(live).splitlines(keepends=True)
    after = to_yaml(target).splitlines(keepends=True)
    label = name or "resource"
    return "".join(
        difflib.unified_diff(before, after, f"{label} (live)", f"{label} (target)", n=context)
    )
