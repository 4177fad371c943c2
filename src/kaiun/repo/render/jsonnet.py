"""Jsonnet evaluation with ``gojsonnet`` (in-process), confined to the repository root.

Every ``import``/``importstr``/``importbin`` goes through our callback, which searches the
importing file's directory then the ``libs`` directories and refuses anything that resolves
outside the repository, so a ``.jsonnet`` file cannot read the server's files.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import _gojsonnet

from kaiun.repo.contract import JsonnetSpec, JsonnetVar
from kaiun.repo.errors import PathEscapeError, RenderError
from kaiun.repo.manifests import parse_json
from kaiun.repo.sandbox import resolve_inside

__all__ = ["evaluate_jsonnet"]

Obj = dict[str, Any]


def _split(variables: tuple[JsonnetVar, ...]) -> tuple[dict[str, str], dict[str, str]]:
    strings = {v.name: v.value for v in variables if not v.code}
    codes = {v.name: v.value for v in variables if v.code}
    return strings, codes


class _Importer:
    """The import callback; remembers a refused path so the error can say why."""

    def __init__(self, root: Path, libs: list[Path]) -> None:
        self.root = root
        self.libs = libs
        self.refused: PathEscapeError | None = None

    def __call__(self, importing_dir: str, rel: str) -> tuple[str, bytes]:
        # Raising from this callback garbles gojsonnet's error text (seen with 0.22), so a
        # refusal is returned as Jsonnet code that fails with our message instead.
        if rel.startswith("/"):
            # Absolute imports name server files; nothing in a checkout is reachable that way.
            return self._refuse(
                rel, PathEscapeError(f"jsonnet import {rel!r} is outside the repository")
            )
        for base in [Path(importing_dir or self.root), *self.libs]:
            try:
                path = resolve_inside(self.root, base, rel, what="jsonnet import")
            except PathEscapeError as exc:
                return self._refuse(rel, exc)
            if path.is_file():
                return str(path), path.read_bytes()
        return (
            f"<missing>/{rel}",
            f"error {json.dumps(f'jsonnet import {rel!r} not found')}".encode(),
        )

    def _refuse(self, rel: str, exc: PathEscapeError) -> tuple[str, bytes]:
        self.refused = exc
        return f"<refused>/{rel}", f"error {json.dumps(str(exc))}".encode()


def _evaluate(file: Path, root: Path, spec: JsonnetSpec, app_dir: Path) -> str:
    libs = [resolve_inside(root, root, lib, what="jsonnet lib") for lib in spec.libs]
    ext_vars, ext_codes = _split(spec.ext_vars)
    tla_vars, tla_codes = _split(spec.tlas)
    importer = _Importer(root, libs)
    try:
        result: str = _gojsonnet.evaluate_file(
            str(file),
            ext_vars=ext_vars,
            ext_codes=ext_codes,
            tla_vars=tla_vars,
            tla_codes=tla_codes,
            import_callback=importer,
        )
    except (RuntimeError, UnicodeDecodeError) as exc:
        if importer.refused is not None:
            raise importer.refused from None
        # Paths in jsonnet errors are made repo-relative so server layout does not leak.
        message = str(exc).replace(str(root) + "/", "")
        raise RenderError(f"jsonnet {file.relative_to(root)}: {message.strip()}") from None
    if importer.refused is not None:
        # ``importstr`` of a refused file evaluates fine (to our message): refuse anyway.
        raise importer.refused
    return result


async def evaluate_jsonnet(
    file: Path, *, root: Path, spec: JsonnetSpec, app_dir: Path
) -> list[Obj]:
    """Evaluate one ``.jsonnet`` file into Kubernetes objects (an object or an array of them)."""
    output = await asyncio.to_thread(_evaluate, file, root, spec, app_dir)
    return parse_json(output, str(file.relative_to(root)))
