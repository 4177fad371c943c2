"""Argo CD's repo-server advisory classes (facts §5.1, §5.2) reproduced and refused."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from kaiun.repo import (
    ApplicationSource,
    CredentialStore,
    GitError,
    ManifestRequest,
    ManifestResponse,
    ManifestTooLargeError,
    PathEscapeError,
    RenderError,
    RenderSettings,
    RenderTimeoutError,
    RepoCredential,
    RepoService,
)
from kaiun.repo.process import run_tool
from tests.integration.repo.repo_testkit import GitRepo, chart_files, cm

Render = Callable[..., ManifestResponse]


def test_directory_symlink_to_etc_is_refused(git_repo: GitRepo, render: Render) -> None:
    """GHSA-6gcg-hp2x-q54h: a directory app with a symlink to /etc."""
    git_repo.write({"app/a.yaml": cm("a")})
    git_repo.symlink("app/etc", "/etc")
    git_repo.commit()
    with pytest.raises(PathEscapeError, match="symlink 'app/etc' points outside"):
        render({"repoURL": git_repo.url, "path": "app", "directory": {"recurse": True}})


def test_yaml_symlink_out_of_bounds_is_refused(
    git_repo: GitRepo, render: Render, tmp_path: Path
) -> None:
    """GHSA-q4w5-4gq2-98vm: a .yaml symlink to a file outside the repository."""
    secret = tmp_path / "other-app.yaml"
    secret.write_text(cm("leaked", token="TOPSECRET"))
    git_repo.write({"app/a.yaml": cm("a")})
    git_repo.symlink("app/b.yaml", "../../other-app.yaml")
    git_repo.commit()
    with pytest.raises(PathEscapeError) as err:
        render({"repoURL": git_repo.url, "path": "app"})
    assert "TOPSECRET" not in str(err.value)
    assert str(tmp_path) not in str(err.value)


def test_chart_cannot_read_outside_itself(
    git_repo: GitRepo, render: Render, tmp_path: Path
) -> None:
    """GHSA-h6h5-6fmq-rh28: a chart's templates see only the chart's own files
    (``.Files.Get`` of a path outside yields nothing), and a template symlinked out of the
    repository is refused before Helm runs, without echoing the target's content."""
    (tmp_path / "host-secret.txt").write_text("TOPSECRET")
    probe = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: probe}\ndata:\n"
        '  leak: {{ .Files.Get "../../../host-secret.txt" | quote }}\n'
        '  abs: {{ .Files.Get "/etc/hostname" | quote }}\n'
    )
    git_repo.commit({**chart_files("c"), "c/templates/probe.yaml": probe})
    out = render({"repoURL": git_repo.url, "path": "c"}, app_name="a")
    (cm_,) = [m for m in out.manifests if m["metadata"]["name"] == "probe"]
    assert cm_["data"] == {"leak": "", "abs": ""}
    git_repo.symlink("c/templates/stolen.yaml", "../../../host-secret.txt")
    git_repo.commit()
    with pytest.raises(PathEscapeError) as err:
        render({"repoURL": git_repo.url, "path": "c"}, app_name="a")
    assert "TOPSECRET" not in str(err.value)


def test_in_repo_symlink_is_fine(git_repo: GitRepo, render: Render) -> None:
    git_repo.write({"shared/a.yaml": cm("shared")})
    git_repo.symlink("app/a.yaml", "../shared/a.yaml")
    git_repo.commit()
    resp = render({"repoURL": git_repo.url, "path": "app"})
    assert [m["metadata"]["name"] for m in resp.manifests] == ["shared"]


def test_symlinked_value_file_out_of_bounds_is_refused(
    git_repo: GitRepo, render: Render, tmp_path: Path
) -> None:
    """GHSA-63qx-x74g-jcr7: value files through a symlink, even with OOB symlinks allowed."""
    (tmp_path / "secret-values.yaml").write_text("replicaCount: 99\n")
    git_repo.write(chart_files("c"))
    git_repo.symlink("c/evil.yaml", "../../secret-values.yaml")
    git_repo.commit()
    allow = RenderSettings(allow_out_of_bounds_symlinks=True)
    with pytest.raises(PathEscapeError, match=r"'evil\.yaml' resolves through a symlink"):
        render(
            {"repoURL": git_repo.url, "path": "c", "helm": {"valueFiles": ["evil.yaml"]}},
            app_name="x",
            settings=allow,
        )


@pytest.mark.parametrize("path", ["../", "../../etc", "app/../../x"])
def test_app_path_escaping_root_is_refused(git_repo: GitRepo, render: Render, path: str) -> None:
    """GHSA-r9cr-hvjj-496v: API-supplied paths validated against the repository root."""
    git_repo.commit({"app/a.yaml": cm("a")})
    with pytest.raises(PathEscapeError, match="application path"):
        render({"repoURL": git_repo.url, "path": path})


def test_absolute_app_path_stays_inside_repo(git_repo: GitRepo, render: Render) -> None:
    git_repo.commit({"app/a.yaml": cm("a")})
    resp = render({"repoURL": git_repo.url, "path": "/app"})
    assert [m["metadata"]["name"] for m in resp.manifests] == ["a"]


def test_jsonnet_import_outside_repo_is_refused(git_repo: GitRepo, render: Render) -> None:
    """GHSA-h6h5-6fmq-rh28 class: templates must not read files outside the repository."""
    git_repo.commit({"app/x.jsonnet": "importstr '/etc/passwd'"})
    with pytest.raises(PathEscapeError, match="jsonnet import '/etc/passwd'"):
        render({"repoURL": git_repo.url, "path": "app"})
    git_repo.commit({"app/x.jsonnet": "importstr '../../../../../../etc/hostname'"})
    with pytest.raises(PathEscapeError) as err:
        render({"repoURL": git_repo.url, "path": "app"})
    assert "root:" not in str(err.value)


