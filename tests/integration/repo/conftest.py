"""Fixtures for the repo room: real git repositories and a RepoService over a temp dir."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kaiun.repo import ApplicationSource, ManifestRequest, ManifestResponse, RepoService
from tests.integration.repo.repo_testkit import GitRepo


@pytest.fixture
def git_repo(tmp_path: Path) -> GitRepo:
    return GitRepo(tmp_path / "origin")


@pytest.fixture
def service(tmp_path: Path) -> RepoService:
    return RepoService(tmp_path / "work", revision_cache_seconds=0)


@pytest.fixture
def render(service: RepoService) -> Callable[..., ManifestResponse]:
    """Render a source dict (Argo CD's shape) through the service, synchronously."""

    def go(source: dict[str, Any], **request: Any) -> ManifestResponse:
        req = ManifestRequest(source=ApplicationSource.from_dict(source), **request)
        return asyncio.run(service.generate_manifest(req))

    return go
