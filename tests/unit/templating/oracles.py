"""The real Go engines kaiun's templating is checked against.

``GoOracle`` builds ``gooracle/main.go`` (Go's standard text/template) with Debian's
``golang-go`` and renders cases in one batch; ``HelmOracle`` renders through Helm's engine
(Go text/template + Sprig) in-process via ``helm-python-sdk``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
GO_SRC = HERE / "gooracle"


# In CI the oracles must be there (scripts/setup installs them): a missing one fails the run
# instead of skipping, so a broken install step cannot hide behind green tests.
MUST_RUN = bool(os.environ.get("CI"))


def needs_go() -> pytest.MarkDecorator:
    """Skip without Go on a developer machine; never in CI."""
    return pytest.mark.skipif(
        go_version() is None and not MUST_RUN, reason="needs Debian's golang-go (scripts/setup)"
    )


def needs_helm() -> None:
    """Skip without helm-python-sdk on a developer machine; never in CI."""
    if not MUST_RUN:
        pytest.importorskip("helm_python", reason="needs the dev extra helm-python-sdk")


def go_version() -> tuple[int, int] | None:
    """The installed Go's (major, minor), or None without a Go toolchain."""
    go = shutil.which("go")
    if go is None:
        return None
    out = subprocess.run([go, "version"], capture_output=True, text=True, check=True).stdout
    ver = out.split()[2].removeprefix("go").split(".")
    return int(ver[0]), int(ver[1])


class GoOracle:
    """Go's text/template, built once per source version into the temp directory."""

    def __init__(self) -> None:
        digest = hashlib.sha256((GO_SRC / "main.go").read_bytes()).hexdigest()[:12]
        root = Path(tempfile.gettempdir()) / f"kaiun-gooracle-{digest}"
        self.binary = root / "gooracle"
        if not self.binary.exists():
            root.mkdir(parents=True, exist_ok=True)
            env = {**os.environ, "GOCACHE": str(root / "cache"), "GOFLAGS": "-mod=mod"}
            env.setdefault("HOME", str(root))
            subprocess.run(
                ["go", "build", "-o", str(self.binary), "."],
                cwd=GO_SRC,
                env=env,
                check=True,
                capture_output=True,
            )

    def run(self, cases: list[dict[str, Any]]) -> list[dict[str, str]]:
        """Render each {name, text, data, options}; returns {out, err, phase} per case."""
        payload = json.dumps(cases)
        proc = subprocess.run(
            [str(self.binary)], input=payload, capture_output=True, text=True, check=True
        )
        results: list[dict[str, str]] = json.loads(proc.stdout)
        return results


class HelmOracle:
    """Helm's template engine (Go text/template + Sprig) through helm-python-sdk."""

    def __init__(self, workdir: Path) -> None:
        import helm_python

        self.helm = helm_python
        self.workdir = workdir
        self.n = 0

    def render(self, text: str, data: Any) -> tuple[str, str]:
        """(output, error) of ``text`` with ``.`` bound to ``data``."""
        self.n += 1
        chart = self.workdir / f"c{self.n}"
        (chart / "templates").mkdir(parents=True)
        (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
        body = '{{- define "case" -}}' + text + '{{- end -}}{{- template "case" .Values.d -}}'
        (chart / "templates" / "t.yaml").write_text(body)
        try:
            with self.helm.Chart.load(chart) as c:
                out = c.render({"d": data}, name="r", namespace="default")
        except self.helm.HelmError as exc:
            return "", str(exc) or type(exc).__name__
        finally:
            shutil.rmtree(chart)
        return out.get("c/templates/t.yaml", ""), ""
