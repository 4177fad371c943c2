"""Helm chart tracking for charts in an OCI registry: Debian's docker-registry (htpasswd) on
loopback holding charts pushed with the Helm SDK; the chart source's targetRevision follows
the repository's tags ("+" read back from Helm's "_"), with Argo CD's repository
credentials; a wrong password is recorded and changes nothing; the repo server renders the
version written."""

from __future__ import annotations

import asyncio
import base64
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kaiun.localcluster import LocalCluster
from kaiun.repo import ApplicationSource, CredentialStore, ManifestRequest, RepoService
from tests.integration.imageupdater.runner_kit import (
    application,
    apply,
    get_app,
    install,
    run_once,
    status_record,
)
from tests.integration.repo.repo_testkit import CHART_FILES, RegistryServer
from tests.support import Kubectl

pytestmark = pytest.mark.skipif(
    shutil.which("docker-registry") is None or shutil.which("htpasswd") is None,
    reason="docker-registry/htpasswd missing (scripts/setup installs them)",
)
USER, PASSWORD = "charts", "oci-pw-77"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    work = tmp_path_factory.mktemp("oci-charts")
    with RegistryServer(work, USER, PASSWORD) as server:
        chart = work / "src" / "my-chart"
        for rel, text in CHART_FILES.items():
            (chart / rel).parent.mkdir(parents=True, exist_ok=True)
            (chart / rel).write_text(text)
        for version in ("1.0.0", "1.2.0", "1.3.0+build.5", "1.4.0-rc.1", "2.0.0"):
            server.push_chart(chart, version, work / "pkg")
        yield server


def _creds(ns: str, url: str, password: str) -> dict[str, Any]:
    data = {"url": url, "type": "helm", "enableOCI": "true", "insecureOCIForceHttp": "true",
            "username": USER, "password": password}  # fmt: skip
    return {
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "oci-creds", "namespace": ns,
                     "labels": {"argocd.argoproj.io/secret-type": "repo-creds"}},
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
    }  # fmt: skip


@pytest.fixture
def control(local_cluster: LocalCluster) -> str:
    ns = f"iuo-{uuid.uuid4().hex[:8]}"
    install(local_cluster, ns)
    return ns


def _app(ns: str, repo_url: str, constraint: str = "1.x") -> dict[str, Any]:
    return application(
        "web", ns,
        source={"repoURL": repo_url, "chart": "my-chart", "targetRevision": "1.0.0"},
        annotations={"kaiun.io/image-updater-chart-version": constraint}, images=[],
    )  # fmt: skip


@pytest.mark.parametrize("scheme", ["oci://", ""])
def test_oci_chart_follows_the_registry_tags(
    local_cluster: LocalCluster, kubectl: Kubectl, registry: RegistryServer, control: str,
    tmp_path: Path, scheme: str,
) -> None:  # fmt: skip
    """``oci://host/charts`` and Argo CD's scheme-less Helm OCI form (whose repository Secret
    says ``enableOCI``) are the same registry."""
    apply(kubectl, _creds(control, f"{scheme}{registry.host}", PASSWORD))
    apply(kubectl, _app(control, f"{scheme}{registry.host}/charts"))
    run_once(local_cluster, control)
    app = get_app(kubectl, control, "web")
    # 1.3.0+build.5 is stored as tag 1.3.0_build.5; the pre-release and 2.0.0 are out.
    assert app["spec"]["source"]["targetRevision"] == "1.3.0+build.5"
    rec = status_record(app)
    assert rec["changes"] == [{"image": "my-chart", "from": "1.0.0", "to": "1.3.0+build.5"}]
    assert rec["images"][0]["tagsFound"] == 5
    assert rec["writeBack"]["chart"] == "spec.source.targetRevision (1.3.0+build.5)"
    (outcome,) = run_once(local_cluster, control)
    assert outcome.record["images"][0]["action"] == "up-to-date"

    # The version written is one the repo server can render.
    secret = _creds(control, f"{scheme}{registry.host}", PASSWORD)
    secret["stringData"] = {k: base64.b64decode(v).decode() for k, v in secret.pop("data").items()}
    svc = RepoService(tmp_path / "w", credentials=CredentialStore.from_secrets([secret]))
    source = ApplicationSource.from_dict(app["spec"]["source"])
    resp = asyncio.run(svc.generate_manifest(ManifestRequest(source=source, app_name="web")))
    assert resp.revision == "1.3.0_build.5"  # the registry's tag for that version
    assert any(m["kind"] == "Deployment" for m in resp.manifests)


def test_wrong_registry_password_is_recorded_and_changes_nothing(
    local_cluster: LocalCluster, kubectl: Kubectl, registry: RegistryServer, control: str
) -> None:
    apply(kubectl, _creds(control, f"oci://{registry.host}", "not-the-password"))
    apply(kubectl, _app(control, f"oci://{registry.host}/charts"))
    run_once(local_cluster, control)
    app = get_app(kubectl, control, "web")
    assert app["spec"]["source"]["targetRevision"] == "1.0.0"
    rec = status_record(app)
    assert rec["images"][0]["action"] == "error"
    assert rec["errors"][0].startswith("chart: basic-auth: "), rec["errors"]
    assert "not-the-password" not in app["metadata"]["annotations"]["kaiun.io/image-updater-status"]
