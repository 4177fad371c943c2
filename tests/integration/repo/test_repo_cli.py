"""``kaiun repo render`` renders through the real repo server code path."""

from __future__ import annotations

from pathlib import Path

import orjson
import yaml
from click.testing import CliRunner

from kaiun.cli.main import cli
from tests.integration.repo.repo_testkit import GitRepo, chart_files, cm


def test_render_helm_with_set_as_yaml(git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.commit(chart_files("chart"))
    result = CliRunner().invoke(
        cli,
        ["repo", "render", "--repo", git_repo.url, "--revision", "main", "--path", "chart",
         "--app-name", "demo", "--helm-set", "replicaCount=6",
         "--helm-values", "values-production.yaml", "--work-dir", str(tmp_path / "w")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    docs = list(yaml.safe_load_all(result.output))
    deploy = next(d for d in docs if d["kind"] == "Deployment")
    assert deploy["metadata"]["name"] == "demo-app"
    assert deploy["spec"]["replicas"] == 6


def test_render_json_and_errors(git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.commit({"app/a.yaml": cm("a"), "k/kustomization.yaml": "resources: [d.yaml]\n",
                     "k/d.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
                     "  containers: [{name: c, image: nginx}]\n"})  # fmt: skip
    work = ["--work-dir", str(tmp_path / "w")]
    ok = CliRunner().invoke(cli, ["repo", "render", "--repo", git_repo.url, "--path", "app",
                                  "-o", "json", *work])  # fmt: skip
    assert ok.exit_code == 0
    assert [m["metadata"]["name"] for m in orjson.loads(ok.output)] == ["a"]
    img = CliRunner().invoke(cli, ["repo", "render", "--repo", git_repo.url, "--path", "k",
                                   "--kustomize-image", "nginx:1.27", *work])  # fmt: skip
    assert "image: nginx:1.27" in img.output
    bad = CliRunner().invoke(cli, ["repo", "render", "--repo", git_repo.url, "--path", "../x",
                                   *work])  # fmt: skip
    assert bad.exit_code == 1
    assert "error: application path '../x' is outside the repository" in bad.output


def test_render_jsonnet_with_ext_vars(git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.commit(
        {"j/main.jsonnet": "{apiVersion: 'v1', kind: 'ConfigMap', "
         "metadata: {name: std.extVar('name')}, data: {env: std.extVar('env')}}"}
    )  # fmt: skip
    result = CliRunner().invoke(
        cli,
        ["repo", "render", "--repo", git_repo.url, "--path", "j", "-o", "json",
         "--jsonnet-ext-var", "name=from-cli", "--jsonnet-ext-var", "env=prod",
         "--work-dir", str(tmp_path / "w")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (obj,) = orjson.loads(result.output)
    assert (obj["metadata"]["name"], obj["data"]) == ("from-cli", {"env": "prod"})


def test_repo_server_role_as_a_process(git_repo: GitRepo, tmp_path: Path) -> None:
    import asyncio
    import os
    import socket
    import subprocess
    import sys
    import time

    import httpx

    from kaiun.repo import ApplicationSource, ManifestRequest
    from kaiun.repo.http import RemoteRepoService

    git_repo.commit({"app/a.yaml": cm("served")})
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-c", "from kaiun.cli.main import main; main()", "repo-server",
         "--port", str(port), "--work-dir", str(tmp_path / "srv")],
        env={**os.environ, "KAIUN_REPO_SERVER_TOKEN": "tok"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                if httpx.get(f"{url}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)

        async def call() -> list[str]:
            client = RemoteRepoService(url, token="tok")
            try:
                req = ManifestRequest(source=ApplicationSource(repo_url=git_repo.url, path="app"))
                resp = await client.generate_manifest(req)
                return [m["metadata"]["name"] for m in resp.manifests]
            finally:
                await client.aclose()

        assert asyncio.run(call()) == ["served"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
