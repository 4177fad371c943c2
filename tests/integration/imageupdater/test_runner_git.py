"""Git write-back through a real git server (smart HTTP via ``git http-backend``, basic auth):
commits with the configured author and message, formatting kept, write branches and pull
requests against loopback GitHub and GitLab APIs."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kaiun.localcluster import LocalCluster
from tests.integration.imageupdater.runner_kit import (
    PREFIX,
    application,
    apply,
    b64,
    forge,
    get_app,
    install,
    registries_conf,
    run_once,
    status_record,
)
from tests.integration.repo.repo_testkit import GitHttpServer
from tests.registry_kit import Registry
from tests.support import Kubectl

REPO = "team/api"
GIT_USER, GIT_PASSWORD = "bot", "git-pw-123"
KUSTOMIZATION = """\
# managed by hand; the updater must keep this comment
resources:
  - deployment.yaml
images:
  - name: api   # the manifests say "api"
    newName: {image}
    newTag: "1.0.0"
"""
VALUES = """\
replicas: 2
image:
  # pinned by the platform team
  repository: {image}
  tag: '1.0.0'
"""


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    reg = Registry(tmp_path_factory.mktemp("reg-git"))
    reg.start()
    push = reg.pusher()
    for tag in ("1.0.0", "1.3.0"):
        push.image(REPO, tag, created="2024-01-01T00:00:00Z")
    try:
        yield reg
    finally:
        reg.stop()


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def server(tmp_path: Path, registry: Registry) -> Iterator[tuple[GitHttpServer, Path]]:
    image = f"{registry.host}/{REPO}"
    root = tmp_path / "srv"
    bare = root / "team" / "config.git"
    bare.mkdir(parents=True)
    git(bare, "init", "--quiet", "--bare", "--initial-branch=main")
    work = tmp_path / "seed"
    work.mkdir()
    git(work, "init", "--quiet", "--initial-branch=main")
    (work / "app").mkdir()
    (work / "app" / "kustomization.yaml").write_text(KUSTOMIZATION.format(image=image))
    (work / "app" / "deployment.yaml").write_text("kind: Deployment\n")
    (work / "chart").mkdir()
    (work / "chart" / "values.yaml").write_text(VALUES.format(image=image))
    git(work, "add", "-A")
    git(work, "-c", "user.name=seed", "-c", "user.email=s@x", "commit", "--quiet", "-m", "seed")
    git(work, "push", "--quiet", str(bare), "main")
    with GitHttpServer(root, GIT_USER, GIT_PASSWORD) as srv:
        yield srv, bare


@pytest.fixture
def control(local_cluster: LocalCluster, kubectl: Kubectl, registry: Registry) -> str:
    ns = f"iug-{uuid.uuid4().hex[:8]}"
    install(local_cluster, ns)
    registries_conf(
        kubectl, ns, registry.host,
        **{"git.user": "Image Bot", "git.email": "bot@example.com",
           "git.commit-message-template": "chore({{ .AppName }}): bump\n{{ range .AppChanges }}"
           "{{ .Image }} {{ .OldTag }} -> {{ .NewTag }}\n{{ end }}"},
    )  # fmt: skip
    apply(kubectl, {"apiVersion": "v1", "kind": "Secret",
                    "metadata": {"name": "gitcreds", "namespace": ns},
                    "data": {"username": b64(GIT_USER),
                             "password": b64(GIT_PASSWORD)}})  # fmt: skip
    return ns


def _app(
    ns: str, url: str, registry: Registry, *, path: str, kind: str, **ann: str
) -> dict[str, Any]:
    source: dict[str, Any] = {"repoURL": url, "path": path, "targetRevision": "main"}
    source["kustomize" if kind == "Kustomize" else "helm"] = {}
    return application(
        "api", ns, source=source, source_type=kind,
        annotations={PREFIX + "image-list": f"api={registry.host}/{REPO}:1.x",
                     PREFIX + "write-back-method": f"git:secret:{ns}/gitcreds", **ann},
        images=[f"{registry.host}/{REPO}:1.0.0"],
    )  # fmt: skip


def _show(bare: Path, ref: str, path: str) -> str:
    return git(bare, "show", f"{ref}:{path}")


def test_kustomization_target_commits_with_author_message_and_formatting(
    local_cluster: LocalCluster, kubectl: Kubectl, registry: Registry, control: str,
    server: tuple[GitHttpServer, Path],
) -> None:  # fmt: skip
    srv, bare = server
    url = srv.base_url + "/team/config.git"
    apply(kubectl, _app(control, url, registry, path="app", kind="Kustomize",
                        **{PREFIX + "write-back-target": "kustomization"}))  # fmt: skip
    run_once(local_cluster, control)
    image = f"{registry.host}/{REPO}"
    assert _show(bare, "main", "app/kustomization.yaml") == KUSTOMIZATION.format(
        image=image).replace('newTag: "1.0.0"', 'newTag: "1.3.0"')  # fmt: skip
    author = git(bare, "log", "-1", "--format=%an <%ae>|%cn", "main").strip()
    assert author == "Image Bot <bot@example.com>|Image Bot"
    message = git(bare, "log", "-1", "--format=%B", "main").strip()
    assert message == f"chore(api): bump\n{image} 1.0.0 -> 1.3.0"
    app = get_app(kubectl, control, "api")
    rec = status_record(app)
    wb = rec["writeBack"]
    assert wb["branch"] == "main"
    assert wb["commit"] == git(bare, "rev-parse", "main").strip()
    assert "app/kustomization.yaml images[api] (the override that wins" in wb["where"]
    assert app["spec"]["source"]["kustomize"] == {}
    # Not deployed yet (the summary still says 1.0.0): the next cycle does not push again.
    head = git(bare, "rev-parse", "main")
    (outcome,) = run_once(local_cluster, control)
    assert git(bare, "rev-parse", "main") == head
    assert outcome.record["writeBack"]["note"].startswith("already pushed in ")


def test_helmvalues_target_keeps_comments_and_quotes(
    local_cluster: LocalCluster, kubectl: Kubectl, registry: Registry, control: str,
    server: tuple[GitHttpServer, Path],
) -> None:  # fmt: skip
    srv, bare = server
    url = srv.base_url + "/team/config.git"
    apply(kubectl, _app(control, url, registry, path="chart", kind="Helm", **{
        PREFIX + "write-back-target": "helmvalues:values.yaml",
        PREFIX + "api.helm.image-name": "image.repository",
        PREFIX + "api.helm.image-tag": "image.tag",
    }))  # fmt: skip
    run_once(local_cluster, control)
    image = f"{registry.host}/{REPO}"
    expected = VALUES.format(image=image).replace("tag: '1.0.0'", "tag: '1.3.0'")
    assert _show(bare, "main", "chart/values.yaml") == expected


def test_default_target_writes_argocd_source_file(
    local_cluster: LocalCluster, kubectl: Kubectl, registry: Registry, control: str,
    server: tuple[GitHttpServer, Path],
) -> None:  # fmt: skip
    srv, bare = server
    apply(kubectl, _app(control, srv.base_url + "/team/config.git", registry, path="chart",
                        kind="Helm"))  # fmt: skip
    run_once(local_cluster, control)
    text = _show(bare, "main", "chart/.argocd-source-api.yaml")
    assert "value: '1.3.0'" in text or "value: 1.3.0" in text
    assert "forceString: true" in text


def test_wrong_git_password_is_recorded_and_pushes_nothing(
    local_cluster: LocalCluster, kubectl: Kubectl, registry: Registry, control: str,
    server: tuple[GitHttpServer, Path],
) -> None:  # fmt: skip
    srv, bare = server
    before = git(bare, "rev-parse", "main")
    apply(kubectl, {"apiVersion": "v1", "kind": "Secret",
                    "metadata": {"name": "gitcreds", "namespace": control},
                    "data": {"username": b64(GIT_USER), "password": b64("wrong-pw")}})  # fmt: skip
    apply(kubectl, _app(control, srv.base_url + "/team/config.git", registry, path="chart",
                        kind="Helm"))  # fmt: skip
    run_once(local_cluster, control)
    assert git(bare, "rev-parse", "main") == before
    rec = status_record(get_app(kubectl, control, "api"))
    assert any("write-back failed, nothing changed: git clone failed" in e for e in rec["errors"])
    assert "wrong-pw" not in str(rec)


@pytest.mark.parametrize("kind", ["github", "gitlab"])
def test_pull_request_is_opened_from_a_write_branch(
    local_cluster: LocalCluster, kubectl: Kubectl, registry: Registry, control: str,
    server: tuple[GitHttpServer, Path], kind: str,
) -> None:  # fmt: skip
    srv, bare = server
    with forge(kind) as api:
        apply(kubectl, _app(control, srv.base_url + "/team/config.git", registry, path="app",
                            kind="Kustomize", **{
            PREFIX + "write-back-target": "kustomization",
            PREFIX + "git-branch": "main:image-updater/{{.AppName}}-{{.SHA256 | trunc 8}}",
            "kaiun.io/image-updater-pull-request": kind,
            "kaiun.io/image-updater-pull-request-api": api.url,
        }))  # fmt: skip
        run_once(local_cluster, control)
    rec = status_record(get_app(kubectl, control, "api"))
    branch = rec["writeBack"]["branch"]
    assert branch.startswith("image-updater/api-") and len(branch) == len("image-updater/api-") + 8
    assert "1.3.0" in _show(bare, branch, "app/kustomization.yaml")
    assert "1.0.0" in _show(bare, "main", "app/kustomization.yaml")
    (req,) = api.requests
    assert req["method"] == "POST"
    if kind == "github":
        assert req["path"] == "/repos/team/config/pulls"
        assert req["headers"]["Authorization"] == f"Bearer {GIT_PASSWORD}"
        assert req["body"]["head"] == branch and req["body"]["base"] == "main"
        assert req["body"]["title"] == "chore(api): bump"
        assert rec["writeBack"]["pullRequest"] == "https://github.example/team/config/pull/7"
    else:
        assert req["path"] == "/api/v4/projects/team%2Fconfig/merge_requests"
        assert req["headers"]["PRIVATE-TOKEN"] == GIT_PASSWORD
        body = req["body"]
        assert (body["source_branch"], body["target_branch"]) == (branch, "main")
        assert body["title"] == "chore(api): bump"
        assert "1.0.0 -> 1.3.0" in body["description"]
        assert rec["writeBack"]["pullRequest"].endswith("/merge_requests/3")


def test_repocreds_uses_argo_cds_repository_secret(
    local_cluster: LocalCluster, kubectl: Kubectl, registry: Registry, control: str,
    server: tuple[GitHttpServer, Path],
) -> None:  # fmt: skip
    srv, bare = server
    url = srv.base_url + "/team/config.git"
    apply(kubectl, {"apiVersion": "v1", "kind": "Secret",
                    "metadata": {"name": "repo-config", "namespace": control,
                                 "labels": {"argocd.argoproj.io/secret-type": "repository"}},
                    "data": {"url": b64(url), "username": b64(GIT_USER),
                             "password": b64(GIT_PASSWORD)}})  # fmt: skip
    before = git(bare, "rev-parse", "main")
    apply(kubectl, _app(control, url, registry, path="chart", kind="Helm",
                        **{PREFIX + "write-back-method": "git:repocreds"}))  # fmt: skip
    run_once(local_cluster, control)
    assert git(bare, "rev-parse", "main") != before
    assert "1.3.0" in _show(bare, "main", "chart/.argocd-source-api.yaml")
