"""The defaulting/validation modules of the local cluster stay pure (no IO imports), so the
server can call them on every write and tests can run them without a cluster."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOM = Path(__file__).resolve().parents[3] / "src" / "kaiun" / "localcluster"
PURE_MODULES = (
    "defaults",
    "podspec_defaults",
    "validation",
    "workload_validation",
    "core_validation",
    "podspec_validation",
    "selector_validation",
    "crdschema",
    "crdvalidation",
    "crdformats",
    "fielderrors",
    "names",
    "cronschedule",
    "quantity",
    "gobase64",
    "jsonshape",
    "update_validation",
)
IO_MODULES = {
    "asyncio",
    "subprocess",
    "socket",
    "sqlite3",
    "shutil",
    "time",
    "datetime",
    "threading",
    "os",
    "pathlib",
    "io",
    "zoneinfo",
    "httpx",
    "starlette",
    "uvicorn",
}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
            if node.module.startswith("kaiun.localcluster"):
                names.add(node.module)
    return names


@pytest.mark.parametrize("module", PURE_MODULES)
def test_module_does_no_io(module: str) -> None:
    imported = _imports(ROOM / f"{module}.py")
    assert not imported & IO_MODULES
    # Only other pure modules of this room may be used.
    room = {
        m.removeprefix("kaiun.localcluster.")
        for m in imported
        if m.startswith("kaiun.localcluster.")
    }
    assert room <= set(PURE_MODULES)
