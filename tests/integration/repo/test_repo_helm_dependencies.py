"""Chart dependencies declared in Chart.yaml but not vendored are fetched before rendering."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kaiun.repo import ManifestResponse, PathEscapeError
from tests.integration.repo.repo_testkit import GitRepo, StaticHttpServer, package_chart

Render = Callable[..., ManifestResponse]

SUB = {
    "Chart.yaml": "apiVersion: v2\nname: {name}\nversion: {version}\n",
    "values.yaml": "greeting: hi\n",
    "templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
    "  name: {{ .Release.Name }}-{{ .Chart.Name }}\ndata:\n  greeting: {{ .Values.greeting }}\n",
}


def write_chart(base: Path, name: str, version: str) -> Path:
    for rel, text in SUB.items():
        target = base / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text.replace("{name}", name).replace("{version}", version))
    return base


def test_file_and_http_dependencies(git_repo: GitRepo, tmp_path: Path, render: Render) -> None:
    package_chart(
        write_chart(tmp_path / "src" / "remote", "remote", "0.3.0"), tmp_path / "site", ["0.3.0"]
    )
    with StaticHttpServer(tmp_path / "site") as charts:
        git_repo.commit(
            {
                "umbrella/Chart.yaml": "apiVersion: v2\nname: umbrella\nversion: 1.0.0\n"
                "dependencies:\n"
                "- {name: local, version: 0.1.0, repository: 'file://../local'}\n"
                f"- {{name: remote, version: '^0.3', repository: '{charts.url}'}}\n",
                "umbrella/values.yaml": "remote:\n  greeting: hello-from-parent\n",
                **{f"local/{k}": v.replace("{name}", "local").replace("{version}", "0.1.0")
                   for k, v in SUB.items()},
            }
        )  # fmt: skip
        resp = render({"repoURL": git_repo.url, "path": "umbrella"}, app_name="u")
    data = {m["metadata"]["name"]: m["data"]["greeting"] for m in resp.manifests}
    assert data == {"u-local": "hi", "u-remote": "hello-from-parent"}
    assert not (git_repo.path / "umbrella" / "charts").exists()


def test_dependency_path_escaping_repo_is_refused(git_repo: GitRepo, render: Render) -> None:
    git_repo.commit(
        {
            "c/Chart.yaml": "apiVersion: v2\nname: c\nversion: 1.0.0\ndependencies:\n"
            "- {name: x, version: 1.0.0, repository: 'file://../../../../etc'}\n",
        }
    )
    with pytest.raises(PathEscapeError, match="dependency"):
        render({"repoURL": git_repo.url, "path": "c"}, app_name="c")
