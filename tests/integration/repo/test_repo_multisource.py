"""Multi-source Applications: ref sources, combined output, RepeatedResourceWarning."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from kaiun.repo import ManifestRequest, RepoService, SourceError
from kaiun.repo.contract import ApplicationSource
from kaiun.repo.multisource import generate_sources, requests_for_sources
from tests.integration.repo.repo_testkit import GitRepo, chart_files, cm


def test_sources_render_and_combine(git_repo: GitRepo, tmp_path: Path) -> None:
    values = GitRepo(tmp_path / "values")
    values.commit({"env/prod.yaml": "replicaCount: 4\n"})
    git_repo.commit(
        {
            **chart_files("chart"),
            "extra/cm.yaml": cm("shared", source="first"),
            "override/cm.yaml": cm("shared", source="second"),
        }
    )
    sources = [
        {
            "repoURL": git_repo.url,
            "path": "chart",
            "helm": {"valueFiles": ["$values/env/prod.yaml"]},
        },
        {"repoURL": values.url, "targetRevision": "main", "ref": "values"},
        {"repoURL": git_repo.url, "path": "extra"},
        {"repoURL": git_repo.url, "path": "override"},
    ]
    template = ManifestRequest(source=ApplicationSource(repo_url=""), app_name="multi")
    service = RepoService(tmp_path / "w", revision_cache_seconds=0)
    combined = asyncio.run(generate_sources(service, sources, template))

    assert len(combined.responses) == 3  # the pure ref source renders nothing
    assert len(set(combined.revisions)) == 1
    deploy = next(m for m in combined.manifests if m["kind"] == "Deployment")
    assert deploy["spec"]["replicas"] == 4
    shared = [m for m in combined.manifests if m["metadata"]["name"] == "shared"]
    assert shared == [shared[0]] and shared[0]["data"] == {"source": "second"}
    assert combined.warnings == [
        "RepeatedResourceWarning: ConfigMap.core shared appears in more than one source; "
        "the last one is used"
    ]


def test_ref_source_cannot_set_chart() -> None:
    template = ManifestRequest(source=ApplicationSource(repo_url=""))
    with pytest.raises(SourceError, match="cannot also set chart"):
        requests_for_sources([{"repoURL": "https://c", "chart": "x", "ref": "v"}], template)
