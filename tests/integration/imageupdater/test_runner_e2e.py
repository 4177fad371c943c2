"""End to end: the application controller deploys a Kustomize app, the updater finds a newer
tag in a real registry and writes it back — by patching the Application (argocd) or by a commit
to a real git server over smart HTTP (git) — and the controller deploys the new image."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from kaiun.cli.main import cli
from kaiun.localcluster import LocalCluster
from tests.integration.controller.conftest import Plane, plane, synced_healthy
from tests.integration.imageupdater.runner_kit import (
    PREFIX,
    registries_conf,
    run_once,
    seeded_registry,
)
from tests.integration.repo.repo_testkit import GitHttpServer
from tests.registry_kit import Registry
from tests.support import wait_for

__all__ = ["plane"]  # the controller's fixture, used here

REPO = "team/e2e"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    with seeded_registry(tmp_path_factory.mktemp("reg-e2e"), REPO, ("1.0.0", "1.2.0")) as reg:
        yield reg


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


GIT_USER, GIT_PASSWORD = "bot", "push-pw-42"


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def git_server(tmp_path: Path, registry: Registry) -> Iterator[tuple[GitHttpServer, Path]]:
    """A smart-HTTP git server: anyone may fetch (the controller), pushing needs the bot's
    password (the updater)."""
    image = f"{registry.host}/{REPO}"
    root = tmp_path / "srv"
    bare = root / "team" / "deploy.git"
    bare.mkdir(parents=True)
    _git(bare, "init", "--quiet", "--bare", "--initial-branch=main")
    seed = tmp_path / "seed"
    (seed / "app").mkdir(parents=True)
    _git(seed, "init", "--quiet", "--initial-branch=main")
    (seed / "app" / "deploy.yaml").write_text(_deployment(f"{image}:0.0.1"))
    (seed / "app" / "kustomization.yaml").write_text(
        "# the updater keeps this comment\nresources:\n- deploy.yaml\n"
        f'images:\n- name: {image}\n  newTag: "1.0.0"\n'
    )
    _git(seed, "add", "-A")
    _git(seed, "-c", "user.name=s", "-c", "user.email=s@x", "commit", "--quiet", "-m", "seed")
    _git(seed, "push", "--quiet", str(bare), "main")
    with GitHttpServer(root, GIT_USER, GIT_PASSWORD, push_only=True) as srv:
        yield srv, bare


def _deployment(image: str) -> str:
    return (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n"
        "  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
        f"    spec:\n      containers:\n      - name: main\n        image: {image}\n"
    )


def test_git_write_back_is_committed_and_then_deployed_by_the_controller(
    plane: Plane, local_cluster: LocalCluster, registry: Registry,
    git_server: tuple[GitHttpServer, Path],
) -> None:  # fmt: skip
    srv, bare = git_server
    image = f"{registry.host}/{REPO}"
    url = f"{srv.base_url}/team/deploy.git"
    registries_conf(plane.kubectl, plane.namespace, registry.host)
    plane.apply(json.dumps({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "git-bot", "namespace": plane.namespace},
        "stringData": {"username": GIT_USER, "password": GIT_PASSWORD},
    }))  # fmt: skip
    text = plane.app_yaml("web", automated={"prune": True, "selfHeal": True})
    text = text.replace(plane.repo.url, url).replace("metadata:\n", "metadata:\n  annotations:\n"
        f"    {PREFIX}image-list: web={image}:1.x\n"
        f"    {PREFIX}write-back-method: git:secret:{plane.namespace}/git-bot\n"
        f"    {PREFIX}write-back-target: kustomization\n", 1)  # fmt: skip
    plane.apply(text)
    plane.wait_app("web", lambda a: synced_healthy(a) and (a["status"].get("summary") or {})
                   .get("images") == [f"{image}:1.0.0"], timeout=90)  # fmt: skip
    seeded = _git(bare, "rev-parse", "main")

    (outcome,) = run_once(local_cluster, plane.namespace)
    commit = outcome.record["writeBack"]["commit"]
    assert _git(bare, "rev-parse", "main") == commit != seeded
    assert not outcome.patch.get("spec")  # git write-back leaves the Application alone
    kustomization = _git(bare, "show", "main:app/kustomization.yaml")
    assert kustomization == (
        "# the updater keeps this comment\nresources:\n- deploy.yaml\n"
        f'images:\n- name: {image}\n  newTag: "1.2.0"'
    )

    # The controller finds the new commit on its own and deploys the new image.
    wait_for(lambda: _image(plane) == f"{image}:1.2.0", timeout=90, what="new image deployed")
    app = plane.wait_app("web", lambda a: synced_healthy(a) and a["status"]["sync"].get(
        "revision") == commit and a["status"]["summary"]["images"] == [f"{image}:1.2.0"],
        timeout=90)  # fmt: skip
    record = json.loads(app["metadata"]["annotations"]["kaiun.io/image-updater-status"])
    assert record["writeBack"]["commit"] == commit
    assert GIT_PASSWORD not in json.dumps(app)
    # Now that 1.2.0 runs, the next cycle is up to date and pushes nothing.
    (outcome,) = run_once(local_cluster, plane.namespace)
    assert outcome.record["images"][0]["action"] == "up-to-date"
    assert _git(bare, "rev-parse", "main") == commit


def test_kaiun_app_rollback_freezes_the_updater_until_unpin(
    plane: Plane, local_cluster: LocalCluster, registry: Registry
) -> None:
    """The seed's third problem end to end: the updater deploys 1.2.0, a user rolls back with
    ``kaiun app rollback``, and the updater pins 1.0.0 instead of undoing the rollback —
    visible in ``kaiun app get`` — until ``unpin``."""
    image = f"{registry.host}/{REPO}"
    plane.repo.commit({
        "app/kustomization.yaml": "resources:\n- deploy.yaml\n",
        "app/deploy.yaml": _deployment(f"{image}:1.0.0"),
    })  # fmt: skip
    registries_conf(plane.kubectl, plane.namespace, registry.host)
    text = plane.app_yaml("web", automated={"prune": True, "selfHeal": True})
    plane.apply(text.replace("metadata:\n", "metadata:\n  annotations:\n"
                             f"    {PREFIX}image-list: web={image}:1.x\n", 1))  # fmt: skip
    plane.wait_app("web", lambda a: synced_healthy(a) and (a["status"].get("summary") or {})
                   .get("images") == [f"{image}:1.0.0"], timeout=90)  # fmt: skip
    run_once(local_cluster, plane.namespace)
    plane.wait_app("web", lambda a: synced_healthy(a) and a["status"]["summary"][
        "images"] == [f"{image}:1.2.0"], timeout=90)  # fmt: skip
    first = plane.app("web")["status"]["history"][0]["id"]

    kaiun = ["--kubeconfig", str(local_cluster.kubeconfig), "-n", plane.namespace]
    done = CliRunner().invoke(cli, ["app", "rollback", "web", str(first), "--timeout", "90",
                                    *kaiun])  # fmt: skip
    assert done.exit_code == 0, done.output
    plane.wait_app("web", lambda a: a["status"]["operationState"]["phase"] == "Succeeded"
                   and a["status"]["summary"].get("images") == [f"{image}:1.0.0"],
                   timeout=90)  # fmt: skip
    assert _image(plane) == f"{image}:1.0.0"

    (outcome,) = run_once(local_cluster, plane.namespace)
    assert outcome.record["images"][0]["action"] == "skipped"
    assert outcome.record["notes"][0].startswith("rolled back by ")
    app = plane.app("web")
    assert app["metadata"]["annotations"]["kaiun.io/image-updater-pin.web"] == "1.0.0"
    shown = CliRunner().invoke(cli, ["app", "get", "web", *kaiun])
    assert shown.exit_code == 0, shown.output
    assert "Pinned:             web at 1.0.0 (kaiun image-updater unpin to resume)" in shown.output
    assert "Notes:\n  - rolled back by " in shown.output
    # Later cycles hold it: nothing is written back and 1.0.0 keeps running.
    spec = plane.app("web")["spec"]
    (outcome,) = run_once(local_cluster, plane.namespace)
    assert not outcome.patch.get("spec") and plane.app("web")["spec"] == spec
    assert _image(plane) == f"{image}:1.0.0"

    unpinned = CliRunner().invoke(cli, ["image-updater", "unpin", "web", "--namespace",
                                        plane.namespace, "--kubeconfig",
                                        str(local_cluster.kubeconfig)])  # fmt: skip
    assert unpinned.exit_code == 0, unpinned.output
    (outcome,) = run_once(local_cluster, plane.namespace)
    assert outcome.record["images"][0]["action"] == "update"
    assert "Pinned:" not in CliRunner().invoke(cli, ["app", "get", "web", *kaiun]).output
