"""OCI registries (Debian docker-registry on loopback): Helm charts and generic artifacts."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from kaiun.repo import (
    ApplicationSource,
    AuthenticationError,
    CredentialStore,
    ManifestRequest,
    ManifestResponse,
    PathEscapeError,
    RepoService,
    RevisionNotFoundError,
)
from tests.integration.repo.repo_testkit import CHART_FILES, RegistryServer, cm

pytestmark = pytest.mark.skipif(
    shutil.which("docker-registry") is None or shutil.which("htpasswd") is None,
    reason="docker-registry/htpasswd missing (scripts/setup installs them)",
)


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    work = tmp_path_factory.mktemp("registry")
    with RegistryServer(work, "admin", "reg-pw") as server:
        chart = work / "src" / "my-chart"
        for rel, text in CHART_FILES.items():
            (chart / rel).parent.mkdir(parents=True, exist_ok=True)
            (chart / rel).write_text(text)
        for version in ("1.0.0", "1.4.0", "2.0.0"):
            server.push_chart(chart, version, work / "pkg")
        server.push_files("manifests/app", "v1.0.0", {"app/a.yaml": cm("oci-a")})
        server.push_files("manifests/app", "v1.1.0", {"app/a.yaml": cm("oci-b")})
        server.push_files("manifests/evil", "v1", {"../../escape.yaml": cm("x")})
        for tag in ("app-v1.2.0", "app-v2.0.0", "tools-v9.0.0"):
            server.push_files("manifests/mono", tag, {"a.yaml": cm(tag.replace(".", "-"))})
        yield server


def service(tmp_path: Path, registry: RegistryServer, *, password: str = "reg-pw") -> RepoService:
    secret = {
        "metadata": {"name": "r", "labels": {"argocd.argoproj.io/secret-type": "repo-creds"}},
        "stringData": {
            "url": f"oci://{registry.host}",
            "type": "helm",
            "enableOCI": "true",
            "insecureOCIForceHttp": "true",
            "username": "admin",
            "password": password,
        },
    }
    return RepoService(tmp_path / "w", credentials=CredentialStore.from_secrets([secret]))


def render(svc: RepoService, source: dict[str, object], **kw: object) -> ManifestResponse:
    req = ManifestRequest(source=ApplicationSource.from_dict(source), **kw)  # type: ignore[arg-type]
    return asyncio.run(svc.generate_manifest(req))


def test_helm_chart_from_oci_with_version_range(tmp_path: Path, registry: RegistryServer) -> None:
    resp = render(
        service(tmp_path, registry),
        {
            "repoURL": f"oci://{registry.host}/charts",
            "chart": "my-chart",
            "targetRevision": "^1.0",
            "helm": {"valueFiles": ["values-production.yaml"]},
        },
        app_name="oci",
    )
    assert resp.revision == "1.4.0" and resp.source_type == "Helm"
    deploy = next(m for m in resp.manifests if m["kind"] == "Deployment")
    assert deploy["metadata"]["name"] == "oci-app" and deploy["spec"]["replicas"] == 2


def test_generic_oci_source_resolves_to_digest(tmp_path: Path, registry: RegistryServer) -> None:
    svc = service(tmp_path, registry)
    source = {"repoURL": f"oci://{registry.host}/manifests/app", "path": "app"}
    latest = render(svc, {**source, "targetRevision": "^1"})
    assert latest.revision.startswith("sha256:")
    assert [m["metadata"]["name"] for m in latest.manifests] == ["oci-b"]
    older = render(svc, {**source, "targetRevision": "v1.0.0"})
    assert [m["metadata"]["name"] for m in older.manifests] == ["oci-a"]
    pinned = render(svc, {**source, "targetRevision": older.revision})
    assert pinned.revision == older.revision and pinned.manifests == older.manifests


def test_generic_oci_source_with_tag_prefix(tmp_path: Path, registry: RegistryServer) -> None:
    """``tagPrefix`` keeps only the tags starting with it, then matches the constraint on
    the rest of the tag."""
    svc = service(tmp_path, registry)
    source = {"repoURL": f"oci://{registry.host}/manifests/mono", "tagPrefix": "app-"}
    for constraint, name in ((">=1.0.0", "app-v2-0-0"), ("~1.2", "app-v1-2-0")):
        resp = render(svc, {**source, "targetRevision": constraint})
        assert [m["metadata"]["name"] for m in resp.manifests] == [name]


def test_oci_errors(tmp_path: Path, registry: RegistryServer) -> None:
    with pytest.raises(AuthenticationError):
        render(
            service(tmp_path / "bad", registry, password="wrong"),
            {
                "repoURL": f"oci://{registry.host}/charts",
                "chart": "my-chart",
                "targetRevision": "1.0.0",
            },
        )
    svc = service(tmp_path, registry)
    with pytest.raises(RevisionNotFoundError):
        render(
            svc,
            {
                "repoURL": f"oci://{registry.host}/charts",
                "chart": "my-chart",
                "targetRevision": "^9",
            },
        )
    with pytest.raises(PathEscapeError, match="escapes"):
        render(svc, {"repoURL": f"oci://{registry.host}/manifests/evil", "targetRevision": "v1"})
