"""Fixtures for the repo room: real git repositories and a RepoService over a temp dir."""

from __future__ import annotations

from pathlib import Path

import pytest
from repo_testkit import GitRepo

from kaiun.repo import RepoService


@pytest.fixture
def git_repo(tmp_path: Path) -> GitRepo:
    return GitRepo(tmp_path / "origin")


@pytest.fixture
def service(tmp_path: Path) -> RepoService:
    return RepoService(tmp_path / "work", revision_cache_seconds=0)
