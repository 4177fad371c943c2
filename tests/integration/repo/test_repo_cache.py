"""The manifest cache: hits, keys, hard refresh, single render for concurrent requests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from kaiun.repo import (
    ApplicationSource,
    MalformedManifestError,
    ManifestCache,
    ManifestRequest,
    ManifestResponse,
    RenderSettings,
    RepoService,
)
from tests.integration.repo.repo_testkit import GitRepo, cm

Render = Callable[..., ManifestResponse]


def test_second_render_of_same_commit_is_cached(
    git_repo: GitRepo, service: RepoService, render: Render
) -> None:
    git_repo.commit({"app/a.yaml": cm("a")})
    source = {"repoURL": git_repo.url, "path": "app", "targetRevision": "main"}
    first = render(source, app_name="x")
    second = render(source, app_name="x")
    assert not first.cached and second.cached
    assert second.manifests == first.manifests
    assert service.render_count == 1


def test_key_covers_source_settings_and_app(
    git_repo: GitRepo, service: RepoService, render: Render
) -> None:
    git_repo.commit({"app/a.yaml": cm("a"), "app/sub/b.yaml": cm("b")})
    source = {"repoURL": git_repo.url, "path": "app"}
    render(source, app_name="x")
    render({**source, "directory": {"recurse": True}}, app_name="x")
    render(source, app_name="y")
    render(source, app_name="x", settings=RenderSettings(max_combined_manifest_bytes=10**6))
    render(source, app_name="x", kube_version="1.30.0")
    assert service.render_count == 5
    render({**source, "repoURL": git_repo.url + "/"}, app_name="x")  # same repo
    assert service.render_count == 5


def test_new_commit_renders_again_and_hard_refresh_bypasses(
    git_repo: GitRepo, service: RepoService, render: Render
) -> None:
    git_repo.commit({"app/a.yaml": cm("a")})
    source = {"repoURL": git_repo.url, "path": "app"}
    render(source)
    git_repo.commit({"app/b.yaml": cm("b")})
    resp = render(source)
    assert [m["metadata"]["name"] for m in resp.manifests] == ["a", "b"]
    assert service.render_count == 2
    assert not render(source, no_cache=True).cached
    assert service.render_count == 3


def test_failure_keeps_last_good_manifests(
    git_repo: GitRepo, service: RepoService, render: Render
) -> None:
    good = git_repo.commit({"app/a.yaml": cm("a")})
    source = {"repoURL": git_repo.url, "path": "app"}
    render({**source, "targetRevision": good})
    git_repo.commit({"app/a.yaml": "kind: [broken\n"})
    with pytest.raises(MalformedManifestError):
        render(source)
    pinned = render({**source, "targetRevision": good})
    assert pinned.cached and pinned.manifests[0]["metadata"]["name"] == "a"


def test_identical_concurrent_requests_render_once(git_repo: GitRepo, service: RepoService) -> None:
    git_repo.commit({"app/a.yaml": cm("a")})
    req = ManifestRequest(source=ApplicationSource(repo_url=git_repo.url, path="app"))

    async def many() -> list[ManifestResponse]:
        return await asyncio.gather(*(service.generate_manifest(req) for _ in range(10)))

    responses = asyncio.run(many())
    assert service.render_count == 1
    assert all(r.manifests == responses[0].manifests for r in responses)


def test_lru_and_ttl() -> None:
    now = [0.0]
    cache = ManifestCache(max_entries=2, ttl_seconds=10, clock=lambda: now[0])
    resp = ManifestResponse(manifests=[], revision="r", source_type="Directory")

    async def scenario() -> None:
        await cache.put("a", resp)
        await cache.put("b", resp)
        assert await cache.get("a") is resp  # a is now most recent
        await cache.put("c", resp)
        assert await cache.get("b") is None and await cache.get("a") is resp
        now[0] = 11
        assert await cache.get("a") is None and len(cache) == 1

    asyncio.run(scenario())
