"""Image Updater 1.x ``ImageUpdater`` resources get their ``status`` written after each cycle
(through the status subresource of the installed CRD), with Image Updater 1.x's fields."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from kaiun.localcluster import LocalCluster
from tests.integration.imageupdater.runner_kit import (
    application,
    apply,
    control_namespace,
    run_once,
    seeded_registry,
)
from tests.registry_kit import Registry
from tests.support import Kubectl

REPO = "team/res"
IU = "imageupdaters.argocd-image-updater.argoproj.io"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    with seeded_registry(tmp_path_factory.mktemp("reg-res"), REPO, ("1.0.0", "1.1.0")) as reg:
        yield reg


@pytest.fixture
def control(local_cluster: LocalCluster, kubectl: Kubectl, registry: Registry) -> str:
    return control_namespace(local_cluster, kubectl, registry.host, "iur")


def _app(ns: str, name: str, image: str) -> dict[str, Any]:
    return application(
        name, ns,
        source={"repoURL": "https://charts.example", "chart": "web", "targetRevision": "1.0.0",
                "helm": {}},
        annotations={}, images=[image],
    )  # fmt: skip


def _updater(ns: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "argocd-image-updater.argoproj.io/v1alpha1", "kind": "ImageUpdater",
            "metadata": {"name": name, "namespace": ns}, "spec": spec}  # fmt: skip


def _status(kubectl: Kubectl, ns: str, name: str) -> tuple[dict[str, Any], int]:
    obj = json.loads(kubectl("get", IU, name, "-n", ns, "-o", "json"))
    return obj.get("status") or {}, int(obj["metadata"]["generation"])


def _conditions(status: dict[str, Any]) -> dict[str, tuple[str, str, str]]:
    return {c["type"]: (c["status"], c["reason"], c["lastTransitionTime"])
            for c in status["conditions"]}  # fmt: skip


def test_status_after_updates_then_a_quiet_cycle(
    local_cluster: LocalCluster, kubectl: Kubectl, registry: Registry, control: str
) -> None:
    image = f"{registry.host}/{REPO}"
    for name in ("web-eu", "web-us"):
        apply(kubectl, _app(control, name, f"{image}:1.0.0"))
    apply(kubectl, _app(control, "other", f"{image}:1.0.0"))
    apply(kubectl, _updater(control, "web", {"applicationRefs": [{
        "namePattern": "web-*",
        "images": [{"alias": "web", "imageName": f"{image}:1.x",
                    "manifestTargets": {"helm": {"name": "image.repository", "tag": "image.tag"}}}],
    }]}))  # fmt: skip
    first = "2026-11-23T01:00:00Z"
    run_once(local_cluster, control, now=lambda: first)
    status, generation = _status(kubectl, control, "web")
    assert status["observedGeneration"] == generation
    assert status["lastCheckedAt"] == first and status["lastUpdatedAt"] == first
    assert status["applicationsMatched"] == 2 and status["imagesManaged"] == 2
    assert status["recentUpdates"] == [{
        "alias": "web", "image": image, "newVersion": "1.1.0", "applicationsUpdated": 2,
        "updatedAt": first, "message": "Updated from 1.0.0 to 1.1.0.",
    }]  # fmt: skip
    conditions = _conditions(status)
    assert conditions == {
        "Ready": ("True", "ReconcileSucceeded", first),
        "Reconciling": ("False", "Idle", first),
        "Error": ("False", "NoErrors", first),
    }
    ready = next(c for c in status["conditions"] if c["type"] == "Ready")
    assert ready["message"] == "Reconciled 2 applications, 2 images updated."
    table = kubectl("get", IU, "web", "-n", control).splitlines()
    assert table[0].split() == ["NAME", "APPS", "IMAGES", "LAST", "CHECKED", "READY", "AGE"]
    assert table[1].split()[:3] == ["web", "2", "2"] and table[1].split()[-2] == "True"

    # The controller deployed 1.1.0: the next cycle finds both up to date. The last updates
    # stay on record, and a condition's transition time moves only when its status does.
    for name in ("web-eu", "web-us"):
        apply(kubectl, _app(control, name, f"{image}:1.1.0"))
    second = "2026-11-23T01:02:00Z"
    run_once(local_cluster, control, now=lambda: second)
    status, _ = _status(kubectl, control, "web")
    assert status["lastCheckedAt"] == second and status["lastUpdatedAt"] == first
    assert status["recentUpdates"][0]["updatedAt"] == first
    assert _conditions(status)["Ready"] == ("True", "ReconcileSucceeded", first)
    ready = next(c for c in status["conditions"] if c["type"] == "Ready")
    assert ready["message"] == "Reconciled 2 applications, 0 images updated."


def test_errors_and_an_invalid_resource_are_in_status(
    local_cluster: LocalCluster, kubectl: Kubectl, registry: Registry, control: str
) -> None:
    apply(kubectl, _app(control, "bad-1", f"{registry.host}/team/missing:1.0.0"))
    apply(kubectl, _updater(control, "errs", {"applicationRefs": [{
        "namePattern": "bad-*",
        "images": [{"alias": "gone", "imageName": f"{registry.host}/team/missing:1.x"}],
    }]}))  # fmt: skip
    apply(kubectl, _updater(control, "broken", {"applicationRefs": [{"images": []}]}))
    now = "2026-11-23T01:05:00Z"
    run_once(local_cluster, control, now=lambda: now)
    errs, _ = _status(kubectl, control, "errs")
    assert errs["applicationsMatched"] == 1
    assert "recentUpdates" not in errs and "lastUpdatedAt" not in errs
    assert _conditions(errs)["Error"][:2] == ("True", "PartialErrors")
    assert _conditions(errs)["Ready"][:2] == ("True", "ReconcileCompletedWithErrors")
    broken, _ = _status(kubectl, control, "broken")
    assert broken["applicationsMatched"] == 0
    ready = next(c for c in broken["conditions"] if c["type"] == "Ready")
    assert (ready["status"], ready["reason"]) == ("False", "InvalidSpec")
    assert "applicationRefs need namePattern" in ready["message"]


def test_dry_run_writes_no_status(
    local_cluster: LocalCluster, kubectl: Kubectl, registry: Registry, control: str
) -> None:
    apply(kubectl, _app(control, "web-x", f"{registry.host}/{REPO}:1.0.0"))
    apply(kubectl, _updater(control, "web", {"applicationRefs": [{
        "namePattern": "web-*",
        "images": [{"alias": "web", "imageName": f"{registry.host}/{REPO}"}],
    }]}))  # fmt: skip
    run_once(local_cluster, control, dry_run=True)
    assert _status(kubectl, control, "web")[0] == {}
