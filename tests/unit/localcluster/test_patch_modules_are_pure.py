"""The patch/apply logic of the local cluster does no IO, though its room does."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOM = Path(__file__).resolve().parents[3] / "src" / "kaiun" / "localcluster"
PURE_MODULES = (
    "applymerge",
    "fieldmanager",
    "fieldpaths",
    "jsonvalue",
    "patch",
    "patcherrors",
    "schema",
    "strategicpatch",
)
ALLOWED = {"__future__", "collections", "dataclasses", "functools", "json", "orjson", "typing"}


@pytest.mark.parametrize("name", PURE_MODULES)
def test_module_imports_only_pure_code(name: str) -> None:
    tree = ast.parse((ROOM / f"{name}.py").read_text())
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    outside = {
        m
        for m in imported
        if m.split(".")[0] not in ALLOWED
        and not any(m == f"kaiun.localcluster.{p}" for p in PURE_MODULES)
    }
    assert not outside, f"{name} imports {sorted(outside)}"
