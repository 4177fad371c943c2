"""Plain-manifest apps render from a checkout of their own directory; others from the full
tree (Kustomize bases, symlinks and Jsonnet imports reach outside the app's directory)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kaiun.repo import ManifestResponse, RepoService, subtree
from kaiun.repo.errors import SourceError
from tests.integration.repo.repo_testkit import GitRepo, cm, names

Render = Callable[..., ManifestResponse]


def _checkouts(service: RepoService) -> list[Path]:
    return sorted(p for p in (service.git.root / "checkouts").glob("*/*") if p.is_dir())


def test_plain_app_materializes_only_its_directory(
    git_repo: GitRepo, service: RepoService, render: Render
) -> None:
    many = {f"apps/other{i}/cm.yaml": cm(f"other{i}") for i in range(20)}
    head = git_repo.commit({**many, "apps/plain/a.yaml": cm("a"), "apps/plain/README.md": "x"})
    resp = render({"repoURL": git_repo.url, "path": "./apps/plain/", "targetRevision": "main"})
    assert names(resp) == ["ConfigMap/a"]
    assert resp.revision == head
    [only] = _checkouts(service)
    assert only.name == f"{head}.paths"
    files = sorted(str(p.relative_to(only)) for p in only.rglob("*") if p.is_file())
    assert len(files) == 2 and all("/apps/plain/" in f"/{f}" for f in files)
    # A new commit touching the app renders the new content from a new directory.
    git_repo.commit({"apps/plain/a.yaml": cm("a", key="v2")})
    again = render({"repoURL": git_repo.url, "path": "apps/plain"}, no_cache=True)
    assert again.manifests[0]["data"] == {"key": "v2"}


def test_kustomize_symlink_and_jsonnet_apps_use_the_full_tree(
    git_repo: GitRepo, service: RepoService, render: Render
) -> None:
    git_repo.commit(
        {
            "base/cm.yaml": cm("base"),
            "base/kustomization.yaml": "resources: [cm.yaml]\n",
            "over/kustomization.yaml": "resources: [../base]\nnamePrefix: p-\n",
            "lib/x.libsonnet": '{name: "fromlib"}',
            "jn/main.jsonnet": (
                'local l = import "../lib/x.libsonnet"; {apiVersion: "v1", kind: "ConfigMap",'
                " metadata: {name: l.name}}"
            ),
            "shared/s.yaml": cm("shared"),
            "linked/own.yaml": cm("own"),
        }
    )
    git_repo.symlink("linked/s.yaml", "../shared/s.yaml")
    head = git_repo.commit()
    assert names(render({"repoURL": git_repo.url, "path": "over"})) == ["ConfigMap/p-base"]
    assert names(render({"repoURL": git_repo.url, "path": "jn"})) == ["ConfigMap/fromlib"]
    linked = render({"repoURL": git_repo.url, "path": "linked"})
    assert names(linked) == ["ConfigMap/own", "ConfigMap/shared"]
    assert [p.name for p in _checkouts(service)] == [head]


def test_missing_path_still_reports_the_path(git_repo: GitRepo, render: Render) -> None:
    git_repo.commit({"apps/a/x.yaml": cm("x")})
    with pytest.raises(SourceError, match="'apps/nope' does not exist"):
        render({"repoURL": git_repo.url, "path": "apps/nope"})


def test_many_apps_at_one_commit_share_a_full_checkout(
    git_repo: GitRepo, service: RepoService, render: Render
) -> None:
    count = subtree.PER_COMMIT_LIMIT + 4
    head = git_repo.commit({f"apps/a{i}/cm.yaml": cm(f"a{i}") for i in range(count)})
    for i in range(count):
        assert names(render({"repoURL": git_repo.url, "path": f"apps/a{i}"})) == [f"ConfigMap/a{i}"]
    dirs = {p.name: p for p in _checkouts(service)}
    assert set(dirs) == {head, f"{head}.paths"}
    assert len(list(dirs[f"{head}.paths"].iterdir())) == subtree.PER_COMMIT_LIMIT
