"""The per-application record as users see it: ``kaiun app get`` shows the updater's last
check (current → picked tag, strategy, where it wrote, pins, rollback notes) and ``-o json``
carries the record; both after real cycles against a real registry."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from kaiun.cli.main import cli
from kaiun.localcluster import LocalCluster
from tests.integration.imageupdater.runner_kit import (
    PREFIX,
    application,
    apply,
    control_namespace,
    run_once,
    seeded_registry,
)
from tests.registry_kit import Registry
from tests.support import Kubectl

REPO = "team/shown"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    with seeded_registry(
        tmp_path_factory.mktemp("reg-shown"),
        REPO,
        ("1.0.0", "1.2.0", "1.3.0-rc.1", "2.0.0", "latest"),
    ) as reg:
        yield reg


@pytest.fixture
def control(local_cluster: LocalCluster, kubectl: Kubectl, registry: Registry) -> str:
    return control_namespace(local_cluster, kubectl, registry.host, "iud")


def _app(ns: str, registry: Registry, name: str, history: list[dict[str, Any]] | None = None
         ) -> dict[str, Any]:  # fmt: skip
    return application(
        name, ns,
        source={"repoURL": "https://charts.example", "chart": "web", "targetRevision": "1.0.0",
                "helm": {"parameters": [{"name": "replicas", "value": "2"}]}},
        annotations={PREFIX + "image-list": f"web={registry.host}/{REPO}:1.x"},
        images=[f"{registry.host}/{REPO}:1.0.0"], history=history,
    )  # fmt: skip


def _get(lc: LocalCluster, ns: str, name: str, *extra: str) -> str:
    result = CliRunner().invoke(
        cli, ["app", "get", name, "-n", ns, "--kubeconfig", str(lc.kubeconfig), *extra]
    )
    assert result.exit_code == 0, result.output
    return result.output


def _section(text: str) -> list[str]:
    assert "Image Updater:" in text, text
    return text.split("Image Updater:\n", 1)[1].splitlines()


def test_app_get_shows_the_last_check(
    local_cluster: LocalCluster, kubectl: Kubectl, registry: Registry, control: str
) -> None:
    image = f"{registry.host}/{REPO}"
    apply(kubectl, _app(control, registry, "web"))
    run_once(local_cluster, control)
    lines = _section(_get(local_cluster, control, "web"))
    # "Label:" padded to 20 columns, as the rest of `app get` prints its fields.
    fields = {line[:20].strip().rstrip(":"): line[20:] for line in lines[:4]}
    assert fields["Last Checked"].endswith("Z")
    assert fields["Write-Back"] == (
        "argocd: spec.source.helm.parameters (replicas, image.name, image.tag)"
    )
    header = next(line for line in lines if line.startswith("IMAGE"))
    assert header.split() == ["IMAGE", "ALIAS", "STRATEGY", "CURRENT", "PICKED", "ACTION", "PINNED"]
    row = lines[lines.index(header) + 1].split()
    assert row == [image, "web", "semver", "1.x", "1.0.0", "1.2.0", "update", "-"]
    assert f"  web: {image}:1.0.0 → {image}:1.2.0 (" in "\n".join(lines)
    assert "Errors:" not in lines and "Pinned:" not in "\n".join(lines)

    # -o json is the Application; the record rides in its annotation, with the counts.
    app = json.loads(_get(local_cluster, control, "web", "-o", "json"))
    rec = json.loads(app["metadata"]["annotations"]["kaiun.io/image-updater-status"])
    (entry,) = rec["images"]
    assert entry["strategy"] == "semver" and entry["constraint"] == "1.x"
    assert entry["tagsFound"] == 5
    assert entry["candidates"] == 2  # 1.0.0, 1.2.0: not the pre-release, 2.0.0 or latest
    assert entry["chosen"] == "1.2.0"


def test_app_get_shows_pins_and_the_rollback_that_set_them(
    local_cluster: LocalCluster, kubectl: Kubectl, registry: Registry, control: str
) -> None:
    source_a = {"repoURL": "https://charts.example", "chart": "web", "targetRevision": "1.0.0"}
    source_b = dict(source_a, helm={"parameters": [{"name": "image.tag", "value": "1.2.0"}]})
    history = [
        {"id": 0, "revision": "1.0.0", "source": source_a, "initiatedBy": {"automated": True}},
        {"id": 1, "revision": "1.0.0", "source": source_b, "initiatedBy": {"automated": True}},
        {"id": 2, "revision": "1.0.0", "source": source_a, "initiatedBy": {"username": "alice"}},
    ]
    apply(kubectl, _app(control, registry, "rolled", history))
    run_once(local_cluster, control)
    text = "\n".join(_section(_get(local_cluster, control, "rolled")))
    assert "Pinned:             web at 1.0.0 (kaiun image-updater unpin to resume)" in text
    image = f"{registry.host}/{REPO}"
    row = next(line for line in text.splitlines() if line.startswith(image)).split()
    assert row == [image, "web", "semver", "1.x", "1.0.0", "-", "skipped", "at", "1.0.0"]
    assert "Notes:\n  - rolled back by alice to 1.0.0: images pinned" in text

    # The pins shown are the live ones, even when the record is older than the pin.
    result = CliRunner().invoke(cli, [
        "image-updater", "pin", "rolled", "web", "--tag", "1.1.0", "--namespace", control,
        "--kubeconfig", str(local_cluster.kubeconfig),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    text = "\n".join(_section(_get(local_cluster, control, "rolled")))
    assert "Pinned:             web at 1.1.0 (kaiun image-updater unpin to resume)" in text
    row = next(line for line in text.splitlines() if line.startswith(image)).split()
    assert row[-2:] == ["at", "1.1.0"]


def test_app_get_without_the_updater_has_no_section(
    local_cluster: LocalCluster, kubectl: Kubectl, registry: Registry, control: str
) -> None:
    app = _app(control, registry, "plain")
    app["metadata"]["annotations"] = {}
    apply(kubectl, app)
    run_once(local_cluster, control)
    assert "Image Updater" not in _get(local_cluster, control, "plain")
