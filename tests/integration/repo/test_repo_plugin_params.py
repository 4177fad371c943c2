"""Config Management Plugin parameter announcements, file modes and git credentials."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest

from kaiun.repo import (
    ApplicationSource,
    CredentialStore,
    ManifestRequest,
    RenderError,
    RepoService,
    SourceError,
)
from kaiun.repo.http import RemoteRepoService, repo_server_app
from kaiun.repo.render.plugin import ConfigManagementPlugin
from tests.integration.repo.repo_testkit import GitHttpServer, GitRepo, serve_asgi

ANNOUNCING = """
apiVersion: argoproj.io/v1alpha1
kind: ConfigManagementPlugin
metadata:
  name: announcing
spec:
  generate:
    command: [sh, -c]
    args:
      - |
        printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: cm\\ndata:\\n'
        printf '  params: %s\\n' "'$ARGOCD_APP_PARAMETERS'"
        printf '  size: "%s"\\n' "$PARAM_SIZE"
        printf '  label: "%s"\\n' "$PARAM_LABELS_TEAM"
        printf '  mode: "%s"\\n' "$(stat -c %a run.sh)"
  parameters:
    static:
      - name: size
        title: How big
        tooltip: pods per region
        required: true
        string: "3"
      - name: regions
        collectionType: array
        array: [eu, us]
      - name: labels
        collectionType: map
        map: {team: core}
    dynamic:
      command: [sh, -c, "cat params.json"]
  discover:
    fileName: params.json
"""


def request(url: str, path: str = "app", **plugin: Any) -> ManifestRequest:
    source: dict[str, Any] = {"repoURL": url, "path": path}
    if plugin:
        source["plugin"] = plugin
    return ManifestRequest(source=ApplicationSource.from_dict(source), app_name="a")


@pytest.fixture
def service(tmp_path: Path) -> RepoService:
    plugin = ConfigManagementPlugin.from_yaml(ANNOUNCING)
    return RepoService(tmp_path / "w", plugins=[plugin], revision_cache_seconds=0)


def commit_app(git_repo: GitRepo) -> None:
    git_repo.commit(
        {
            "app/params.json": '[{"name": "replicas-from-repo", "string": "2", '
            '"collectionType": "string"}]',
            "app/run.sh": "#!/bin/sh\n",
        }
    )
    git_repo.git("update-index", "--chmod=+x", "app/run.sh")
    git_repo.git("commit", "-q", "-m", "exec bit")


def test_static_then_dynamic_announcements(git_repo: GitRepo, service: RepoService) -> None:
    commit_app(git_repo)
    announced = asyncio.run(service.plugin_parameters(request(git_repo.url)))
    assert announced == [
        {"name": "size", "title": "How big", "tooltip": "pods per region", "string": "3",
         "required": True},
        {"name": "regions", "collectionType": "array", "array": ["eu", "us"]},
        {"name": "labels", "collectionType": "map", "map": {"team": "core"}},
        {"name": "replicas-from-repo", "string": "2", "collectionType": "string"},
    ]  # fmt: skip
    # A source no plugin renders announces nothing.
    git_repo.commit({"plain/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"})
    assert asyncio.run(service.plugin_parameters(request(git_repo.url, "plain"))) == []


def test_announced_defaults_are_not_injected(git_repo: GitRepo, service: RepoService) -> None:
    """Only the Application's own parameters reach the plugin, as in Argo CD."""
    commit_app(git_repo)
    resp = asyncio.run(service.generate_manifest(request(git_repo.url)))
    assert resp.manifests[0]["data"]["params"] == "[]"
    assert resp.manifests[0]["data"]["size"] == ""
    params = [{"name": "size", "string": "5"}, {"name": "labels", "map": {"team": "web"}}]
    resp = asyncio.run(service.generate_manifest(request(git_repo.url, parameters=params)))
    data = resp.manifests[0]["data"]
    assert (data["size"], data["label"]) == ("5", "web")


