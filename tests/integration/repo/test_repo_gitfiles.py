"""Directory and file listings for the ApplicationSet git generators."""

from __future__ import annotations

import asyncio

import pytest

from kaiun.repo import PathEscapeError, RepoService
from kaiun.repo.gitfiles import match_path
from tests.integration.repo.repo_testkit import GitRepo


def test_directories_and_files(git_repo: GitRepo, service: RepoService) -> None:
    head = git_repo.commit(
        {
            "apps/a/config.json": '{"name": "a"}',
            "apps/b/config.json": '{"name": "b"}',
            "apps/b/deep/config.json": '{"name": "deep"}',
            ".github/ci.yaml": "x",
        }
    )
    commit, dirs = asyncio.run(service.list_directories(git_repo.url, "main"))
    assert commit == head
    assert dirs == ["apps", "apps/a", "apps/b", "apps/b/deep"]
    _, files = asyncio.run(service.read_files(git_repo.url, "main", "apps/*/config.json"))
    assert files == {"apps/a/config.json": b'{"name": "a"}', "apps/b/config.json": b'{"name": "b"}'}
    _, everywhere = asyncio.run(service.read_files(git_repo.url, "main", "**/config.json"))
    assert sorted(everywhere) == [
        "apps/a/config.json",
        "apps/b/config.json",
        "apps/b/deep/config.json",
    ]


def test_listing_refuses_escaping_symlinks(git_repo: GitRepo, service: RepoService) -> None:
    git_repo.symlink("apps/x/config.json", "/etc/hostname")
    git_repo.commit()
    with pytest.raises(PathEscapeError):
        asyncio.run(service.read_files(git_repo.url, "main", "apps/*/config.json"))


@pytest.mark.parametrize(
    ("pattern", "path", "hit"),
    [
        ("apps/*", "apps/a", True),
        ("apps/*", "apps/a/b", False),
        ("apps/**", "apps/a/b", True),
        ("**/c.json", "c.json", True),
        ("a/**/c.json", "a/x/y/c.json", True),
    ],
)
def test_match_path(pattern: str, path: str, hit: bool) -> None:
    assert match_path(pattern, path) is hit
