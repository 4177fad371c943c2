"""Both Helm engines (in-process SDK and a ``helm template`` process) give the same objects."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from kaiun.repo import (
    ApplicationSource,
    BinaryHelmEngine,
    ManifestRequest,
    RepoService,
    SdkHelmEngine,
)
from tests.integration.repo.repo_testkit import GitRepo, chart_files

ROOT = Path(__file__).resolve().parents[3]
HELM = shutil.which("helm") or shutil.which(str(ROOT / ".tools" / "bin" / "helm"))


@pytest.mark.skipif(HELM is None, reason="no helm binary (scripts/setup installs one)")
def test_sdk_and_binary_render_the_same_objects(git_repo: GitRepo, tmp_path: Path) -> None:
    assert HELM is not None
    git_repo.commit(chart_files("c"))
    source = {
        "repoURL": git_repo.url,
        "path": "c",
        "helm": {
            "valueFiles": ["values-production.yaml"],
            "parameters": [{"name": "extra", "value": "x,y"}],
        },
    }
    req = ManifestRequest(
        source=ApplicationSource.from_dict(source),
        app_name="parity",
        namespace="ns",
        kube_version="1.30.0",
        api_versions=("foo.example.com/v1",),
    )
    results = []
    for name, engine in (("sdk", SdkHelmEngine()), ("bin", BinaryHelmEngine(HELM))):
        service = RepoService(tmp_path / name, helm_engine=engine, revision_cache_seconds=0)
        results.append(asyncio.run(service.generate_manifest(req)))
    sdk, binary = results

    def key(m: dict[str, object]) -> str:
        return str(m["kind"]) + "/" + str(m["metadata"]["name"])  # type: ignore[index]

    assert sorted(sdk.manifests, key=key) == sorted(binary.manifests, key=key)
    assert len(sdk.manifests) == 4
    assert sdk.commands[0].startswith("helm-sdk") and binary.commands[0].startswith("helm-binary")
