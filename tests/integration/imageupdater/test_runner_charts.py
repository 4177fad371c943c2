"""Helm chart version tracking: a chart source's targetRevision follows the chart
repository's index (served over loopback HTTP), with constraints, pins and failures."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kaiun.cli.main import cli
from kaiun.localcluster import LocalCluster
from tests.integration.imageupdater.runner_kit import (
    application,
    apply,
    get_app,
    install,
    run_once,
    status_record,
)
from tests.integration.repo.repo_testkit import StaticHttpServer
from tests.registry_kit import free_port
from tests.support import Kubectl

INDEX = """apiVersion: v1
entries:
  web:
{entries}
"""


def _entry(version: str) -> str:
    return (f"  - name: web\n    version: {version}\n    urls: [web-{version}.tgz]\n"
            f"    created: '2024-01-01T00:00:00Z'\n")  # fmt: skip


@pytest.fixture(scope="module")
def charts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StaticHttpServer]:
    root: Path = tmp_path_factory.mktemp("charts")
    versions = ["1.0.0", "1.1.0", "1.4.2", "1.5.0-rc.1", "2.0.0"]
    (root / "index.yaml").write_text(INDEX.format(entries="".join(_entry(v) for v in versions)))
    with StaticHttpServer(root) as srv:
        yield srv


@pytest.fixture
def control(local_cluster: LocalCluster) -> str:
    ns = f"iuc-{uuid.uuid4().hex[:8]}"
    install(local_cluster, ns)
    return ns


def _app(ns: str, url: str, constraint: str, **extra: str) -> dict[str, Any]:
    return application(
        "web", ns,
        source={"repoURL": url, "chart": "web", "targetRevision": "1.0.0"},
        annotations={"kaiun.io/image-updater-chart-version": constraint, **extra},
        images=[],
    )  # fmt: skip


def test_chart_target_revision_follows_the_index(
    local_cluster: LocalCluster, kubectl: Kubectl, charts: StaticHttpServer, control: str
) -> None:
    apply(kubectl, _app(control, charts.url, "1.x"))
    run_once(local_cluster, control)
    app = get_app(kubectl, control, "web")
    assert app["spec"]["source"]["targetRevision"] == "1.4.2"
    rec = status_record(app)
    assert rec["changes"] == [{"image": "web", "from": "1.0.0", "to": "1.4.2"}]
    assert rec["writeBack"]["chart"] == "spec.source.targetRevision (1.4.2)"
    (outcome,) = run_once(local_cluster, control)
    assert outcome.record["images"][0]["action"] == "up-to-date"


def test_a_pinned_chart_stays(
    local_cluster: LocalCluster, kubectl: Kubectl, charts: StaticHttpServer, control: str
) -> None:
    apply(kubectl, _app(control, charts.url, ">=1.0"))
    result = CliRunner().invoke(cli, [
        "image-updater", "pin", "web", "chart", "--namespace", control,
        "--kubeconfig", str(local_cluster.kubeconfig),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    run_once(local_cluster, control)
    app = get_app(kubectl, control, "web")
    assert app["spec"]["source"]["targetRevision"] == "1.0.0"
    assert status_record(app)["images"][0]["action"] == "skipped"


@pytest.mark.parametrize(
    ("constraint", "unreachable", "expected"),
    [(">=1.0 <<2", False, "cannot parse version constraint"),
     ("1.x", True, "chart-index: ")],
)  # fmt: skip
def test_chart_failures_are_recorded_and_change_nothing(
    local_cluster: LocalCluster, kubectl: Kubectl, charts: StaticHttpServer, control: str,
    constraint: str, unreachable: bool, expected: str,
) -> None:  # fmt: skip
    url = f"http://127.0.0.1:{free_port()}" if unreachable else charts.url
    apply(kubectl, _app(control, url, constraint))
    run_once(local_cluster, control)
    app = get_app(kubectl, control, "web")
    assert app["spec"]["source"]["targetRevision"] == "1.0.0"
    rec = status_record(app)
    assert rec["images"][0]["action"] == "error"
    assert expected in rec["errors"][0]