def test_dynamic_announcement_must_be_a_json_list(git_repo: GitRepo, service: RepoService) -> None:
    git_repo.commit({"app/params.json": '{"name": "not-a-list"}'})
    with pytest.raises(SourceError, match="JSON list"):
        asyncio.run(service.plugin_parameters(request(git_repo.url)))
    git_repo.commit({"app/params.json": "[{name: oops"})
    with pytest.raises(SourceError, match="not JSON"):
        asyncio.run(service.plugin_parameters(request(git_repo.url)))


def test_static_announcement_without_name_is_refused() -> None:
    bad = ANNOUNCING.replace("      - name: size\n", "      - title: nameless\n")
    with pytest.raises(SourceError, match="needs a name"):
        ConfigManagementPlugin.from_yaml(bad)


def test_announcements_over_http(git_repo: GitRepo, service: RepoService) -> None:
    commit_app(git_repo)

    async def go(url: str) -> list[dict[str, Any]]:
        client = RemoteRepoService(url, token="t")
        try:
            return await client.plugin_parameters(request(git_repo.url))
        finally:
            await client.aclose()

    with serve_asgi(repo_server_app(service, token="t")) as url:
        announced = asyncio.run(go(url))
    assert [a["name"] for a in announced] == ["size", "regions", "labels", "replicas-from-repo"]


def test_file_modes_only_with_preserve_file_mode(git_repo: GitRepo, tmp_path: Path) -> None:
    commit_app(git_repo)
    modes = {}
    for preserve in (False, True):
        text = ANNOUNCING + f"  preserveFileMode: {str(preserve).lower()}\n"
        service = RepoService(
            tmp_path / f"w{preserve}", plugins=[ConfigManagementPlugin.from_yaml(text)]
        )
        resp = asyncio.run(service.generate_manifest(request(git_repo.url)))
        modes[preserve] = resp.manifests[0]["data"]["mode"]
    assert modes == {False: "644", True: "755"}


GIT_USER = """
apiVersion: argoproj.io/v1alpha1
kind: ConfigManagementPlugin
metadata:
  name: git-user
spec:
  generate:
    command: [sh, -c]
    args:
      - |
        head=$(git ls-remote "$ARGOCD_APP_SOURCE_REPO_URL" refs/heads/main | cut -c1-40)
        printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: cm\\ndata:\\n'
        printf '  head: "%s"\\n' "$head"
"""


def test_provide_git_creds(git_repo: GitRepo, tmp_path: Path) -> None:
    head = git_repo.commit({"app/x.txt": "x"})
    served = tmp_path / "served"
    shutil.copytree(git_repo.path / ".git", served / "app.git")
    password = "plugin-visible-token"
    with GitHttpServer(served, "git", password) as server:
        url = f"{server.base_url}/app.git"
        creds = CredentialStore.from_secrets(
            [
                {
                    "metadata": {
                        "name": "repo",
                        "labels": {"argocd.argoproj.io/secret-type": "repository"},
                    },
                    "stringData": {"url": url, "username": "git", "password": password},
                }
            ]
        )
        results = {}
        for provide in (True, False):
            text = GIT_USER + f"  provideGitCreds: {str(provide).lower()}\n"
            service = RepoService(
                tmp_path / f"w{provide}",
                credentials=creds,
                plugins=[ConfigManagementPlugin.from_yaml(text)],
            )
            try:
                resp = asyncio.run(service.generate_manifest(request(url, name="git-user")))
                results[provide] = resp.manifests[0]["data"]["head"]
            except RenderError as exc:
                assert password not in str(exc)
                results[provide] = "failed"
    assert results[True] == head
    assert results[False] in ("", "failed")
    # The per-render credential files are gone once the plugin has run.
    assert not any((tmp_path / "wTrue" / "git" / "tmp").iterdir())
