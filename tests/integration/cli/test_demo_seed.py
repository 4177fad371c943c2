"""``seed_demo``: a real git repository of example apps, registered as Applications; every app
renders with the real tools and the local cluster accepts the result (server-side dry run)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from kaiun.cli.demo import seed_demo
from kaiun.engine import install_control_plane
from kaiun.engine.controlplane import default_project
from kaiun.kube import KubeClient, from_kubeconfig
from kaiun.localcluster import LocalCluster
from kaiun.model.appproject import AppProject
from kaiun.repo import ApplicationSource, ManifestRequest, RepoService
from tests.support import Kubectl

DEMO_NAMES = {
    "guestbook",
    "kustomize-dev",
    "kustomize-prod",
    "helm-dev",
    "helm-prod",
    "jsonnet",
    "sync-waves",
    "root-app",
}


async def _seed(lc: LocalCluster, data_dir: Path, ns: str) -> list[str]:
    async with await KubeClient.connect(from_kubeconfig(lc.kubeconfig)) as client:
        await install_control_plane(client, ns)
        return await seed_demo(client, data_dir, ns)


@pytest.fixture(scope="module")
def seeded(
    local_cluster: LocalCluster, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path, list[str]]:
    ns = f"demo-{uuid.uuid4().hex[:8]}"
    data_dir = tmp_path_factory.mktemp("data")
    lines = asyncio.run(_seed(local_cluster, data_dir, ns))
    return ns, data_dir, lines


def _apps(kubectl: Kubectl, ns: str) -> dict[str, dict[str, Any]]:
    items = json.loads(kubectl("get", "applications", "-n", ns, "-o", "json"))["items"]
    return {a["metadata"]["name"]: a for a in items}


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout.strip()


def test_seed_creates_repository_and_applications(
    seeded: tuple[str, Path, list[str]], kubectl: Kubectl
) -> None:
    ns, data_dir, lines = seeded
    repo = data_dir / "demo-repo"
    assert lines[0].startswith(f"demo repository created at {repo.resolve()}")
    assert _git(repo, "rev-list", "--count", "main") == "1"
    assert _git(repo, "status", "--porcelain") == ""
    assert {f"application/{n} created" for n in DEMO_NAMES} == {
        line.split(" (")[0] for line in lines[1:]
    }
    apps = _apps(kubectl, ns)
    assert set(apps) == DEMO_NAMES
    for app in apps.values():
        spec = app["spec"]
        assert spec["source"]["repoURL"] == repo.resolve().as_uri()
        assert spec["destination"]["server"] == "https://kubernetes.default.svc"
        assert spec["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
        assert "CreateNamespace=true" in spec["syncPolicy"]["syncOptions"]
    assert apps["root-app"]["spec"]["destination"]["namespace"] == ns
    assert apps["helm-prod"]["spec"]["source"]["helm"] == {"valueFiles": ["values-prod.yaml"]}
    # The default project admits every demo app (the policy the controller enforces).
    project = AppProject.from_dict(default_project(ns))
    for app in apps.values():
        assert project.validate_application(app, cluster_names={}) == []


def test_seed_again_changes_nothing(
    seeded: tuple[str, Path, list[str]], local_cluster: LocalCluster, kubectl: Kubectl
) -> None:
    ns, data_dir, _ = seeded
    repo = data_dir / "demo-repo"
    (repo / "guestbook" / "extra.yaml").write_text("apiVersion: v1\nkind: ConfigMap\n")
    before = {n: a["metadata"]["resourceVersion"] for n, a in _apps(kubectl, ns).items()}
    lines = asyncio.run(_seed(local_cluster, data_dir, ns))
    assert "already exists; left as it is" in lines[0]
    assert sorted(lines[1:]) == sorted(f"application/{n} unchanged" for n in DEMO_NAMES)
    assert _git(repo, "rev-list", "--count", "main") == "1"
    assert (repo / "guestbook" / "extra.yaml").exists()
    after = {n: a["metadata"]["resourceVersion"] for n, a in _apps(kubectl, ns).items()}
    assert after == before


def _render(service: RepoService, app: dict[str, Any]) -> list[dict[str, Any]]:
    request = ManifestRequest(
        source=ApplicationSource.from_dict(app["spec"]["source"]),
        app_name=app["metadata"]["name"],
        namespace=app["spec"]["destination"]["namespace"],
    )
    return [dict(m) for m in asyncio.run(service.generate_manifest(request)).manifests]


def _kinds(manifests: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return sorted((m["kind"], m["metadata"]["name"]) for m in manifests)


@pytest.fixture(scope="module")
def rendered(
    seeded: tuple[str, Path, list[str]], kubectl: Kubectl, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, list[dict[str, Any]]]:
    ns, _, _ = seeded
    service = RepoService(tmp_path_factory.mktemp("repo-work"), revision_cache_seconds=0)
    apps = _apps(kubectl, ns)
    out = {name: _render(service, app) for name, app in apps.items()}
    # The App of Apps children render too.
    root_children = {m["metadata"]["name"]: m for m in out["root-app"]}
    for name, child in root_children.items():
        out[name] = _render(service, child)
    return out


def test_every_demo_app_renders(
    rendered: dict[str, list[dict[str, Any]]], seeded: tuple[str, Path, list[str]]
) -> None:
    ns, data_dir, _ = seeded
    assert _kinds(rendered["guestbook"]) == [
        ("Deployment", "guestbook-ui"),
        ("Service", "guestbook-ui"),
    ]
    dev = {m["kind"]: m for m in rendered["kustomize-dev"]}
    prod = {m["kind"]: m for m in rendered["kustomize-prod"]}
    assert dev["Deployment"]["metadata"]["name"] == "dev-guestbook-ui"
    assert dev["Deployment"]["spec"]["replicas"] == 1
    assert prod["Deployment"]["spec"]["replicas"] == 2
    image = prod["Deployment"]["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "gcr.io/heptio-images/ks-guestbook-demo:0.1"
    assert prod["ConfigMap"]["data"] == {"ENVIRONMENT": "prod", "LOG_LEVEL": "info"}
    helm_dev = {m["kind"]: m for m in rendered["helm-dev"]}
    helm_prod = {m["kind"]: m for m in rendered["helm-prod"]}
    assert helm_dev["Deployment"]["metadata"]["name"] == "helm-dev-helm-guestbook"
    assert helm_prod["Deployment"]["spec"]["replicas"] == 2
    env = helm_prod["Deployment"]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert env == [{"name": "ENVIRONMENT", "value": "prod"}]
    assert _kinds(rendered["jsonnet"]) == [
        ("Deployment", "jsonnet-guestbook-ui"),
        ("Service", "jsonnet-guestbook-ui"),
    ]
    waves = {
        (m["kind"], m["metadata"]["name"]): m["metadata"].get("annotations", {})
        for m in rendered["sync-waves"]
    }
    assert waves[("Job", "db-migration")] == {
        "argocd.argoproj.io/hook": "PreSync",
        "argocd.argoproj.io/hook-delete-policy": "HookSucceeded",
    }
    wave = "argocd.argoproj.io/sync-wave"
    assert waves[("ConfigMap", "waves-config")][wave] == "-1"
    assert waves[("Deployment", "waves-app")][wave] == "0"
    assert waves[("Service", "waves-app")][wave] == "1"
    children = {m["metadata"]["name"]: m for m in rendered["root-app"]}
    assert set(children) == {"app-a", "app-b"}
    repo_url = (data_dir / "demo-repo").resolve().as_uri()
    for name, child in children.items():
        assert child["kind"] == "Application"
        assert child["metadata"]["namespace"] == ns
        assert child["spec"]["source"] == {
            "repoURL": repo_url,
            "targetRevision": "main",
            "path": f"manifests/{name}",
        }
        assert _kinds(rendered[name]) == [("ConfigMap", f"{name}-settings")]


def test_local_cluster_accepts_every_rendered_manifest(
    rendered: dict[str, list[dict[str, Any]]], kubectl: Kubectl, namespace: str
) -> None:
    for name, manifests in rendered.items():
        docs = []
        for m in manifests:
            m = json.loads(json.dumps(m))
            m["metadata"].setdefault("namespace", namespace)
            docs.append(m)
        out = kubectl.run(
            "apply", "--dry-run=server", "-f", "-", input=yaml.safe_dump_all(docs), check=False
        )
        assert out.returncode == 0, f"{name}: {out.stderr}"
        assert out.stdout.count("(server dry run)") == len(docs), out.stdout
