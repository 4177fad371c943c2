"""``kaiun repo render`` renders through the real repo server code path."""

from __future__ import annotations

from pathlib import Path

import orjson
import yaml
from click.testing import CliRunner
from repo_testkit import GitRepo, chart_files, cm

from kaiun.cli.main import cli


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
