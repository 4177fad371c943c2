"""manifest-generate-paths: a monorepo commit re-renders only the apps whose paths changed."""

from __future__ import annotations

import asyncio

import pytest

from kaiun.repo import ApplicationSource, ManifestRequest, ManifestResponse, RepoService
from kaiun.repo.generatepaths import parse_generate_paths, paths_changed
from tests.integration.repo.repo_testkit import GitRepo, cm


def req(repo: GitRepo, path: str, paths: str = ".", previous: str = "") -> ManifestRequest:
    return ManifestRequest(
        source=ApplicationSource(repo_url=repo.url, path=path, target_revision="main"),
        app_name=path.replace("/", "-"),
        manifest_generate_paths=parse_generate_paths(paths),
        previous_revision=previous,
    )


def render_all(service: RepoService, requests: list[ManifestRequest]) -> list[ManifestResponse]:
    async def go() -> list[ManifestResponse]:
        return list(await asyncio.gather(*(service.generate_manifest(r) for r in requests)))

    return asyncio.run(go())


def test_only_the_touched_app_renders_again(git_repo: GitRepo, service: RepoService) -> None:
    git_repo.commit(
        {f"apps/{n}/cm.yaml": cm(n) for n in ("a", "b", "c")} | {"shared/x.yaml": cm("x")}
    )
    requests = [
        req(git_repo, "apps/a"),
        req(git_repo, "apps/b"),
        req(git_repo, "apps/c", ".;/shared"),
    ]
    render_all(service, requests)
    assert service.render_count == 3

    second = git_repo.commit({"apps/b/cm.yaml": cm("b", v="2")})
    out = render_all(service, requests)
    assert service.render_count == 4  # only b
    assert [r.revision for r in out] == [second] * 3
    assert out[1].manifests[0]["data"] == {"v": "2"}

    third = git_repo.commit({"shared/x.yaml": cm("x", v="3")})
    out = render_all(service, requests)
    assert service.render_count == 5  # only c, which lists /shared
    assert [r.revision for r in out] == [third] * 3


def test_explicit_previous_revision(git_repo: GitRepo) -> None:
    first = git_repo.commit({"apps/a/cm.yaml": cm("a"), "docs/readme.md": "x"})
    service = RepoService(git_repo.path.parent / "svc", revision_cache_seconds=0)
    asyncio.run(service.generate_manifest(req(git_repo, "apps/a")))
    git_repo.commit({"docs/readme.md": "y"})
    fresh = RepoService(git_repo.path.parent / "svc", revision_cache_seconds=0)
    fresh.cache = service.cache  # a restarted controller with a shared (Redis-like) cache
    resp = asyncio.run(fresh.generate_manifest(req(git_repo, "apps/a", previous=first)))
    assert fresh.render_count == 0 and resp.cached


@pytest.mark.parametrize(
    ("entries", "app", "changed", "hit"),
    [
        (".", "apps/a", ["apps/a/x.yaml"], True),
        (".", "apps/a", ["apps/ab/x.yaml"], False),
        ("../common", "apps/a", ["apps/common/c.yaml"], True),
        ("/shared;.", "apps/a", ["shared/deep/y"], True),
        ("*.yaml", "apps/a", ["apps/a/k.yaml"], True),
        ("/", "apps/a", ["anything"], True),
        ("/docs", "apps/a", ["README.md"], False),
    ],
)
def test_paths_changed(entries: str, app: str, changed: list[str], hit: bool) -> None:
    assert paths_changed(parse_generate_paths(entries), app, changed) is hit
