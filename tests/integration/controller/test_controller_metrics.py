"""The controller's /metrics endpoint: Argo CD's metric names, labels and buckets, scraped
over HTTP from a running controller after a real sync."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from kaiun.localcluster import LocalCluster
from tests.integration.controller.conftest import (
    ControllerRunner,
    Plane,
    configmap,
    deployment,
    fast,
    synced_healthy,
)

IN_CLUSTER = "https://kubernetes.default.svc"


@pytest.fixture
def metered(plane: Plane, local_cluster: LocalCluster, tmp_path: Path) -> Iterator[Plane]:
    """``plane`` with its controller restarted serving /metrics on a free loopback port."""
    plane.runner.stop()
    plane.runner = ControllerRunner(
        local_cluster.kubeconfig, plane.namespace, tmp_path / "work2", fast,
        metrics_port=0, metrics_host="127.0.0.1",
        metrics_app_labels=["team"], metrics_app_conditions=["OrphanedResourceWarning"],
    )  # fmt: skip
    plane.runner.start()
    yield plane


def scrape(plane: Plane, path: str = "/metrics") -> httpx.Response:
    controller = plane.runner.controller
    assert controller is not None and controller.metrics_server is not None
    return httpx.get(f"http://127.0.0.1:{controller.metrics_server.port}{path}", timeout=10)


def samples(plane: Plane, metric: str, /, **labels: str) -> list[Sample]:
    text = scrape(plane).text
    found = []
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == metric and all(sample.labels.get(k) == v for k, v in labels.items()):
                found.append(sample)
    return found


def test_metrics_after_a_sync(metered: Plane) -> None:
    plane = metered
    plane.repo.commit({"app/deploy.yaml": deployment("web"), "app/cm.yaml": configmap("cfg")})
    text = plane.app_yaml("shop", automated={"prune": True, "selfHeal": True}).replace(
        f"  namespace: {plane.namespace}\n",
        f"  namespace: {plane.namespace}\n  labels: {{team: blue}}\n",
        1,
    )
    plane.apply(text)
    plane.wait_app("shop", synced_healthy)
    me = {"name": "shop", "namespace": plane.namespace}

    [info] = samples(plane, "argocd_app_info", **me)
    assert info.value == 1.0
    assert info.labels == {
        **me,
        "project": "default",
        "autosync_enabled": "true",
        "repo": plane.repo.url,
        "dest_server": IN_CLUSTER,
        "dest_namespace": plane.dest,
        "sync_status": "Synced",
        "health_status": "Healthy",
        "operation": "",
    }
    [labels] = samples(plane, "argocd_app_labels", **me)
    assert labels.labels["label_team"] == "blue"

    [syncs] = samples(plane, "argocd_app_sync_total", **me, phase="Succeeded")
    assert syncs.value >= 1
    assert syncs.labels["dest_server"] == IN_CLUSTER and syncs.labels["dry_run"] == "false"
    assert samples(plane, "argocd_app_sync_duration_seconds_total", **me)

    buckets = samples(plane, "argocd_app_reconcile_bucket", namespace=plane.namespace)
    assert sorted(float(b.labels["le"]) for b in buckets) == [
        0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, float("inf")
    ]  # fmt: skip
    assert all(b.labels["dest_server"] == IN_CLUSTER for b in buckets)
    [count] = samples(plane, "argocd_app_reconcile_count", namespace=plane.namespace)
    assert count.value >= 2  # at least the first compare and the one after the sync

    created = samples(
        plane, "argocd_app_k8s_request_total", **me, resource_kind="deployments",
        resource_namespace=plane.dest, server=IN_CLUSTER,
    )  # fmt: skip
    verbs = {s.labels["verb"] for s in created}
    assert verbs & {"Create", "Patch"}, verbs
    assert all(s.labels["response_code"] in ("200", "201") for s in created)

    [orphans] = samples(plane, "argocd_app_orphaned_resources_count", **me)
    assert orphans.value == 0

    [cluster] = samples(plane, "argocd_cluster_info", server=IN_CLUSTER)
    assert cluster.labels["name"] == "in-cluster" and cluster.labels["k8s_version"]
    [connected] = samples(plane, "argocd_cluster_connection_status", server=IN_CLUSTER)
    assert connected.value == 1.0
    [objects] = samples(plane, "argocd_cluster_api_resource_objects", server=IN_CLUSTER)
    assert objects.value > 0
    assert samples(plane, "argocd_cluster_events_total", server=IN_CLUSTER)

    assert scrape(plane, "/healthz").text == "ok\n"
    assert scrape(plane, "/nope").status_code == 404
