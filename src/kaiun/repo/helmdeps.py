"""Helm chart dependencies that are declared in ``Chart.yaml`` but not vendored in ``charts/``.

Argo CD runs ``helm dependency build`` for such charts. We fetch each missing dependency
ourselves — ``file://`` paths inside the repository, HTTP chart repositories and OCI
registries, through the same credentials, caps and archive guards as any chart — into a
private copy of the chart (checkouts are shared and read-only), then Helm loads it as usual.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import yaml

from kaiun.repo.errors import SourceError
from kaiun.repo.helmrepo import HelmRepos
from kaiun.repo.oci import OciClient, parse_oci_ref
from kaiun.repo.sandbox import resolve_inside

__all__ = ["fetch_remote_chart", "missing_dependencies", "vendor_dependencies"]

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MEMO_SIZE = 10_000
_MISSING: dict[Path, tuple[tuple[tuple[int, int], tuple[int, int]], list[dict[str, Any]]]] = {}


def _declared(chart_dir: Path) -> list[dict[str, Any]]:
    try:
        meta = yaml.load((chart_dir / "Chart.yaml").read_bytes(), Loader=_Loader) or {}
    except (OSError, yaml.YAMLError):
        return []  # Helm itself reports a broken Chart.yaml with a better message
    if not isinstance(meta, dict):
        return []
    deps = meta.get("dependencies") or []
    return [d for d in deps if isinstance(d, dict) and d.get("name")]


def _vendored(chart_dir: Path) -> set[str]:
    names: set[str] = set()
    charts = chart_dir / "charts"
    if not charts.is_dir():
        return names
    for entry in charts.iterdir():
        if entry.is_dir() and (entry / "Chart.yaml").is_file():
            meta = yaml.safe_load((entry / "Chart.yaml").read_text()) or {}
            names.add(str(meta.get("name", entry.name)))
        elif entry.suffix == ".tgz":
            names.add(entry.name.rsplit("-", 1)[0])
    return names


def _stamp(path: Path) -> tuple[int, int]:
    try:
        st = path.stat()
    except OSError:
        return (-1, -1)
    return (st.st_mtime_ns, st.st_ino)


def missing_dependencies(chart_dir: Path) -> list[dict[str, Any]]:
    """Dependencies ``Chart.yaml`` declares that ``charts/`` does not hold."""
    # Asked on every Helm render of mostly unchanging checkouts: remember the answer per
    # chart while ``Chart.yaml`` and ``charts/`` keep their identity and modification time.
    stamp = (_stamp(chart_dir / "Chart.yaml"), _stamp(chart_dir / "charts"))
    known = _MISSING.get(chart_dir)
    if known is not None and known[0] == stamp:
        return [dict(d) for d in known[1]]
    have = _vendored(chart_dir)
    missing = [d for d in _declared(chart_dir) if str(d["name"]) not in have]
    if len(_MISSING) >= _MEMO_SIZE:
        _MISSING.clear()
    _MISSING[chart_dir] = (stamp, missing)
    return [dict(d) for d in missing]


async def vendor_dependencies(
    *,
    root: Path,
    chart_dir: Path,
    work_dir: Path,
    helm_repos: HelmRepos,
    oci: OciClient,
) -> Path:
    """``chart_dir`` itself when nothing is missing, else a copy with ``charts/`` filled in."""
    missing = missing_dependencies(chart_dir)
    if not missing:
        return chart_dir
    copy = work_dir / "chart" / chart_dir.name
    await asyncio.to_thread(shutil.copytree, chart_dir, copy, symlinks=True)
    (copy / "charts").mkdir(exist_ok=True)
    for dep in missing:
        source = await _fetch(dep, root, chart_dir, helm_repos, oci)
        await asyncio.to_thread(shutil.copytree, source, copy / "charts" / str(dep["name"]))
    return copy


async def fetch_remote_chart(
    name: str, repo: str, version: str, helm_repos: HelmRepos, oci: OciClient
) -> Path | None:
    """The unpacked chart ``name`` (version or range ``version``) from an ``oci://`` or
    HTTP(S) chart repository, through the server's caches and credentials; None for any
    other kind of ``repo``."""
    if repo.startswith("oci://"):
        ref = parse_oci_ref(repo, name)
        tag = await oci.resolve_tag(repo, ref, version)
        digest, _ = await oci.manifest(repo, ref, tag)
        return await oci.unpack(repo, ref, digest) / name
    if repo.startswith(("http://", "https://")):
        entry = await helm_repos.resolve(repo, name, version)
        return await helm_repos.chart_dir(repo, name, entry)
    return None


async def _fetch(
    dep: dict[str, Any], root: Path, chart_dir: Path, helm_repos: HelmRepos, oci: OciClient
) -> Path:
    name, repo = str(dep["name"]), str(dep.get("repository") or "")
    version = str(dep.get("version") or "")
    if repo.startswith("file://"):
        return resolve_inside(root, chart_dir, repo.removeprefix("file://"), what="dependency")
    fetched = await fetch_remote_chart(name, repo, version, helm_repos, oci)
    if fetched is not None:
        return fetched
    raise SourceError(
        f"chart dependency {name!r}: repository {repo!r} is not file://, http(s):// or oci://"
        " (repository aliases like '@name' are not supported)"
    )
