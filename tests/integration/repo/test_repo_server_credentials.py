"""``kaiun repo-server --credentials-namespace``: the separate repo-server process reads the
repository Secrets from the cluster itself and picks up new ones while running."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from kaiun.localcluster import LocalCluster
from kaiun.repo import ApplicationSource, AuthenticationError, ManifestRequest, RepoError
from kaiun.repo.http import RemoteRepoService
from tests.integration.repo.repo_testkit import GitHttpServer, GitRepo, cm
from tests.support import Kubectl, wait_for

PASSWORD = "repo-server-pw-5d1e"


def _render(url: str, repo_url: str) -> list[str]:
    async def call() -> list[str]:
        client = RemoteRepoService(url)
        try:
            req = ManifestRequest(source=ApplicationSource(repo_url=repo_url, path="app"))
            resp = await client.generate_manifest(req)
            return [m["metadata"]["name"] for m in resp.manifests]
        finally:
            await client.aclose()

    return asyncio.run(call())


def test_repo_server_reads_repository_secrets_live(
    local_cluster: LocalCluster, kubectl: Kubectl, namespace: str, tmp_path: Path
) -> None:
    origin = GitRepo(tmp_path / "origin")
    origin.commit({"app/a.yaml": cm("from-private")})
    served = tmp_path / "served"
    served.mkdir()
    shutil.copytree(origin.path / ".git", served / "app.git")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = (tmp_path / "server.log").open("w+")
    proc = subprocess.Popen(
        [sys.executable, "-c", "from kaiun.cli.main import main; main()", "repo-server",
         "--port", str(port), "--work-dir", str(tmp_path / "srv"),
         "--credentials-namespace", namespace, "--kubeconfig", str(local_cluster.kubeconfig)],
        env={k: v for k, v in os.environ.items() if k != "KAIUN_REPO_SERVER_TOKEN"},
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"

        def healthy() -> bool:
            try:
                return httpx.get(f"{url}/healthz").status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(healthy, timeout=60, what="repo-server up")
        with GitHttpServer(served, "git", PASSWORD) as git:
            repo_url = f"{git.base_url}/app.git"
            try:
                _render(url, repo_url)
                raise AssertionError("rendered a private repository without credentials")
            except AuthenticationError:
                pass
            secret = {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {
                    "name": "private",
                    "namespace": namespace,
                    "labels": {"argocd.argoproj.io/secret-type": "repository"},
                },
                "stringData": {"url": repo_url, "username": "git", "password": PASSWORD},
            }
            kubectl("apply", "-f", "-", input=json.dumps(secret))

            def rendered() -> list[str] | None:
                try:
                    return _render(url, repo_url)
                except RepoError:
                    return None

            assert wait_for(rendered, timeout=60, what="render with the Secret") == ["from-private"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.seek(0)
        output = log.read()
        log.close()
    assert PASSWORD not in output
