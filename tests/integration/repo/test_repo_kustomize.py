"""Kustomize sources through the real ``kubectl kustomize`` (seed §6.4 / §10.2)."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from kaiun.repo import (
    ApplicationSource,
    AuthenticationError,
    CredentialStore,
    KustomizeVersion,
    ManifestRequest,
    ManifestResponse,
    PathEscapeError,
    RenderError,
    RenderSettings,
    RepoService,
    SourceError,
    ToolDisabledError,
)
from kaiun.repo.render.kustomize import parse_image
from tests.integration.repo.repo_testkit import GitRepo, StaticHttpServer, names, package_chart

Render = Callable[..., ManifestResponse]

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: my-app
spec:
  replicas: 1
  selector:
    matchLabels: {app: my-app}
  template:
    metadata:
      labels: {app: my-app}
    spec:
      containers:
      - name: app
        image: my-app:latest
"""


@pytest.fixture
def kustomize_repo(git_repo: GitRepo) -> GitRepo:
    git_repo.commit(
        {
            "base/kustomization.yaml": "resources: [deployment.yaml, service.yaml]\n",
            "base/deployment.yaml": DEPLOYMENT,
            "base/service.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: my-app\n"
            "spec:\n  selector: {app: my-app}\n  ports: [{port: 80}]\n",
            "overlays/production/kustomization.yaml": "resources: [../../base]\n"
            "patches:\n- path: replicas.yaml\n",
            "overlays/production/replicas.yaml": "apiVersion: apps/v1\nkind: Deployment\n"
            "metadata: {name: my-app}\nspec: {replicas: 2}\n",
            "components/monitoring/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/"
            "v1alpha1\nkind: Component\ncommonAnnotations: {monitored: 'true'}\n",
            "patches/res.yaml": "- op: add\n  path: /spec/template/spec/containers/0/resources\n"
            "  value: {limits: {cpu: 500m}}\n",
        }
    )
    return git_repo


