"""Git LFS (``enableLfs`` on a repository Secret) with the real git-lfs, offline over file://."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from kaiun.repo import (
    ApplicationSource,
    CredentialStore,
    MalformedManifestError,
    ManifestRequest,
    RepoService,
)
from tests.integration.repo.repo_testkit import GitRepo

pytestmark = pytest.mark.skipif(
    shutil.which("git-lfs") is None, reason="git-lfs not installed (scripts/setup installs it)"
)
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-lfs\ndata:\n  k: v\n"


def lfs_secret(url: str, enabled: bool) -> CredentialStore:
    return CredentialStore.from_secrets(
        [
            {
                "metadata": {
                    "name": "lfs-repo",
                    "labels": {"argocd.argoproj.io/secret-type": "repository"},
                },
                "stringData": {"url": url, "enableLfs": str(enabled).lower()},
            }
        ]
    )


def test_lfs_pointers_are_smudged_only_with_enable_lfs(git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.git("lfs", "install", "--local")
    git_repo.commit({".gitattributes": "app/*.yaml filter=lfs diff=lfs merge=lfs -text\n"})
    head = git_repo.commit({"app/cm.yaml": CM})
    assert git_repo.git("show", "HEAD:app/cm.yaml").startswith("version https://git-lfs")
    source = ApplicationSource.from_dict({"repoURL": git_repo.url, "path": "app"})
    request = ManifestRequest(source=source, app_name="lfs")

    on = RepoService(tmp_path / "on", credentials=lfs_secret(git_repo.url, True))
    resp = asyncio.run(on.generate_manifest(request))
    assert resp.revision == head
    assert [m["metadata"]["name"] for m in resp.manifests] == ["from-lfs"]
    # The objects came through the mirror, which the origin no longer needs to hold.
    shutil.rmtree(git_repo.path / ".git" / "lfs")
    assert any((tmp_path / "on" / "git" / "mirrors").rglob("lfs/objects/*/*/*"))

    off = RepoService(tmp_path / "off", credentials=lfs_secret(git_repo.url, False))
    with pytest.raises(MalformedManifestError, match=r"cm\.yaml"):
        asyncio.run(off.generate_manifest(request))


def test_lfs_objects_never_land_outside_the_tree(tmp_path: Path) -> None:
    """A listing naming a path through a symlink, or out of the tree, is not followed."""
    from kaiun.repo import PathEscapeError
    from kaiun.repo.gitlfs import place_lfs_objects

    oid = "a" * 64
    store = tmp_path / "store"
    (store / "aa" / "aa").mkdir(parents=True)
    (store / "aa" / "aa" / oid).write_text("content")
    tree = tmp_path / "tree"
    (tree / "d").mkdir(parents=True)
    (tree / "d" / "pointer").write_text("version ...")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim").write_text("keep")
    (tree / "link").symlink_to(outside)

    listing = {"files": [{"name": "link/victim", "oid": oid}, {"name": "d/pointer", "oid": oid}]}
    with pytest.raises(PathEscapeError):
        place_lfs_objects(listing, store, tree)
    assert (outside / "victim").read_text() == "keep"
    with pytest.raises(PathEscapeError):
        place_lfs_objects({"files": [{"name": "../outside/victim", "oid": oid}]}, store, tree)
    assert place_lfs_objects({"files": [{"name": "d/pointer", "oid": oid}]}, store, tree) == 1
    assert (tree / "d" / "pointer").read_text() == "content"
