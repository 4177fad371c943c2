"""Config Management Plugins (seed §10.3 shape) run as real processes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from kaiun.repo import (
    ApplicationSource,
    ManifestRequest,
    ManifestResponse,
    RepoService,
    SourceError,
)
from kaiun.repo.render.plugin import ConfigManagementPlugin
from tests.integration.repo.repo_testkit import GitRepo, cm

# Seed §10.3's plugin, with ``npx cdk8s synth`` replaced by a shell step that writes dist/.
SEED_LIKE = """
apiVersion: argoproj.io/v1alpha1
kind: ConfigManagementPlugin
metadata:
  name: cdk8s
spec:
  version: v1.0
  init:
    command: [sh, -c]
    args:
      - mkdir -p dist && cp cdk8s.yaml dist/synth.yaml
  generate:
    command: [sh, -c]
    args:
      - |
        cat dist/*.yaml
  discover:
    fileName: "cdk8s.yaml"
"""

ENV_ECHO = """
apiVersion: argoproj.io/v1alpha1
kind: ConfigManagementPlugin
metadata:
  name: env-echo
spec:
  generate:
    command: [sh, -c]
    args:
      - |
        cat <<EOF
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: $ARGOCD_APP_NAME
        data:
          revision: "$ARGOCD_APP_REVISION_SHORT"
          path: "$ARGOCD_APP_SOURCE_PATH"
          env: "$ARGOCD_ENV_STAGE"
          param: "$PARAM_IMAGE_TAG"
          array: "$PARAM_REGIONS_1"
          json: '$ARGOCD_APP_PARAMETERS'
        EOF
  discover:
    find:
      command: [sh, -c, "ls marker.txt 2>/dev/null"]
"""


def render(service: RepoService, source: dict[str, object], **kw: object) -> ManifestResponse:
    req = ManifestRequest(source=ApplicationSource.from_dict(source), **kw)  # type: ignore[arg-type]
    return asyncio.run(service.generate_manifest(req))


@pytest.fixture
def plugin_service(tmp_path: Path) -> RepoService:
    plugins = [
        ConfigManagementPlugin.from_yaml(SEED_LIKE),
        ConfigManagementPlugin.from_yaml(ENV_ECHO),
    ]
    return RepoService(tmp_path / "w", plugins=plugins, revision_cache_seconds=0)


def test_seed_plugin_discovered_by_file_name(
    git_repo: GitRepo, plugin_service: RepoService
) -> None:
    git_repo.commit({"app/cdk8s.yaml": cm("synth")})
    resp = render(plugin_service, {"repoURL": git_repo.url, "path": "app"})
    assert resp.source_type == "Plugin"
    assert [m["metadata"]["name"] for m in resp.manifests] == ["synth"]
    assert resp.commands == ("cdk8s-v1.0 init", "cdk8s-v1.0 generate")
    checkout = plugin_service.git.root / "checkouts"
    assert not list(checkout.rglob("dist")), "the plugin wrote into the shared checkout"


def test_named_plugin_gets_env_and_parameters(
    git_repo: GitRepo, plugin_service: RepoService
) -> None:
    head = git_repo.commit({"svc/readme.txt": "x"})
    resp = render(
        plugin_service,
        {
            "repoURL": git_repo.url,
            "path": "svc",
            "plugin": {
                "name": "env-echo",
                "env": [{"name": "STAGE", "value": "prod"}],
                "parameters": [
                    {"name": "image-tag", "string": "v1"},
                    {"name": "regions", "array": ["eu", "us"]},
                ],
            },
        },
        app_name="echo",
    )
    data = resp.manifests[0]["data"]
    assert resp.manifests[0]["metadata"]["name"] == "echo"
    assert data["revision"] == head[:7]
    assert data["path"] == "svc"
    assert data["env"] == "prod"
    assert data["param"] == "v1"
    assert data["array"] == "us"
    assert '"image-tag"' in data["json"]


def test_discovery_by_command_and_precedence(
    git_repo: GitRepo, plugin_service: RepoService
) -> None:
    git_repo.commit({"m/marker.txt": "", "m/kustomization.yaml": "resources: []\n"})
    resp = render(plugin_service, {"repoURL": git_repo.url, "path": "m"}, app_name="found")
    assert resp.source_type == "Plugin"  # plugin discovery runs before kustomize detection
    resp = render(plugin_service, {"repoURL": git_repo.url, "path": "m", "kustomize": {}})
    assert resp.source_type == "Kustomize"


def test_unknown_plugin_name(git_repo: GitRepo, plugin_service: RepoService) -> None:
    git_repo.commit({"a/x.txt": ""})
    with pytest.raises(SourceError, match="plugin 'nope' is not configured"):
        render(plugin_service, {"repoURL": git_repo.url, "path": "a", "plugin": {"name": "nope"}})


# Each render marks itself started, waits (up to 1.5 s) until two renders have started, and
# reports whether they had: overlapping renders both see two, serialized ones see one, then
# (the second) two.
RENDEZVOUS = """
apiVersion: argoproj.io/v1alpha1
kind: ConfigManagementPlugin
metadata:
  name: rendezvous
spec:
  generate:
    command: [sh, -c]
    args:
      - |
        d="$ARGOCD_ENV_MARKS"
        touch "$d/started-$ARGOCD_APP_NAME"
        met=no; i=0
        while [ $i -lt 15 ]; do
          if [ "$(ls "$d" | grep -c '^started-')" -ge 2 ]; then met=yes; break; fi
          sleep 0.1; i=$((i+1))
        done
        printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata: {name: %s}\\ndata: {met: "%s"}\\n' \\
          "$ARGOCD_APP_NAME" "$met"
"""


@pytest.mark.parametrize("allow", [False, True])
def test_renders_of_one_plugin_path_overlap_only_with_allow_concurrency(
    git_repo: GitRepo, tmp_path: Path, allow: bool
) -> None:
    files = {"app/x.txt": ""}
    if allow:
        files["app/.argocd-allow-concurrency"] = ""
    git_repo.commit(files)
    marks = tmp_path / "marks"
    marks.mkdir()
    service = RepoService(
        tmp_path / "w",
        plugins=[ConfigManagementPlugin.from_yaml(RENDEZVOUS)],
        revision_cache_seconds=60,
    )

    def request(app: str) -> ManifestRequest:
        plugin = {"name": "rendezvous", "env": [{"name": "MARKS", "value": str(marks)}]}
        source = {"repoURL": git_repo.url, "path": "app", "plugin": plugin}
        return ManifestRequest(source=ApplicationSource.from_dict(source), app_name=app)

    async def both() -> list[ManifestResponse]:
        return list(
            await asyncio.gather(*(service.generate_manifest(request(a)) for a in ("a", "b")))
        )

    met = sorted(r.manifests[0]["data"]["met"] for r in asyncio.run(both()))
    assert met == (["yes", "yes"] if allow else ["no", "yes"])


@pytest.mark.parametrize("parallelism", [1, 2])
def test_parallelism_limit_bounds_concurrent_renders(
    git_repo: GitRepo, tmp_path: Path, parallelism: int
) -> None:
    """``parallelism`` (Argo CD's ``--parallelismlimit``) bounds renders of different apps
    too: with 1, two apps that would run together render one after the other."""
    git_repo.commit({f"{p}/.argocd-allow-concurrency": "" for p in ("one", "two")})
    marks = tmp_path / "marks"
    marks.mkdir()
    service = RepoService(
        tmp_path / "w",
        plugins=[ConfigManagementPlugin.from_yaml(RENDEZVOUS)],
        revision_cache_seconds=60,
        parallelism=parallelism,
    )

    def request(path: str) -> ManifestRequest:
        plugin = {"name": "rendezvous", "env": [{"name": "MARKS", "value": str(marks)}]}
        source = {"repoURL": git_repo.url, "path": path, "plugin": plugin}
        return ManifestRequest(source=ApplicationSource.from_dict(source), app_name=path)

    async def both() -> list[ManifestResponse]:
        return list(
            await asyncio.gather(*(service.generate_manifest(request(p)) for p in ("one", "two")))
        )

    met = sorted(r.manifests[0]["data"]["met"] for r in asyncio.run(both()))
    assert met == (["no", "yes"] if parallelism == 1 else ["yes", "yes"])


def test_discovery_by_find_glob(git_repo: GitRepo, tmp_path: Path) -> None:
    by_glob = ConfigManagementPlugin.from_yaml(
        ENV_ECHO.replace("name: env-echo", "name: by-glob").replace(
            'command: [sh, -c, "ls marker.txt 2>/dev/null"]', 'glob: "**/*.cue"'
        )
    )
    service = RepoService(tmp_path / "w", plugins=[by_glob], revision_cache_seconds=0)
    git_repo.commit({"cue/deep/x.cue": "", "plain/cm.yaml": cm("plain")})
    found = render(service, {"repoURL": git_repo.url, "path": "cue"}, app_name="cue-app")
    assert (found.source_type, found.manifests[0]["metadata"]["name"]) == ("Plugin", "cue-app")
    plain = render(service, {"repoURL": git_repo.url, "path": "plain"})
    assert (plain.source_type, [m["metadata"]["name"] for m in plain.manifests]) == (
        "Directory",
        ["plain"],
    )


