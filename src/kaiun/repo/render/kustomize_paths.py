"""Refusing kustomizations that reach outside the repository through local paths.

kustomize's load restrictor keeps *files* inside a kustomization's directory, but bases,
resources and components are directories it follows anywhere, ``../../`` included. Before a
build we walk the kustomizations reachable from the app and refuse every local reference
that leaves the repository root. Remote references (URLs, ``github.com/...``) are left to
kustomize.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kaiun.repo.errors import MalformedManifestError
from kaiun.repo.render.detect import KUSTOMIZATION_FILES
from kaiun.repo.sandbox import resolve_inside

__all__ = ["RemoteChart", "check_kustomization_paths"]

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_REMOTE = re.compile(r"^([a-z][a-z0-9+.-]*://|git@|github\.com/|gitlab\.com/|bitbucket\.org/)")
_DIRECTORY_FIELDS = ("resources", "bases", "components")
_FILE_LIST_FIELDS = ("patchesStrategicMerge", "crds", "generators", "transformers", "validators")
_GENERATORS = ("configMapGenerator", "secretGenerator")


def _kustomization(directory: Path) -> Path | None:
    return next((directory / n for n in KUSTOMIZATION_FILES if (directory / n).is_file()), None)


def _references(doc: dict[str, Any]) -> Iterator[tuple[str, bool]]:
    """(path, is_directory_candidate) for every local path the kustomization names."""
    for field in _DIRECTORY_FIELDS:
        for entry in doc.get(field) or ():
            yield str(entry), True
    for field in _FILE_LIST_FIELDS:
        for entry in doc.get(field) or ():
            if isinstance(entry, str) and "\n" not in entry:
                yield entry, False
    for field in ("patches", "patchesJson6902", "replacements"):
        for entry in doc.get(field) or ():
            if isinstance(entry, dict) and entry.get("path"):
                yield str(entry["path"]), False
    for field in _GENERATORS:
        for gen in doc.get(field) or ():
            for item in (gen.get("files") or []) + (gen.get("envs") or []):
                yield str(item).split("=", 1)[-1], False
            if gen.get("env"):
                yield str(gen["env"]), False
    yield from _helm_references(doc)
    openapi = doc.get("openapi") or {}
    if isinstance(openapi, dict) and openapi.get("path"):
        yield str(openapi["path"]), False


def _helm_references(doc: dict[str, Any]) -> Iterator[tuple[str, bool]]:
    """Local paths of ``helmCharts`` (value files) and ``helmGlobals`` (chart and config
    homes: kustomize reads charts from, and may write pulled charts into, them)."""
    for chart in doc.get("helmCharts") or ():
        if not isinstance(chart, dict):
            continue
        for entry in [chart.get("valuesFile"), *(chart.get("additionalValuesFiles") or ())]:
            if isinstance(entry, str) and entry:
                yield entry, False
    globals_ = doc.get("helmGlobals") or {}
    if isinstance(globals_, dict):
        for key in ("chartHome", "configHome"):
            if isinstance(globals_.get(key), str) and globals_[key]:
                yield globals_[key], False


@dataclass(frozen=True)
class RemoteChart:
    """A ``helmCharts`` entry with a ``repo``: with ``--enable-helm`` kustomize pulls it
    into ``chart_dir`` unless a chart is already there."""

    name: str
    repo: str
    version: str
    # Where kustomize (v5) looks for it: ``<chartHome>/<name>-<version>/<name>`` when a
    # version is given, else ``<chartHome>/<name>``; ``chartHome`` defaults to ``charts``.
    chart_dir: Path


def _remote_charts(directory: Path, doc: dict[str, Any]) -> Iterator[RemoteChart]:
    globals_ = doc.get("helmGlobals") or {}
    home = globals_.get("chartHome") if isinstance(globals_, dict) else None
    chart_home = directory / (home if isinstance(home, str) and home else "charts")
    for chart in doc.get("helmCharts") or ():
        if not isinstance(chart, dict) or not chart.get("repo") or not chart.get("name"):
            continue
        name, version = str(chart["name"]), str(chart.get("version") or "")
        where = chart_home / f"{name}-{version}" / name if version else chart_home / name
        yield RemoteChart(name, str(chart["repo"]), version, where)


def check_kustomization_paths(
    root: Path, app_dir: Path, *, max_depth: int = 64
) -> list[RemoteChart]:
    """Raise ``PathEscapeError`` if a kustomization reachable from ``app_dir`` leaves ``root``.

    Returns the ``helmCharts`` entries with a remote ``repo`` they declare: with
    ``--enable-helm`` kustomize would pull those into the kustomization's directory.
    """
    remote: list[RemoteChart] = []
    seen: set[Path] = set()
    pending = [(app_dir, 0)]
    while pending:
        directory, depth = pending.pop()
        if directory in seen or depth > max_depth:
            continue
        seen.add(directory)
        file = _kustomization(directory)
        if file is None:
            continue
        try:
            doc = yaml.load(file.read_bytes(), Loader=_Loader) or {}
        except yaml.YAMLError:
            raise MalformedManifestError(
                str(file.relative_to(root)), None, "invalid YAML"
            ) from None
        if not isinstance(doc, dict):
            continue
        remote.extend(_remote_charts(directory, doc))
        for ref, maybe_dir in _references(doc):
            if _REMOTE.match(ref):
                continue
            target = resolve_inside(root, directory, ref, what="kustomize reference")
            if maybe_dir and target.is_dir():
                pending.append((target, depth + 1))
    return remote
