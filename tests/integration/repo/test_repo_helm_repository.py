"""Charts from a Helm chart repository over HTTP (index.yaml on a loopback server)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kaiun.repo import (
    ApplicationSource,
    AuthenticationError,
    CredentialStore,
    ManifestRequest,
    ManifestResponse,
    ManifestTooLargeError,
    RepoCredential,
    RepoService,
    RevisionNotFoundError,
)
from kaiun.repo.helmrepo import HelmRepos
from tests.integration.repo.repo_testkit import (
    CHART_FILES,
    GitRepo,
    StaticHttpServer,
    package_chart,
)

Render = Callable[..., ManifestResponse]


@pytest.fixture(scope="module")
def chart_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("charts")
    for name in ("my-chart", "my-app"):
        src = base / "src" / name
        for rel, text in CHART_FILES.items():
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            (src / rel).write_text(text.replace("name: my-chart", f"name: {name}"))
        package_chart(src, base / "site", ["1.0.0", "1.5.0", "1.6.0-rc.1", "2.0.0"])
    return base / "site"


@pytest.fixture
def chart_server(chart_site: Path) -> Iterator[StaticHttpServer]:
    with StaticHttpServer(chart_site, "admin", "chart-pw") as server:
        yield server


def service_for(tmp_path: Path, server: StaticHttpServer) -> RepoService:
    creds = CredentialStore.from_secrets(
        [
            {
                "metadata": {
                    "name": "charts",
                    "labels": {"argocd.argoproj.io/secret-type": "repository"},
                },
                "stringData": {
                    "type": "helm",
                    "url": server.url,
                    "username": "admin",
                    "password": "chart-pw",
                },
            }
        ]
    )
    return RepoService(tmp_path / "work", credentials=creds, revision_cache_seconds=0)


def run(service: RepoService, source: dict[str, object], **kw: object) -> ManifestResponse:
    req = ManifestRequest(source=ApplicationSource.from_dict(source), **kw)  # type: ignore[arg-type]
    return asyncio.run(service.generate_manifest(req))


def test_seed_chart_source(tmp_path: Path, chart_server: StaticHttpServer) -> None:
    """Seed §10.1: chart + version from a chart repository, value files inside the chart."""
    service = service_for(tmp_path, chart_server)
    resp = run(
        service,
        {
            "repoURL": chart_server.url,
            "chart": "my-chart",
            "targetRevision": "1.0.0",
            "helm": {
                "releaseName": "my-release",
                "valueFiles": ["values.yaml", "values-production.yaml"],
                "values": "replicaCount: 3\n",
                "parameters": [{"name": "service.type", "value": "ClusterIP"}],
                "valuesObject": {"replicaCount": 3, "resources": {"requests": {"cpu": "100m"}}},
            },
        },
        app_name="app",
    )
    assert resp.revision == "1.0.0" and resp.source_type == "Helm"
    deploy = next(m for m in resp.manifests if m["kind"] == "Deployment")
    svc = next(m for m in resp.manifests if m["kind"] == "Service")
    assert deploy["metadata"]["name"] == "my-release-app"
    assert deploy["spec"]["replicas"] == 3
    assert svc["spec"]["type"] == "ClusterIP"
    assert svc["spec"]["ports"] == [{"port": 8080}]
    assert all(auth is not None for _, auth in chart_server.requests)


def test_seed_multi_source_chart_with_values_ref(
    tmp_path: Path, chart_server: StaticHttpServer
) -> None:
    """Seed §6.2: chart from a Helm repository, value files from a git ``ref: values``."""
    values_repo = GitRepo(tmp_path / "helm-values")
    values_repo.commit(
        {
            "environments/production/values.yaml": "replicaCount: 5\n",
            "environments/production/secrets.yaml": "extra: secret-ish\n",
        }
    )
    service = service_for(tmp_path, chart_server)
    resp = run(
        service,
        {
            "repoURL": chart_server.url,
            "chart": "my-app",
            "targetRevision": "1.5.0",
            "helm": {
                "valueFiles": [
                    "$values/environments/production/values.yaml",
                    "$values/environments/production/secrets.yaml",
                ]
            },
        },
        app_name="my-app-multi-source",
        namespace="my-app",
        ref_sources={
            "values": ApplicationSource.from_dict(
                {"repoURL": values_repo.url, "targetRevision": "main", "ref": "values"}
            )
        },
    )
    deploy = next(m for m in resp.manifests if m["kind"] == "Deployment")
    assert deploy["metadata"]["namespace"] == "my-app"
    assert deploy["spec"]["replicas"] == 5
    assert deploy["metadata"]["labels"] == {"extra": "secret-ish"}


@pytest.mark.parametrize(
    ("constraint", "version"),
    [
        ("^1.0", "1.5.0"),
        ("1.x", "1.5.0"),
        ("*", "2.0.0"),
        (">=1.0.0 <1.5.0", "1.0.0"),
        ("", "2.0.0"),
    ],
)
def test_version_constraints(
    tmp_path: Path, chart_server: StaticHttpServer, constraint: str, version: str
) -> None:
    service = service_for(tmp_path, chart_server)
    source = {"repoURL": chart_server.url, "chart": "my-chart", "targetRevision": constraint}
    assert run(service, source, app_name="a").revision == version


def test_second_render_uses_cache_and_one_index_fetch(
    tmp_path: Path, chart_server: StaticHttpServer
) -> None:
    service = service_for(tmp_path, chart_server)
    service.helm_repos.index_cache_seconds = 3600
    source = {"repoURL": chart_server.url, "chart": "my-chart", "targetRevision": "^1"}
    run(service, source, app_name="a")
    assert run(service, source, app_name="a").cached
    assert service.helm_repos.index_fetch_count == 1
    downloads = [p for p, _ in chart_server.requests if p.endswith(".tgz")]
    assert len(downloads) == 1


def test_no_matching_version_and_bad_credentials(
    tmp_path: Path, chart_server: StaticHttpServer
) -> None:
    service = service_for(tmp_path, chart_server)
    with pytest.raises(RevisionNotFoundError, match="no version matching '\\^9'"):
        run(service, {"repoURL": chart_server.url, "chart": "my-chart", "targetRevision": "^9"})
    anonymous = RepoService(tmp_path / "anon", revision_cache_seconds=0)
    with pytest.raises(AuthenticationError, match="authentication failed for http://127"):
        run(
            anonymous, {"repoURL": chart_server.url, "chart": "my-chart", "targetRevision": "1.0.0"}
        )


def test_index_size_is_capped(tmp_path: Path, chart_server: StaticHttpServer) -> None:
    """CVE-2024-29893: an oversized index.yaml is refused before it is parsed."""
    creds = CredentialStore(
        [RepoCredential(url=chart_server.url, username="admin", password="chart-pw")]
    )
    repos = HelmRepos(tmp_path / "h", creds, max_index_bytes=100)
    with pytest.raises(ManifestTooLargeError, match="exceeds 100 bytes"):
        asyncio.run(repos.index(chart_server.url))


@pytest.mark.parametrize("pass_credentials", [False, True])
def test_credentials_reach_another_host_only_with_pass_credentials(
    tmp_path: Path, chart_site: Path, pass_credentials: bool
) -> None:
    """An index whose chart URLs point at another host gets the repository's credentials
    sent there only with ``helm.passCredentials`` (Helm's ``--pass-credentials``)."""
    index = tmp_path / "index-site"
    index.mkdir()
    with (
        StaticHttpServer(chart_site) as archives,
        StaticHttpServer(index, "admin", "chart-pw") as repo,
    ):
        text = (chart_site / "index.yaml").read_text()
        (index / "index.yaml").write_text(
            re.sub(r"(?m)^(\s*- )(my-chart-[^\s]+\.tgz)$", rf"\1{archives.url}/\2", text)
        )
        service = service_for(tmp_path, repo)
        helm = {"passCredentials": True} if pass_credentials else {}
        source = {"repoURL": repo.url, "chart": "my-chart", "targetRevision": "1.0.0"}
        resp = run(service, {**source, "helm": helm}, app_name="a")
    assert resp.revision == "1.0.0"
    (download,) = [(p, auth) for p, auth in archives.requests if p.endswith(".tgz")]
    assert download[0] == "/my-chart-1.0.0.tgz"
    assert (download[1] is not None) is pass_credentials