def test_helm_file_parameter_and_kustomize_patch_escapes(git_repo: GitRepo, render: Render) -> None:
    files = chart_files("c")
    files["k/kustomization.yaml"] = "resources: [a.yaml]\n"
    files["k/a.yaml"] = cm("a")
    git_repo.commit(files)
    with pytest.raises(PathEscapeError, match="file parameter"):
        render(
            {
                "repoURL": git_repo.url,
                "path": "c",
                "helm": {"fileParameters": [{"name": "x", "path": "/../../etc/passwd"}]},
            },
            app_name="x",
        )
    with pytest.raises(PathEscapeError, match="kustomize patch"):
        render(
            {
                "repoURL": git_repo.url,
                "path": "k",
                "kustomize": {"patches": [{"path": "../../../etc/passwd"}]},
            }
        )


def test_helm_remote_value_file_scheme_not_allowed(git_repo: GitRepo, render: Render) -> None:
    git_repo.commit(chart_files("c"))
    with pytest.raises(Exception, match="scheme 'file' is not allowed"):
        render(
            {"repoURL": git_repo.url, "path": "c", "helm": {"valueFiles": ["file:///etc/passwd"]}},
            app_name="x",
        )


def test_huge_helm_output_is_refused(git_repo: GitRepo, render: Render) -> None:
    """GHSA-jhqp-vf4w-rpwq class: output size is capped, whatever the tool."""
    files = chart_files("c")
    files["c/templates/big.yaml"] = (
        "{{- range until 2000 }}\n---\napiVersion: v1\nkind: ConfigMap\n"
        "metadata: {name: 'cm-{{ . }}'}\ndata: {x: '{{ repeat 100 \"x\" }}'}\n{{- end }}\n"
    )
    git_repo.commit(files)
    with pytest.raises(ManifestTooLargeError, match="exceeds the limit of 65536 bytes"):
        render(
            {"repoURL": git_repo.url, "path": "c"},
            app_name="x",
            settings=RenderSettings(max_combined_manifest_bytes=65536),
        )


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    script = f"sleep 300 & echo $! > {pidfile}; wait"
    with pytest.raises(RenderTimeoutError, match=r"timed out after 0\.5s"):
        asyncio.run(
            run_tool(["sh", "-c", script], cwd=str(tmp_path), env={"PATH": "/usr/bin:/bin"},
                     time_limit=0.5)
        )  # fmt: skip
    child = int(pidfile.read_text())
    for _ in range(100):  # the kernel reaps the killed child asynchronously
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the renderer's child process survived the timeout")


def test_tool_output_cap(tmp_path: Path) -> None:
    with pytest.raises(ManifestTooLargeError, match="tool output exceeds"):
        asyncio.run(
            run_tool(["sh", "-c", "yes | head -c 5000000"], cwd=str(tmp_path),
                     env={"PATH": "/usr/bin:/bin"}, time_limit=10, max_output=1000)
        )  # fmt: skip


def test_tools_get_a_scrubbed_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kaiun.repo.process import base_environment

    monkeypatch.setenv("KAIUN_SERVER_SECRET", "do-not-leak")
    out = asyncio.run(
        run_tool(["env"], cwd=str(tmp_path), env=base_environment(str(tmp_path)), time_limit=10)
    )
    assert b"do-not-leak" not in out.stdout
    assert f"HOME={tmp_path}".encode() in out.stdout


def test_renderer_failure_scrubs_secrets(tmp_path: Path) -> None:
    with pytest.raises(RenderError) as err:
        asyncio.run(
            run_tool(["sh", "-c", "echo token=hunter2 >&2; exit 3"], cwd=str(tmp_path),
                     env={"PATH": "/usr/bin:/bin"}, time_limit=10, secrets=["hunter2"])
        )  # fmt: skip
    assert "hunter2" not in str(err.value)
    assert "token=***" in str(err.value)


def test_no_secret_in_logs_of_a_render(
    git_repo: GitRepo, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    git_repo.commit({"app/a.yaml": cm("a")})
    password = "hunter2-repo-password"
    url = f"file://user:{password}@{git_repo.path}"  # a password embedded in the URL
    creds = CredentialStore([RepoCredential(url=url, username="u", password=password)])
    service = RepoService(tmp_path / "w", credentials=creds, revision_cache_seconds=0)
    source = ApplicationSource(url, "app")
    asyncio.run(service.generate_manifest(ManifestRequest(source=source, app_name="logged")))
    assert "app=logged" in caplog.text and "git fetch" in caplog.text
    assert "user:***@" in caplog.text
    assert password not in caplog.text
    missing = ApplicationSource(url.replace("origin", "missing"), "app")
    with pytest.raises(GitError) as err:
        asyncio.run(service.generate_manifest(ManifestRequest(source=missing)))
    assert password not in str(err.value)


@pytest.mark.parametrize(
    "kustomization",
    [
        "resources: [../../../../../../../../etc]\n",
        "resources: [../base]\n",  # the base itself escapes
        "configMapGenerator:\n- name: x\n  files: [leak=../../../../../../etc/hostname]\n",
        "components: [/../../outside]\n",
    ],
)
def test_kustomize_references_leaving_the_repo_are_refused(
    git_repo: GitRepo, render: Render, kustomization: str
) -> None:
    git_repo.commit(
        {
            "app/kustomization.yaml": kustomization,
            "base/kustomization.yaml": "resources: [../../../../../../../../tmp]\n",
        }
    )
    with pytest.raises(PathEscapeError, match="kustomize reference"):
        render({"repoURL": git_repo.url, "path": "app"})
