"""The Helm engines: Helm's own Go code, in-process (``helm-python-sdk``) or as ``helm template``.

Both take a chart directory and the final user values and return ``(template path, text)``
pairs; values assembly and post-processing live in ``helm.py``, so the engine is swappable.
The SDK is the default (DESIGN.md §5: about 75x faster than a ``helm`` process per render);
the binary engine exists as a fallback and as the baseline in ``bench/repo``.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import orjson

from kaiun.repo.errors import RenderError
from kaiun.repo.process import run_tool

_DURATION_MEMO = 10_000

__all__ = [
    "BinaryHelmEngine",
    "HelmEngine",
    "HelmRenderOptions",
    "SdkHelmEngine",
    "default_helm_engine",
]


@dataclass(frozen=True)
class HelmRenderOptions:
    """What ``helm template`` is told besides the values."""

    release_name: str
    namespace: str
    kube_version: str = ""
    api_versions: tuple[str, ...] = ()
    include_crds: bool = True
    timeout: float = 90.0


class HelmEngine(Protocol):
    """Renders a chart directory with user values into ``(template path, text)`` pairs."""

    name: str

    async def render(
        self, chart_dir: Path, values: dict[str, Any], options: HelmRenderOptions
    ) -> list[tuple[str, str]]:
        """Render ``chart_dir`` offline (no cluster is contacted)."""
        ...


class SdkHelmEngine:
    """Helm v4's Go SDK through ``helm-python-sdk`` (ctypes), in a worker thread, or on the
    calling thread for charts known to render in under ``inline_below_seconds``."""

    name = "helm-sdk"

    def __init__(self, inline_below_seconds: float = 0.002) -> None:
        import helm_python  # noqa: F401  # fail at construction, not mid-render

        # A thread hand-off costs 0.1-0.3 ms on a busy machine, as much as rendering a small
        # chart; so a chart whose last render took under this threshold renders inline (the
        # event loop pauses no longer than that), any other, or a new one, in a thread.
        self.inline_below_seconds = inline_below_seconds
        self._last_duration: dict[Path, float] = {}

    @staticmethod
    def _render(
        chart_dir: Path, values: dict[str, Any], options: HelmRenderOptions
    ) -> list[tuple[str, str]]:
        import helm_python
        from helm_python import _native

        opts: dict[str, Any] = {
            "name": options.release_name,
            "namespace": options.namespace,
            "is_install": True,
        }
        if options.kube_version:
            opts["kube_version"] = options.kube_version
        if options.api_versions:
            opts["api_versions"] = list(options.api_versions)
        try:
            with helm_python.Chart.load(str(chart_dir)) as chart:
                # The public ``render`` has no kube/API version options; the native call does.
                rendered: dict[str, str] = orjson.loads(
                    _native.call_string(
                        "helm_render",
                        chart._raw(),
                        # Non-string keys (``1:`` in a values file) become strings, as
                        # json.dumps and Helm's own YAML-to-JSON step make them.
                        orjson.dumps(values, option=orjson.OPT_NON_STR_KEYS).decode(),
                        orjson.dumps(opts).decode(),
                    )
                )
                crds = chart.crds if options.include_crds else []
        except helm_python.HelmError as exc:
            raise RenderError(f"helm template failed: {exc}") from None
        out = [(c["filename"], c["data"]) for c in crds]
        out.extend(sorted(rendered.items()))
        return out

    def _timed_render(
        self, chart_dir: Path, values: dict[str, Any], options: HelmRenderOptions
    ) -> list[tuple[str, str]]:
        start = time.perf_counter()
        try:
            return self._render(chart_dir, values, options)
        finally:
            if len(self._last_duration) >= _DURATION_MEMO:
                self._last_duration.clear()
            self._last_duration[chart_dir] = time.perf_counter() - start

    async def render(
        self, chart_dir: Path, values: dict[str, Any], options: HelmRenderOptions
    ) -> list[tuple[str, str]]:
        """Render inline when this chart is known to be quick, else in a thread (the SDK
        call blocks but releases the GIL)."""
        last = self._last_duration.get(chart_dir)
        if last is not None and last < self.inline_below_seconds:
            return self._timed_render(chart_dir, values, options)
        return await asyncio.to_thread(self._timed_render, chart_dir, values, options)


class BinaryHelmEngine:
    """A ``helm`` binary run as ``helm template`` with a scrubbed environment and a timeout."""

    name = "helm-binary"

    def __init__(self, binary: str = "helm", env: dict[str, str] | None = None) -> None:
        found = shutil.which(binary)
        if found is None:
            raise RenderError(f"helm binary {binary!r} not found on PATH")
        self.binary = found
        self.env = env or {"PATH": "/usr/bin:/bin"}

    async def render(
        self, chart_dir: Path, values: dict[str, Any], options: HelmRenderOptions
    ) -> list[tuple[str, str]]:
        """Run ``helm template`` and split its output on the ``# Source:`` markers."""
        with tempfile.TemporaryDirectory() as scratch:
            values_file = Path(scratch) / "values.json"
            values_file.write_text(json.dumps(values))
            argv = [self.binary, "template", options.release_name, str(chart_dir),
                    "--namespace", options.namespace, "--values", str(values_file)]  # fmt: skip
            if options.include_crds:
                argv.append("--include-crds")
            if options.kube_version:
                argv += ["--kube-version", options.kube_version]
            for api in options.api_versions:
                argv += ["--api-versions", api]
            env = {**self.env, "HELM_CACHE_HOME": scratch, "HELM_CONFIG_HOME": scratch,
                   "HELM_DATA_HOME": scratch, "HOME": scratch}  # fmt: skip
            result = await run_tool(argv, cwd=scratch, env=env, time_limit=options.timeout)
        return _split_sources(result.stdout.decode(errors="replace"))


def _split_sources(text: str) -> list[tuple[str, str]]:
    parts: list[tuple[str, str]] = []
    name, lines = "helm output", list[str]()
    for line in text.splitlines(keepends=True):
        if line.startswith("# Source: "):
            if lines:
                parts.append((name, "".join(lines)))
            name, lines = line.removeprefix("# Source: ").strip(), []
        else:
            lines.append(line)
    if lines:
        parts.append((name, "".join(lines)))
    return parts


def default_helm_engine() -> HelmEngine:
    """The SDK engine when it loads on this machine, else a ``helm`` binary on PATH."""
    try:
        return SdkHelmEngine()
    except Exception:  # the native library can fail to load in many ways; fall back
        return BinaryHelmEngine()