def test_seed_example_overrides(kustomize_repo: GitRepo, render: Render) -> None:
    resp = render(
        {
            "repoURL": kustomize_repo.url,
            "targetRevision": "main",
            "path": "overlays/production",
            "kustomize": {
                "images": ["my-app=registry.example.com/my-app:v1.2.3"],
                "commonLabels": {"app.kubernetes.io/managed-by": "argocd"},
                "commonAnnotations": {"team": "platform-engineering"},
                "namePrefix": "prod-",
                "namespace": "production",
            },
        },
        app_name="my-kustomize-app",
    )
    assert resp.source_type == "Kustomize"
    assert sorted(names(resp)) == ["Deployment/prod-my-app", "Service/prod-my-app"]
    deploy = next(m for m in resp.manifests if m["kind"] == "Deployment")
    assert deploy["metadata"]["namespace"] == "production"
    assert deploy["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "argocd"}
    assert deploy["metadata"]["annotations"] == {"team": "platform-engineering"}
    assert deploy["spec"]["replicas"] == 2  # the overlay's own patch still applies
    assert deploy["spec"]["selector"]["matchLabels"]["app.kubernetes.io/managed-by"] == "argocd"
    container = deploy["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "registry.example.com/my-app:v1.2.3"


def test_replicas_patches_and_components(kustomize_repo: GitRepo, render: Render) -> None:
    resp = render(
        {
            "repoURL": kustomize_repo.url,
            "path": "overlays/production",
            "kustomize": {
                "nameSuffix": "-x",
                "replicas": [{"name": "my-app", "count": 5}],
                "patches": [
                    {"path": "../../patches/res.yaml", "target": {"kind": "Deployment"}},
                    {
                        "patch": "- op: add\n  path: /metadata/labels\n  value: {patched: inline}",
                        "target": {"kind": "Service"},
                    },
                ],
                "components": ["../../components/monitoring"],
            },
        }
    )
    deploy = next(m for m in resp.manifests if m["kind"] == "Deployment")
    service = next(m for m in resp.manifests if m["kind"] == "Service")
    assert deploy["metadata"]["name"] == "my-app-x"
    assert deploy["spec"]["replicas"] == 5
    assert deploy["spec"]["template"]["spec"]["containers"][0]["resources"] == {
        "limits": {"cpu": "500m"}
    }
    assert service["metadata"]["labels"] == {"patched": "inline"}
    assert deploy["metadata"]["annotations"] == {"monitored": "true"}


def test_plain_build_detected_and_checkout_untouched(
    kustomize_repo: GitRepo, render: Render
) -> None:
    resp = render({"repoURL": kustomize_repo.url, "path": "overlays/production"})
    assert resp.source_type == "Kustomize"
    assert resp.commands[0].startswith(("kubectl kustomize", "kustomize build"))
    assert kustomize_repo.git("status", "--porcelain") == ""


def test_build_error_is_a_render_error(git_repo: GitRepo, render: Render) -> None:
    git_repo.commit({"app/kustomization.yaml": "resources: [missing.yaml]\n"})
    with pytest.raises(RenderError, match=r"missing\.yaml"):
        render({"repoURL": git_repo.url, "path": "app"})


def test_disabled_kustomize_falls_back_to_directory_or_refuses(
    kustomize_repo: GitRepo, render: Render
) -> None:
    off = RenderSettings(kustomize_enabled=False)
    with pytest.raises(ToolDisabledError, match="Kustomize is disabled"):
        render({"repoURL": kustomize_repo.url, "path": "base", "kustomize": {}}, settings=off)
    resp = render({"repoURL": kustomize_repo.url, "path": "base"}, settings=off)
    assert resp.source_type == "Directory"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("my-app=registry.example.com/my-app:v1.2.3",
         {"name": "my-app", "newName": "registry.example.com/my-app", "newTag": "v1.2.3"}),
        ("nginx:1.25", {"name": "nginx", "newTag": "1.25"}),
        ("my-app=my-app:v2", {"name": "my-app", "newTag": "v2"}),
        ("localhost:5000/app=localhost:5000/app2",
         {"name": "localhost:5000/app", "newName": "localhost:5000/app2"}),
        ("app@sha256:abc123", {"name": "app", "digest": "sha256:abc123"}),
        ("app=other@sha256:abc123", {"name": "app", "newName": "other", "digest": "sha256:abc123"}),
    ],
)  # fmt: skip
def test_parse_image(spec: str, expected: dict[str, str]) -> None:
    assert parse_image(spec) == expected


def test_label_without_selector_and_annotation_envsubst(
    kustomize_repo: GitRepo, render: Render
) -> None:
    resp = render(
        {
            "repoURL": kustomize_repo.url,
            "path": "base",
            "kustomize": {
                "commonLabels": {"team": "a"},
                "labelWithoutSelector": True,
                "commonAnnotations": {"app": "${ARGOCD_APP_NAME}", "ns": "$ARGOCD_APP_NAMESPACE"},
                "commonAnnotationsEnvsubst": True,
            },
        },
        app_name="guestbook",
        namespace="web",
    )
    deploy = next(m for m in resp.manifests if m["kind"] == "Deployment")
    assert deploy["metadata"]["labels"] == {"team": "a"}
    assert deploy["spec"]["selector"]["matchLabels"] == {"app": "my-app"}
    assert deploy["metadata"]["annotations"] == {"app": "guestbook", "ns": "web"}


ROOT = Path(__file__).resolve().parents[3]
HELM = shutil.which("helm") or shutil.which(str(ROOT / ".tools" / "bin" / "helm"))
CHART = {
    "app/charts/greeter/Chart.yaml": "apiVersion: v2\nname: greeter\nversion: 0.1.0\n",
    "app/charts/greeter/values.yaml": "greeting: hi\n",
    "app/charts/greeter/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
    "  name: {{ .Release.Name }}-cm\ndata:\n  greeting: {{ .Values.greeting }}\n"
    '  kube: "{{ .Capabilities.KubeVersion.Version }}"\n'
    '  hasMonitoring: "{{ .Capabilities.APIVersions.Has "monitoring.coreos.com/v1" }}"\n',
    "app/values-prod.yaml": "greeting: from-file\n",
    "app/kustomization.yaml": "helmCharts:\n- name: greeter\n  releaseName: rel\n"
    "  valuesFile: values-prod.yaml\n"
    "namePrefix: k-\n",
}