BUILD_ENV = (
    "ARGOCD_APP_NAME", "ARGOCD_APP_NAMESPACE", "ARGOCD_APP_PROJECT_NAME", "ARGOCD_APP_REVISION",
    "ARGOCD_APP_REVISION_SHORT", "ARGOCD_APP_REVISION_SHORT_8", "ARGOCD_APP_SOURCE_PATH",
    "ARGOCD_APP_SOURCE_REPO_URL", "ARGOCD_APP_SOURCE_TARGET_REVISION", "KUBE_VERSION",
    "KUBE_API_VERSIONS",
)  # fmt: skip


def test_plugin_gets_the_whole_build_environment(git_repo: GitRepo, tmp_path: Path) -> None:
    lines = "".join(f'          {v}: "${v}"\n' for v in BUILD_ENV)
    plugin = ConfigManagementPlugin.from_yaml(
        "apiVersion: argoproj.io/v1alpha1\nkind: ConfigManagementPlugin\n"
        "metadata: {name: build-env}\nspec:\n  generate:\n    command: [sh, -c]\n"
        "    args:\n      - |\n        cat <<EOF\n        apiVersion: v1\n        kind: ConfigMap\n"
        "        metadata: {name: env}\n        data:\n" + lines + "        EOF\n"
    )
    service = RepoService(tmp_path / "w", plugins=[plugin], revision_cache_seconds=0)
    head = git_repo.commit({"app/x.txt": ""})
    resp = render(
        service,
        {"repoURL": git_repo.url, "path": "app", "targetRevision": "main",
         "plugin": {"name": "build-env"}},
        app_name="guestbook", namespace="web", project="team",
        kube_version="1.30.2", api_versions=("apps/v1", "batch/v1"),
    )  # fmt: skip
    assert resp.manifests[0]["data"] == {
        "ARGOCD_APP_NAME": "guestbook",
        "ARGOCD_APP_NAMESPACE": "web",
        "ARGOCD_APP_PROJECT_NAME": "team",
        "ARGOCD_APP_REVISION": head,
        "ARGOCD_APP_REVISION_SHORT": head[:7],
        "ARGOCD_APP_REVISION_SHORT_8": head[:8],
        "ARGOCD_APP_SOURCE_PATH": "app",
        "ARGOCD_APP_SOURCE_REPO_URL": git_repo.url,
        "ARGOCD_APP_SOURCE_TARGET_REVISION": "main",
        "KUBE_VERSION": "1.30.2",
        "KUBE_API_VERSIONS": "apps/v1,batch/v1",
    }
