"""Secret placeholders (seed §6.3 ``<path:secret/data/grafana#admin-password>``)."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import pytest

from kaiun.repo import ApplicationSource, ManifestRequest, RepoService, SourceError
from kaiun.repo.placeholders import KubernetesSecretBackend, SecretPlaceholderError
from tests.integration.repo.repo_testkit import GitRepo

MANIFEST = """apiVersion: v1
kind: Secret
metadata:
  name: grafana
stringData:
  admin-password: <path:secret/data/grafana#admin-password>
  url: "https://u:<path:monitoring/db#pw>@db"
  encoded: <path:monitoring/db#pw | base64encode>
  untouched: plain
"""

SECRETS = [
    {
        "metadata": {"name": "grafana", "namespace": "argocd"},
        "data": {"admin-password": base64.b64encode(b"s3cret").decode()},
    },
    {"metadata": {"name": "db", "namespace": "monitoring"}, "stringData": {"pw": "dbpw"}},
]


def request(repo: GitRepo, opt_in: bool) -> ManifestRequest:
    return ManifestRequest(
        source=ApplicationSource(repo_url=repo.url, path="app"),
        replace_secret_placeholders=opt_in,
    )


def test_placeholders_replaced_only_on_opt_in_and_never_cached(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    git_repo.commit({"app/secret.yaml": MANIFEST})
    service = RepoService(tmp_path / "w", secret_backend=KubernetesSecretBackend(SECRETS))
    plain = asyncio.run(service.generate_manifest(request(git_repo, False)))
    assert plain.manifests[0]["stringData"]["admin-password"].startswith("<path:")
    replaced = asyncio.run(service.generate_manifest(request(git_repo, True)))
    data = replaced.manifests[0]["stringData"]
    assert data == {
        "admin-password": "s3cret",
        "url": "https://u:dbpw@db",
        "encoded": base64.b64encode(b"dbpw").decode(),
        "untouched": "plain",
    }
    assert replaced.cached  # rendered once; the cache holds placeholders only
    again = asyncio.run(service.generate_manifest(request(git_repo, False)))
    assert again.manifests[0]["stringData"]["admin-password"].startswith("<path:")


def test_missing_secret_and_missing_backend(git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.commit({"app/secret.yaml": MANIFEST})
    service = RepoService(tmp_path / "w", secret_backend=KubernetesSecretBackend(SECRETS[:1]))
    with pytest.raises(SecretPlaceholderError, match=r"<path:monitoring/db#pw>: no such"):
        asyncio.run(service.generate_manifest(request(git_repo, True)))
    with pytest.raises(SourceError, match="no secret backend"):
        asyncio.run(RepoService(tmp_path / "x").generate_manifest(request(git_repo, True)))
