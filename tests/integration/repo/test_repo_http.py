"""The repo-server role over real HTTP (uvicorn on loopback) gives what in-process gives."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from kaiun.repo import (
    ApplicationSource,
    MalformedManifestError,
    ManifestRequest,
    PathEscapeError,
    RepoError,
    RepoService,
)
from kaiun.repo.http import RemoteRepoService, repo_server_app
from tests.integration.repo.repo_testkit import GitRepo, cm, serve_asgi

TOKEN = "shared-repo-server-token"


@pytest.fixture
def server_url(tmp_path: Path) -> Iterator[str]:
    service = RepoService(tmp_path / "server", revision_cache_seconds=0)
    with serve_asgi(repo_server_app(service, token=TOKEN)) as url:
        yield url


def _call(url: str, req: ManifestRequest, token: str = TOKEN) -> object:
    async def go() -> object:
        client = RemoteRepoService(url, token=token)
        try:
            return await client.generate_manifest(req)
        finally:
            await client.aclose()

    return asyncio.run(go())


def test_remote_render_equals_in_process(
    git_repo: GitRepo, server_url: str, tmp_path: Path
) -> None:
    git_repo.commit({"app/a.yaml": cm("a"), "app/b.yaml": cm("b")})
    req = ManifestRequest(source=ApplicationSource(repo_url=git_repo.url, path="app"), app_name="x")
    remote = _call(server_url, req)
    local = asyncio.run(RepoService(tmp_path / "local").generate_manifest(req))
    assert remote == local

    async def resolve() -> str:
        client = RemoteRepoService(server_url, token=TOKEN)
        try:
            return await client.resolve_revision(req.source)
        finally:
            await client.aclose()

    assert asyncio.run(resolve()) == git_repo.git("rev-parse", "HEAD")

    async def listings() -> tuple[list[str], dict[str, bytes]]:
        client = RemoteRepoService(server_url, token=TOKEN)
        try:
            _, dirs = await client.list_directories(git_repo.url, "main")
            _, files = await client.read_files(git_repo.url, "main", "app/*.yaml")
            return dirs, files
        finally:
            await client.aclose()

    dirs, files = asyncio.run(listings())
    assert dirs == ["app"]
    assert sorted(files) == ["app/a.yaml", "app/b.yaml"]
    assert files["app/a.yaml"].decode() == cm("a")


def test_errors_keep_their_type_over_http(git_repo: GitRepo, server_url: str) -> None:
    git_repo.commit({"app/bad.yaml": "kind: [x\n"})
    bad = ManifestRequest(source=ApplicationSource(repo_url=git_repo.url, path="app"))
    with pytest.raises(MalformedManifestError) as err:
        _call(server_url, bad)
    assert err.value.file == "app/bad.yaml" and err.value.line == 2
    escape = ManifestRequest(source=ApplicationSource(repo_url=git_repo.url, path="../.."))
    with pytest.raises(PathEscapeError, match="outside the repository"):
        _call(server_url, escape)


def test_token_is_required(git_repo: GitRepo, server_url: str) -> None:
    git_repo.commit({"app/a.yaml": cm("a")})
    req = ManifestRequest(source=ApplicationSource(repo_url=git_repo.url, path="app"))
    with pytest.raises(RepoError, match="unauthorized"):
        _call(server_url, req, token="wrong")
