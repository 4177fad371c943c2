"""The updater loop against the local cluster and a real registry: argocd write-back, the
record, dry-run, failures that change nothing, pins and rollback pins."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from kaiun.cli.imageupdater_run import metrics_server
from kaiun.cli.main import cli
from kaiun.controllers.imageupdater.metrics import Metrics
from kaiun.localcluster import LocalCluster
from tests.integration.imageupdater.conftest import USERS
from tests.integration.imageupdater.runner_kit import (
    PREFIX,
    application,
    apply,
    b64,
    control_namespace,
    get_app,
    registries_conf,
    run_once,
    seeded_registry,
    status_record,
)
from tests.registry_kit import Registry, free_port
from tests.support import Kubectl

REPO = "team/web"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    with seeded_registry(
        tmp_path_factory.mktemp("reg-runner"), REPO, ("1.0.0", "1.1.0", "1.2.0", "2.0.0")
    ) as reg:
        yield reg


@pytest.fixture
def control(local_cluster: LocalCluster, kubectl: Kubectl, registry: Registry) -> str:
    return control_namespace(local_cluster, kubectl, registry.host, "iu")


def _helm_app(ns: str, registry: Registry, name: str = "web", **annotations: str) -> dict[str, Any]:
    return application(
        name, ns,
        source={"repoURL": "https://charts.example", "chart": "web", "targetRevision": "1.0.0",
                "helm": {"parameters": [{"name": "replicas", "value": "2"}]}},
        annotations={PREFIX + "image-list": f"web={registry.host}/{REPO}:1.x", **annotations},
        images=[f"{registry.host}/{REPO}:1.0.0"],
    )  # fmt: skip


def test_argocd_write_back_sets_helm_parameters_and_records_it(
    local_cluster: LocalCluster, kubectl: Kubectl, registry: Registry, control: str
) -> None:
    apply(kubectl, _helm_app(control, registry))
    metrics = Metrics()
    outcomes = run_once(local_cluster, control, metrics=metrics)
    assert [o.name for o in outcomes] == ["web"]
    assert metrics.get("images_updated_total", application="web") == 1
    assert metrics.get("images_watched_total", application="web") == 1
    assert metrics.get("registry_requests_total", registry=registry.host) >= 1
    assert metrics.get("k8s_api_requests_total") >= 3
    app = get_app(kubectl, control, "web")
    params = app["spec"]["source"]["helm"]["parameters"]
    assert params == [
        {"name": "replicas", "value": "2"},
        {"name": "image.name", "value": f"{registry.host}/{REPO}", "forceString": True},
        {"name": "image.tag", "value": "1.2.0", "forceString": True},
    ]
    rec = status_record(app)
    assert rec["changes"] == [{"image": f"{registry.host}/{REPO}", "from": "1.0.0", "to": "1.2.0"}]
    assert rec["images"][0]["action"] == "update"
    assert rec["writeBack"]["method"] == "argocd"
    assert "spec.source.helm.parameters (replicas, image.name, image.tag)" in rec["writeBack"][
        "where"]  # fmt: skip
    assert "errors" not in rec


def test_kustomize_application_gets_an_images_override(
    local_cluster: LocalCluster, kubectl: Kubectl, registry: Registry, control: str
) -> None:
    apply(kubectl, application(
        "kust", control,
        source={"repoURL": "https://git.example/c.git", "path": "app", "kustomize": {}},
        annotations={PREFIX + "image-list": f"{registry.host}/{REPO}:~1.1"},
        images=[f"{registry.host}/{REPO}:1.0.0"],
    ))  # fmt: skip
    run_once(local_cluster, control)
    app = get_app(kubectl, control, "kust")
    assert app["spec"]["source"]["kustomize"]["images"] == [f"{registry.host}/{REPO}:1.1.0"]


def test_dry_run_changes_nothing_and_says_what_it_would_do(
    local_cluster: LocalCluster, kubectl: Kubectl, registry: Registry, control: str
) -> None:
    apply(kubectl, _helm_app(control, registry))
    before = get_app(kubectl, control, "web")
    outcomes = run_once(local_cluster, control, dry_run=True)
    after = get_app(kubectl, control, "web")
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    assert "kaiun.io/image-updater-status" not in after["metadata"]["annotations"]
    (outcome,) = outcomes
    assert not outcome.written
    assert outcome.record["changes"][0]["to"] == "1.2.0"
    tags = [p["value"] for p in outcome.patch["spec"]["source"]["helm"]["parameters"]]
    assert "1.2.0" in tags


def test_dry_run_cli_prints_the_change(
    local_cluster: LocalCluster, kubectl: Kubectl, registry: Registry, control: str
) -> None:
    apply(kubectl, _helm_app(control, registry))
    result = CliRunner().invoke(cli, [
        "image-updater", "run", "--dry-run", "--namespace", control,
        "--kubeconfig", str(local_cluster.kubeconfig),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "would write (argocd)" in result.output
    assert "1.2.0" in result.output
    app = get_app(kubectl, control, "web")
    assert len(app["spec"]["source"]["helm"]["parameters"]) == 1


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("wrong-password", "basic-auth"),
        ("unreachable", "127.0.0.1"),
        ("bad-constraint", "config: "),
    ],
)
def test_failures_are_recorded_and_change_nothing(
    local_cluster: LocalCluster, kubectl: Kubectl, registry: Registry, control: str,
    basic_registry: Registry, case: str, expected: str,
) -> None:  # fmt: skip
    host, constraint, extra = registry.host, "1.x", {}
    if case == "wrong-password":
        basic_registry.pusher().image(REPO, "1.5.0", created="2024-01-01T00:00:00Z")
        host = basic_registry.host
        registries_conf(kubectl, control, host)
        apply(kubectl, {"apiVersion": "v1", "kind": "Secret",
                        "metadata": {"name": "reg", "namespace": control},
                        "data": {"creds": b64("alice:not-" + USERS["alice"])}})  # fmt: skip
        extra = {PREFIX + "web.pull-secret": f"secret:{control}/reg#creds"}
    elif case == "unreachable":
        host = f"127.0.0.1:{free_port()}"
        registries_conf(kubectl, control, host)
    else:
        constraint = ">=1.0 <<2"
    app = _helm_app(control, registry, **extra)
    app["metadata"]["annotations"][PREFIX + "image-list"] = f"web={host}/{REPO}:{constraint}"
    app["status"]["summary"]["images"] = [f"{host}/{REPO}:1.0.0"]
    apply(kubectl, app)
    run_once(local_cluster, control)
    after = get_app(kubectl, control, "web")
    assert after["spec"]["source"]["helm"]["parameters"] == [{"name": "replicas", "value": "2"}]
    rec = status_record(after)
    assert rec["images"][0]["action"] == "error"
    assert len(rec["errors"]) == 1
    assert expected in rec["errors"][0]
    assert "not-" + USERS["alice"] not in rec["errors"][0]
    assert "changes" not in rec


def test_a_pin_holds_the_image(
    local_cluster: LocalCluster, kubectl: Kubectl, registry: Registry, control: str
) -> None:
    apply(kubectl, _helm_app(control, registry))
    result = CliRunner().invoke(cli, [
        "image-updater", "pin", "web", "web", "--tag", "1.0.0", "--namespace", control,
        "--kubeconfig", str(local_cluster.kubeconfig),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    run_once(local_cluster, control)
    app = get_app(kubectl, control, "web")
    assert app["metadata"]["annotations"]["kaiun.io/image-updater-pin.web"] == "1.0.0"
    assert len(app["spec"]["source"]["helm"]["parameters"]) == 1
    image = status_record(app)["images"][0]
    assert image["action"] == "skipped"
    assert image["pinned"] == "1.0.0"
    assert "pinned at 1.0.0" in image["message"]
    CliRunner().invoke(cli, [
        "image-updater", "unpin", "web", "--namespace", control,
        "--kubeconfig", str(local_cluster.kubeconfig),
    ])  # fmt: skip
    run_once(local_cluster, control)
    app = get_app(kubectl, control, "web")
    assert app["spec"]["source"]["helm"]["parameters"][-1]["value"] == "1.2.0"


def _history(source_b: dict[str, Any]) -> list[dict[str, Any]]:
    source_a = {"repoURL": "https://charts.example", "chart": "web", "targetRevision": "1.0.0"}
    return [
        {"id": 0, "revision": "1.0.0", "source": source_a, "initiatedBy": {"automated": True}},
        {"id": 1, "revision": "1.0.0", "source": source_b, "initiatedBy": {"automated": True}},
        {"id": 2, "revision": "1.0.0", "source": source_a, "initiatedBy": {"username": "admin"}},
    ]


def test_a_users_rollback_pins_and_unpin_resumes(
    local_cluster: LocalCluster, kubectl: Kubectl, registry: Registry, control: str
) -> None:
    app = _helm_app(control, registry)
    params = [{"name": "image.tag", "value": "1.2.0"}]
    newer = dict(app["spec"]["source"], helm={"parameters": params})
    app["status"]["history"] = _history(newer)
    apply(kubectl, app)
    run_once(local_cluster, control)
    after = get_app(kubectl, control, "web")
    annotations = after["metadata"]["annotations"]
    assert annotations["kaiun.io/image-updater-pin.web"] == "1.0.0"
    assert annotations["kaiun.io/image-updater-rollback-seen"] == "2"
    assert len(after["spec"]["source"]["helm"]["parameters"]) == 1
    rec = status_record(after)
    assert rec["images"][0]["action"] == "skipped"
    assert rec["notes"] == [
        "rolled back by admin to 1.0.0: images pinned (kaiun image-updater unpin web to resume "
        "updates)"
    ]
    assert "errors" not in rec
    # The pin holds on later cycles, and unpinning is not undone by the same rollback.
    run_once(local_cluster, control)
    assert len(get_app(kubectl, control, "web")["spec"]["source"]["helm"]["parameters"]) == 1
    kubectl("annotate", "applications.argoproj.io", "web", "-n", control,
            "kaiun.io/image-updater-pin.web-")  # fmt: skip
    run_once(local_cluster, control)
    after = get_app(kubectl, control, "web")
    assert "kaiun.io/image-updater-pin.web" not in after["metadata"]["annotations"]
    assert after["spec"]["source"]["helm"]["parameters"][-1]["value"] == "1.2.0"


def test_an_image_updater_resource_selects_applications(
    local_cluster: LocalCluster, kubectl: Kubectl, registry: Registry, control: str
) -> None:
    app = _helm_app(control, registry, name="web-eu")
    del app["metadata"]["annotations"][PREFIX + "image-list"]
    apply(kubectl, app)
    apply(kubectl, {
        "apiVersion": "argocd-image-updater.argoproj.io/v1alpha1", "kind": "ImageUpdater",
        "metadata": {"name": "web", "namespace": control},
        "spec": {"applicationRefs": [{
            "namePattern": "web-*",
            "images": [{"alias": "web", "imageName": f"{registry.host}/{REPO}:~1.1",
                        "manifestTargets": {"helm": {"name": "img.repo", "tag": "img.tag"}}}],
        }]},
    })  # fmt: skip
    run_once(local_cluster, control)
    params = get_app(kubectl, control, "web-eu")["spec"]["source"]["helm"]["parameters"]
    assert {"name": "img.tag", "value": "1.1.0", "forceString": True} in params


def test_metrics_are_served_in_prometheus_text() -> None:
    metrics = Metrics()
    metrics.add("images_errors_total", 2, application="web")

    async def scrape() -> str:
        server = await metrics_server(metrics, 0, host="127.0.0.1")
        try:
            port = server.sockets[0].getsockname()[1]
            async with httpx.AsyncClient() as client:
                resp = await client.get(f"http://127.0.0.1:{port}/metrics")
            assert resp.status_code == 200
            assert resp.headers["content-type"].startswith("text/plain")
            return resp.text
        finally:
            server.close()
            await server.wait_closed()

    text = asyncio.run(scrape())
    assert 'argocd_image_updater_images_errors_total{application="web"} 2' in text
