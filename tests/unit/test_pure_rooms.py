"""Pure code does no IO: the pure rooms of DESIGN.md section 3, and the pure modules that
live inside IO rooms (the local cluster's patch, apply, defaulting and validation logic,
which run on every write and are unit-tested without a server)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "kaiun"
PURE_ROOMS = ("model", "templating", "health", "diff", "sync", "settings")
PURE_MODULES = {
    "localcluster": (
        "applymerge",
        "fieldmanager",
        "fieldpaths",
        "jsonvalue",
        "patch",
        "patcherrors",
        "schema",
        "strategicpatch",
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
    ),
    "controllers/imageupdater": (
        "model",
        "imageref",
        "appannotations",
        "resource",
        "resolve",
        "registries",
        "strategies",
        "tagfilter",
        "credref",
        "manifests",
        "errors",
        "argocdwriteback",
        "filewriteback",
        "gitmessages",
        "updateplan",
    ),
}
# Modules whose mere import means sockets, processes, files, clocks or an event loop.
IO_MODULES = {
    "asyncio",
    "subprocess",
    "socket",
    "sqlite3",
    "shutil",
    "time",
    "threading",
    "os",
    "pathlib",
    "io",
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
            # "from pkg import x" names pkg.x, which may be a module of pkg.
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


# The local cluster's pure modules take every timestamp from their caller: no clock at all.
EXTRA_IO = {"localcluster": {"datetime", "zoneinfo"}}


def _io_imports(
    names: set[str], allowed: frozenset[str] = frozenset(), extra: frozenset[str] = frozenset()
) -> set[str]:
    def under(name: str, prefixes: set[str] | frozenset[str]) -> bool:
        return any(name == p or name.startswith(p + ".") for p in prefixes)

    return {n for n in names if under(n, IO_MODULES | extra) and not under(n, allowed)}


def _pure_room_files() -> list[Path]:
    return [p for room in PURE_ROOMS for p in sorted((SRC / room).rglob("*.py"))]


@pytest.mark.parametrize("path", _pure_room_files(), ids=lambda p: str(p.relative_to(SRC)))
def test_pure_room_imports_no_io(path: Path) -> None:
    bad = _io_imports(_imports(path))
    assert not bad, f"{path.relative_to(SRC)} imports IO modules {sorted(bad)}"


PURE_IN_IO_ROOMS = [(room, m) for room, mods in PURE_MODULES.items() for m in mods]


@pytest.mark.parametrize(
    ("room", "module"), PURE_IN_IO_ROOMS, ids=[f"{r}.{m}" for r, m in PURE_IN_IO_ROOMS]
)
def test_pure_module_in_io_room_imports_no_io(room: str, module: str) -> None:
    path = SRC / room / f"{module}.py"
    # Other pure modules of the same room are fine; anything else of the room is not.
    siblings = {f"kaiun.{room.replace('/', '.')}.{m}" for m in PURE_MODULES[room]}
    bad = _io_imports(_imports(path), frozenset(siblings), frozenset(EXTRA_IO.get(room, ())))
    assert not bad, f"{room}/{module}.py imports {sorted(bad)}"


def test_checker_sees_an_io_import(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text(
        "import asyncio\nfrom subprocess import run\nimport kaiun.localcluster.store\n"
    )
    assert _io_imports(_imports(sample), frozenset({"kaiun.localcluster.patch"})) == {
        "asyncio",
        "subprocess.run",
        "kaiun.localcluster.store",
    }
