"""The pure rooms of DESIGN.md section 3 do no IO: they import nothing that could."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "kaiun"
PURE_ROOMS = ("model", "templating", "health", "diff", "sync", "settings")
# Modules whose mere import means sockets, processes, files, clocks or an event loop.
IO_MODULES = {
    "asyncio",
    "subprocess",
    "socket",
    "sqlite3",
    "shutil",
    "time",
    "threading",
    "multiprocessing",
    "urllib.request",
    "http.client",
    "httpx",
    "starlette",
    "uvicorn",
    "kaiun.kube",
    "kaiun.localcluster",
    "kaiun.repo",
    "kaiun.auth",
    "kaiun.engine",
    "kaiun.controllers",
    "kaiun.server",
    "kaiun.ui",
    "kaiun.cli",
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _pure_files() -> list[Path]:
    return [p for room in PURE_ROOMS for p in sorted((SRC / room).rglob("*.py"))]


@pytest.mark.parametrize("path", _pure_files(), ids=lambda p: str(p.relative_to(SRC)))
def test_pure_room_imports_no_io(path: Path) -> None:
    bad = {
        name
        for name in _imports(path)
        if any(name == m or name.startswith(m + ".") for m in IO_MODULES)
    }
    assert not bad, f"{path.relative_to(SRC)} imports IO modules {sorted(bad)}"


def test_checker_sees_an_io_import(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text("import asyncio\nfrom subprocess import run\n")
    assert {"asyncio", "subprocess"} <= _imports(sample)
