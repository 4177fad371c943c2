"""End to end: the application controller deploys a Kustomize app, the updater finds a newer
tag in a real registry and patches the Application, the controller deploys the new image."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from kaiun.localcluster import LocalCluster
from tests.integration.controller.conftest import Plane, plane, synced_healthy
from tests.integration.imageupdater.runner_kit import PREFIX, registries_conf, run_once
from tests.registry_kit import Registry
from tests.support import wait_for

__all__ = ["plane"]  # the controller's fixture, used here

REPO = "team/e2e"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    reg = Registry(tmp_path_factory.mktemp("reg-e2e"))
    reg.start()
    for tag in ("1.0.0", "1.2.0"):
        reg.pusher().image(REPO, tag, created="2024-01-01T00:00:00Z")
    try:
        yield reg
    finally:
        reg.stop()


def _image(plane: Plane) -> str:
    live = plane.get("deployment", "web")
    return str(live["spec"]["template"]["spec"]["containers"][0]["image"]) if live else ""


def test_argocd_write_back_is_deployed_by_the_controller(
    plane: Plane, local_cluster: LocalCluster, registry: Registry
) -> None:
    image = f"{registry.host}/{REPO}"
    deploy = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n"
        "  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
        f"    spec:\n      containers:\n      - name: main\n        image: {image}:1.0.0\n"
    )
    plane.repo.commit({
        "app/kustomization.yaml": "resources:\n- deploy.yaml\n",
        "app/deploy.yaml": deploy,
    })  # fmt: skip
    registries_conf(plane.kubectl, plane.namespace, registry.host)
    annotations = (
        f"  annotations:\n    {PREFIX}image-list: web={image}:1.x\n"
        f"    {PREFIX}write-back-method: argocd\n"
    )
    text = plane.app_yaml("web", automated={"prune": True, "selfHeal": True})
    plane.apply(text.replace("metadata:\n", "metadata:\n" + annotations, 1))
    plane.wait_app("web", lambda a: synced_healthy(a) and (a["status"].get("summary") or {})
                   .get("images") == [f"{image}:1.0.0"])  # fmt: skip
    run_once(local_cluster, plane.namespace)
    app = plane.app("web")
    assert app["spec"]["source"]["kustomize"]["images"] == [f"{image}:1.2.0"]
    wait_for(lambda: _image(plane) == f"{image}:1.2.0", timeout=90, what="new image deployed")
    app = plane.wait_app("web", lambda a: synced_healthy(a) and a["status"]["summary"][
        "images"] == [f"{image}:1.2.0"])  # fmt: skip
    # The controller's status writes keep the updater's record.
    record = json.loads(app["metadata"]["annotations"]["kaiun.io/image-updater-status"])
    assert record["changes"] == [{"image": image, "from": "1.0.0", "to": "1.2.0"}]
    # The next cycle finds it up to date and changes nothing.
    (outcome,) = run_once(local_cluster, plane.namespace)
    assert outcome.record["images"][0]["action"] == "up-to-date"
    assert not outcome.patch.get("spec")
