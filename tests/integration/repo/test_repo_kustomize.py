"""Kustomize sources through the real ``kubectl kustomize`` (seed §6.4 / §10.2)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from kaiun.repo import ManifestResponse, RenderError, RenderSettings, ToolDisabledError
from kaiun.repo.render.kustomize import parse_image
from tests.integration.repo.repo_testkit import GitRepo, names

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
