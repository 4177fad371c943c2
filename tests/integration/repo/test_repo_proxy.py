"""Repository ``proxy``/``noProxy``: git and Helm repositories reached through a forward proxy."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from kaiun.repo import CredentialStore, GitRepos, HelmRepos, RepoCredential
from tests.integration.repo.repo_testkit import (
    ForwardProxy,
    GitHttpServer,
    GitRepo,
    StaticHttpServer,
    cm,
)


def test_git_and_helm_index_go_through_the_proxy(git_repo: GitRepo, tmp_path: Path) -> None:
    head = git_repo.commit({"app/a.yaml": cm("a")})
    served = tmp_path / "served"
    served.mkdir()
    shutil.copytree(git_repo.path / ".git", served / "app.git")
    (tmp_path / "charts").mkdir()
    (tmp_path / "charts" / "index.yaml").write_text("apiVersion: v1\nentries: {}\n")
    with (
        ForwardProxy() as proxy,
        GitHttpServer(served) as git_server,
        StaticHttpServer(tmp_path / "charts") as charts,
    ):
        url = f"{git_server.base_url}/app.git"
        via = [
            RepoCredential(url=url, proxy=proxy.url),
            RepoCredential(url=charts.url, proxy=proxy.url),
        ]
        repos = GitRepos(tmp_path / "w", CredentialStore(via), revision_cache_seconds=0)
        assert asyncio.run(repos.resolve(url, "main")) == head
        helm = HelmRepos(tmp_path / "h", CredentialStore(via))
        assert asyncio.run(helm.index(charts.url))["entries"] == {}
        assert any("/app.git/info/refs" in p for p in proxy.relayed)
        assert any(p.endswith("/index.yaml") for p in proxy.relayed)

        relayed = len(proxy.relayed)
        direct = RepoCredential(url=url, proxy=proxy.url, no_proxy="127.0.0.1")
        bypass = GitRepos(tmp_path / "b", CredentialStore([direct]), revision_cache_seconds=0)
        assert asyncio.run(bypass.resolve(url, "main")) == head
        assert len(proxy.relayed) == relayed  # noProxy: straight to the server