def _greeter_source(tmp_path: Path) -> Path:
    """The greeter chart of ``CHART`` as a chart directory of its own."""
    chart_src = tmp_path / "chart-src"
    for rel, text in CHART.items():
        if rel.startswith("app/charts/greeter/"):
            target = chart_src / rel.removeprefix("app/charts/greeter/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
    return chart_src


@pytest.mark.skipif(HELM is None, reason="no helm binary (scripts/setup installs one)")
def test_enable_helm_inflates_helm_charts(git_repo: GitRepo, tmp_path: Path) -> None:
    """argocd-cm ``kustomize.buildOptions: --enable-helm``: kustomize runs our helm binary,
    with the app's kube and API versions, and writes nothing into the shared checkout."""
    git_repo.commit(CHART)
    service = RepoService(tmp_path / "work", helm_binary=HELM)
    settings = RenderSettings(kustomize_build_options=("--enable-helm",))
    req = ManifestRequest(
        source=ApplicationSource.from_dict({"repoURL": git_repo.url, "path": "app"}),
        app_name="a",
        kube_version="1.29.3",
        api_versions=("monitoring.coreos.com/v1",),
        settings=settings,
    )
    resp = asyncio.run(service.generate_manifest(req))
    (cm,) = resp.manifests
    assert cm["metadata"]["name"] == "k-rel-cm"
    assert cm["data"] == {"greeting": "from-file", "kube": "v1.29.3", "hasMonitoring": "true"}
    assert any("--helm-command" in c for c in resp.commands)
    checkout = next(p for p in (tmp_path / "work" / "git").rglob("kustomization.yaml"))
    assert sorted(f.name for f in checkout.parent.iterdir()) == [
        "charts",
        "kustomization.yaml",
        "values-prod.yaml",
    ]


def test_enable_helm_without_helm_binary_says_so(git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.commit(CHART)
    service = RepoService(tmp_path / "work")
    service.helm_binary = None  # as on a machine without helm
    req = ManifestRequest(
        source=ApplicationSource.from_dict({"repoURL": git_repo.url, "path": "app"}),
        settings=RenderSettings(kustomize_build_options=("--enable-helm",)),
    )
    with pytest.raises(RenderError, match="no helm binary"):
        asyncio.run(service.generate_manifest(req))


def test_helm_chart_paths_leaving_the_repository_are_refused(
    git_repo: GitRepo, render: Render
) -> None:
    options = RenderSettings(
        kustomize_build_options=("--enable-helm --load-restrictor LoadRestrictionsNone",)
    )
    for kustomization in (
        "helmCharts:\n- name: greeter\n  valuesFile: ../../../../etc/passwd\n",
        "helmCharts:\n- name: greeter\n  additionalValuesFiles: [/../../x.yaml]\n",
        "helmGlobals:\n  chartHome: ../../outside\nhelmCharts:\n- name: greeter\n",
    ):
        git_repo.commit({**CHART, "app/kustomization.yaml": kustomization})
        with pytest.raises(PathEscapeError):
            render({"repoURL": git_repo.url, "path": "app"}, settings=options)


def test_load_restrictor_option_is_applied(git_repo: GitRepo, render: Render) -> None:
    """``--load-restrictor LoadRestrictionsNone`` lets a kustomization load a file from a
    sibling directory (still inside the repository); the default refuses it."""
    git_repo.commit(
        {
            "shared/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\n",
            "app/kustomization.yaml": "resources: [../shared/cm.yaml]\n",
        }
    )
    source = {"repoURL": git_repo.url, "path": "app"}
    with pytest.raises(RenderError, match="is not in or below"):
        render(source)
    none = RenderSettings(kustomize_build_options=("--load-restrictor LoadRestrictionsNone",))
    assert names(render(source, settings=none)) == ["ConfigMap/shared"]


@pytest.mark.skipif(HELM is None, reason="no helm binary (scripts/setup installs one)")
def test_enable_helm_pulls_remote_charts_into_a_private_copy(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    """A ``helmCharts`` entry with ``repo:`` is pulled by kustomize (from a chart repository
    on loopback) into a copy of the repository, never into the shared checkout."""
    chart_src = _greeter_source(tmp_path)
    package_chart(chart_src, tmp_path / "site", ["0.2.0"])
    with StaticHttpServer(tmp_path / "site") as charts:
        git_repo.commit(
            {
                "app/kustomization.yaml": "helmCharts:\n- name: greeter\n"
                f"  repo: {charts.url}\n  version: 0.2.0\n  releaseName: pulled\n"
                "  valuesInline: {greeting: remote}\n"
            }
        )
        service = RepoService(tmp_path / "work", helm_binary=HELM)
        req = ManifestRequest(
            source=ApplicationSource.from_dict({"repoURL": git_repo.url, "path": "app"}),
            kube_version="1.30.0",
            settings=RenderSettings(kustomize_build_options=("--enable-helm",)),
        )
        resp = asyncio.run(service.generate_manifest(req))
    (cm,) = resp.manifests
    assert (cm["metadata"]["name"], cm["data"]["greeting"]) == ("pulled-cm", "remote")
    checkout = next((tmp_path / "work" / "git" / "checkouts").rglob("kustomization.yaml"))
    assert [f.name for f in checkout.parent.iterdir()] == ["kustomization.yaml"]


def _fake_version(path: Path, record: Path) -> str:
    """A "kustomize" for one version: records its arguments, then builds with kubectl."""
    path.write_text(
        "#!/bin/sh\n"
        '[ "$1" = build ] || { echo "unexpected subcommand $1" >&2; exit 2; }\n'
        f'shift; echo "$@" > {record}\n'
        'exec kubectl kustomize "$@"\n'
    )
    path.chmod(0o755)
    return str(path)


def test_kustomize_version_picks_its_binary_and_build_options(
    kustomize_repo: GitRepo, tmp_path: Path, render: Render
) -> None:
    """``spec.source.kustomize.version`` runs ``kustomize.path.<v>`` with
    ``kustomize.buildOptions.<v>`` in place of the default build options (Argo CD)."""
    from kaiun.repo import render_settings_from_argocd_cm

    record = tmp_path / "args"
    settings = render_settings_from_argocd_cm(
        {
            "kustomize.buildOptions": "--enable-helm",
            "kustomize.path.v5.4.3": _fake_version(tmp_path / "kustomize-5.4.3", record),
            "kustomize.buildOptions.v5.4.3": "--load-restrictor LoadRestrictionsNone",
        }
    )
    source = {
        "repoURL": kustomize_repo.url,
        "path": "overlays/production",
        "kustomize": {"version": "v5.4.3"},
    }
    resp = render(source, settings=settings)
    assert names(resp) == ["Service/my-app", "Deployment/my-app"]
    args = record.read_text().split()
    assert args[0].endswith("overlays/production")  # no overlay: version overrides nothing
    assert args[1:] == ["--load-restrictor", "LoadRestrictionsNone"]
    assert resp.commands[0].startswith(str(tmp_path / "kustomize-5.4.3") + " build")


def test_unconfigured_kustomize_version_is_a_clear_error(
    kustomize_repo: GitRepo, render: Render
) -> None:
    source = {"repoURL": kustomize_repo.url, "path": "base", "kustomize": {"version": "v9"}}
    settings = RenderSettings(kustomize_versions=(KustomizeVersion("v5", "/opt/kustomize-5"),))
    with pytest.raises(SourceError, match=r"'v9' is not configured \(configured: v5\).*"
                       r"kustomize\.path\.v9"):  # fmt: skip
        render(source, settings=settings)


@pytest.mark.skipif(HELM is None, reason="no helm binary (scripts/setup installs one)")
def test_enable_helm_charts_come_through_the_server_cache_with_credentials(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    """A ``helmCharts`` chart from a repository behind basic auth is fetched by the repo
    server with the matching repository Secret, once for every render (and every app)
    that uses it; kustomize itself pulls nothing. Without credentials it fails as such."""
    chart_src = _greeter_source(tmp_path)
    package_chart(chart_src, tmp_path / "site", ["0.2.0", "0.3.0"])
    with StaticHttpServer(tmp_path / "site", "charts", "s3cret") as charts:
        entry = "helmCharts:\n- name: greeter\n  repo: {url}\n  releaseName: {rel}\n{version}"
        git_repo.commit(
            {
                "a/kustomization.yaml": entry.format(
                    url=charts.url, rel="a", version="  version: 0.2.0\n"
                ),
                # No version: the highest one, at chartHome/<name> (kustomize's layout).
                "b/kustomization.yaml": entry.format(url=charts.url, rel="b", version=""),
            }
        )
        secret = {
            "metadata": {"labels": {"argocd.argoproj.io/secret-type": "repository"}},
            "stringData": {
                "type": "helm",
                "url": charts.url,
                "username": "charts",
                "password": "s3cret",
            },
        }
        service = RepoService(
            tmp_path / "work",
            helm_binary=HELM,
            credentials=CredentialStore.from_secrets([secret]),
            revision_cache_seconds=60,
        )
        settings = RenderSettings(kustomize_build_options=("--enable-helm",))

        def render(path: str, app: str) -> ManifestResponse:
            source = ApplicationSource.from_dict({"repoURL": git_repo.url, "path": path})
            req = ManifestRequest(source=source, app_name=app, settings=settings)
            return asyncio.run(service.generate_manifest(req))

        rendered = [render("a", "one"), render("a", "two"), render("b", "three")]
        anonymous = RepoService(tmp_path / "anon", helm_binary=HELM)
        with pytest.raises(AuthenticationError, match="authentication failed for http://127"):
            source = ApplicationSource.from_dict({"repoURL": git_repo.url, "path": "a"})
            asyncio.run(anonymous.generate_manifest(ManifestRequest(source, settings=settings)))
    assert [names(r) for r in rendered] == [["ConfigMap/a-cm"]] * 2 + [["ConfigMap/b-cm"]]
    downloads = sorted(p for p, auth in charts.requests if p.endswith(".tgz") and auth)
    assert downloads == ["/greeter-0.2.0.tgz", "/greeter-0.3.0.tgz"]
    checkout = next((tmp_path / "work" / "git" / "checkouts").rglob("kustomization.yaml"))
    assert [f.name for f in checkout.parent.iterdir()] == ["kustomization.yaml"]


@pytest.mark.skipif(HELM is None, reason="no helm binary (scripts/setup installs one)")
def test_helm_chart_names_that_are_paths_are_not_fetched(git_repo: GitRepo, tmp_path: Path) -> None:
    """A ``helmCharts`` name like ``../../x`` would place a fetched chart outside the private
    copy: the server fetches nothing for it (kustomize then fails on its own)."""
    package_chart(_greeter_source(tmp_path), tmp_path / "site", ["0.2.0"])
    with StaticHttpServer(tmp_path / "site") as charts:
        git_repo.commit(
            {"app/kustomization.yaml": "helmCharts:\n- name: ../../../../../escaped\n"
             f"  repo: {charts.url}\n  version: 0.2.0\n"}
        )  # fmt: skip
        service = RepoService(tmp_path / "work", helm_binary=HELM)
        settings = RenderSettings(kustomize_build_options=("--enable-helm",))
        source = ApplicationSource.from_dict({"repoURL": git_repo.url, "path": "app"})
        with pytest.raises(RenderError):
            asyncio.run(service.generate_manifest(ManifestRequest(source, settings=settings)))
    assert not [p for p in tmp_path.rglob("escaped*")]
    assert not [p for p, _ in charts.requests if p.endswith(".tgz")]
