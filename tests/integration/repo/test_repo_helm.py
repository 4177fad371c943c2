"""Helm sources through the real Helm engine (helm-python-sdk), seed §6.3 / §10.1 shapes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kaiun.repo import (
    ManifestResponse,
    PathEscapeError,
    RenderError,
    RenderSettings,
    SourceError,
    ToolDisabledError,
)
from tests.integration.repo.repo_testkit import GitRepo, chart_files, names

Render = Callable[..., ManifestResponse]


@pytest.fixture
def chart_repo(git_repo: GitRepo) -> GitRepo:
    git_repo.commit(
        {
            **chart_files("charts/my-chart"),
            "envs/prod.yaml": "service:\n  type: LoadBalancer\n",
            "envs/ca.crt": "-----BEGIN CERTIFICATE-----\nabc,def\n",
        }
    )
    return git_repo


def by_kind(resp: ManifestResponse, kind: str) -> dict[str, Any]:
    return next(m for m in resp.manifests if m["kind"] == kind)


def test_seed_helm_example_precedence(chart_repo: GitRepo, render: Render) -> None:
    """valueFiles < values < parameters; valuesObject replaces values (seed §10.1)."""
    resp = render(
        {
            "repoURL": chart_repo.url,
            "targetRevision": "main",
            "path": "charts/my-chart",
            "helm": {
                "releaseName": "my-release",
                "valueFiles": ["values.yaml", "values-production.yaml"],
                "values": "replicaCount: 3\nextra: from-values\n",
                "parameters": [{"name": "service.type", "value": "ClusterIP"}],
                "valuesObject": {
                    "replicaCount": 3,
                    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
                },
            },
        },
        app_name="app",
        namespace="prod",
    )
    assert resp.source_type == "Helm"
    assert names(resp) == [
        "CustomResourceDefinition/foos.foo.example.com",
        "Deployment/my-release-app",
        "Service/my-release-svc",
        "Pod/my-release-test",
    ]
    deploy, svc = by_kind(resp, "Deployment"), by_kind(resp, "Service")
    assert deploy["metadata"]["namespace"] == "prod"
    assert deploy["spec"]["replicas"] == 3
    # valuesObject wins over values entirely: "extra" keeps the chart default.
    assert deploy["metadata"]["labels"] == {"extra": "keep"}
    assert deploy["spec"]["template"]["spec"]["containers"][0]["resources"] == {
        "requests": {"cpu": "100m", "memory": "128Mi"}
    }
    assert svc["spec"]["type"] == "ClusterIP"
    assert svc["spec"]["ports"] == [{"port": 8080}]


def test_values_string_and_defaults(chart_repo: GitRepo, render: Render) -> None:
    resp = render(
        {
            "repoURL": chart_repo.url,
            "path": "charts/my-chart",
            "helm": {"values": "extra: from-values\n", "skipCrds": True, "skipTests": True},
        },
        app_name="guestbook",
        kube_version="1.29.3",
        api_versions=("foo.example.com/v1",),
    )
    assert names(resp) == ["Deployment/guestbook-app", "Service/guestbook-svc"]
    assert by_kind(resp, "Deployment")["metadata"]["labels"] == {"extra": "from-values"}
    assert by_kind(resp, "Service")["metadata"]["annotations"] == {
        "kube": "v1.29.3",
        "has-foo": "true",
        "port-kind": "int",
    }


def test_parameters_force_string_commas_and_file_parameters(
    chart_repo: GitRepo, render: Render
) -> None:
    resp = render(
        {
            "repoURL": chart_repo.url,
            "path": "charts/my-chart",
            "helm": {
                "parameters": [
                    {"name": "replicaCount", "value": "4"},
                    {"name": "extra", "value": "a,b"},
                    {"name": "service.port", "value": "9090", "forceString": True},
                ],
                "fileParameters": [{"name": "resources.cert", "path": "../../envs/ca.crt"}],
            },
        },
        app_name="p",
    )
    deploy, svc = by_kind(resp, "Deployment"), by_kind(resp, "Service")
    assert deploy["spec"]["replicas"] == 4
    assert deploy["metadata"]["labels"] == {"extra": "a,b"}
    assert svc["metadata"]["annotations"]["port-kind"] == "string"
    assert deploy["spec"]["template"]["spec"]["containers"][0]["resources"] == {
        "cert": "-----BEGIN CERTIFICATE-----\nabc,def\n"
    }


def test_value_file_relative_and_repo_absolute(chart_repo: GitRepo, render: Render) -> None:
    for entry in ("../../envs/prod.yaml", "/envs/prod.yaml"):
        resp = render(
            {"repoURL": chart_repo.url, "path": "charts/my-chart", "helm": {"valueFiles": [entry]}},
            app_name="v",
        )
        assert by_kind(resp, "Service")["spec"]["type"] == "LoadBalancer"


def test_missing_value_file(chart_repo: GitRepo, render: Render) -> None:
    source = {
        "repoURL": chart_repo.url,
        "path": "charts/my-chart",
        "helm": {"valueFiles": ["nope.yaml"]},
    }
    with pytest.raises(SourceError, match=r"value file 'nope\.yaml' not found"):
        render(source, app_name="m")
    source["helm"] = {"valueFiles": ["nope.yaml"], "ignoreMissingValueFiles": True}
    assert by_kind(render(source, app_name="m"), "Deployment")["spec"]["replicas"] == 1


def test_multi_source_values_ref(chart_repo: GitRepo, tmp_path: Any, render: Render) -> None:
    """Seed §6.2: ``$values/...`` value files from a ``ref: values`` source."""
    values_repo = GitRepo(tmp_path / "helm-values")
    values_repo.commit(
        {
            "environments/production/values.yaml": "replicaCount: 7\n",
            "environments/production/secrets.yaml": "extra: from-ref\n",
        }
    )
    from kaiun.repo import ApplicationSource

    resp = render(
        {
            "repoURL": chart_repo.url,
            "path": "charts/my-chart",
            "helm": {
                "valueFiles": [
                    "$values/environments/production/values.yaml",
                    "$values/environments/production/secrets.yaml",
                ]
            },
        },
        app_name="multi",
        ref_sources={
            "values": ApplicationSource.from_dict(
                {"repoURL": values_repo.url, "targetRevision": "main", "ref": "values"}
            )
        },
    )
    deploy = by_kind(resp, "Deployment")
    assert deploy["spec"]["replicas"] == 7
    assert deploy["metadata"]["labels"] == {"extra": "from-ref"}
    with pytest.raises(SourceError, match="no source has 'ref: other'"):
        render(
            {
                "repoURL": chart_repo.url,
                "path": "charts/my-chart",
                "helm": {"valueFiles": ["$other/x.yaml"]},
            },
            app_name="multi",
        )


def test_template_error_is_reported(git_repo: GitRepo, render: Render) -> None:
    files = chart_files("c")
    files["c/templates/bad.yaml"] = "{{ .Values.nope.deeper }}\n"
    git_repo.commit(files)
    with pytest.raises(RenderError, match=r"(?s)helm template failed: .*nope"):
        render({"repoURL": git_repo.url, "path": "c"}, app_name="x")


def test_helm_detected_and_disable_falls_back(chart_repo: GitRepo, render: Render) -> None:
    resp = render({"repoURL": chart_repo.url, "path": "charts/my-chart"}, app_name="d")
    assert resp.source_type == "Helm"
    off = RenderSettings(helm_enabled=False)
    with pytest.raises(ToolDisabledError):
        render({"repoURL": chart_repo.url, "path": "charts/my-chart", "helm": {}}, settings=off)


def test_value_file_escape_is_refused(chart_repo: GitRepo, render: Render) -> None:
    for entry in ("../../../../etc/passwd", "../../../outside.yaml"):
        with pytest.raises(PathEscapeError, match="outside the repository"):
            render(
                {
                    "repoURL": chart_repo.url,
                    "path": "charts/my-chart",
                    "helm": {"valueFiles": [entry]},
                },
                app_name="e",
            )


def test_crds_of_subcharts_are_included(git_repo: GitRepo, render: Render) -> None:
    """CRDs come from the chart's and its subcharts' ``crds/`` directories; a chart with
    none renders without them (the server skips asking Helm only when none can exist)."""
    crd = chart_files("x")["x/crds/foo.yaml"]
    git_repo.commit(
        {
            "plain/Chart.yaml": "apiVersion: v2\nname: plain\nversion: 0.1.0\n",
            "plain/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: p}\n",
            "parent/Chart.yaml": "apiVersion: v2\nname: parent\nversion: 0.1.0\n",
            "parent/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: q}\n",
            "parent/charts/sub/Chart.yaml": "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
            "parent/charts/sub/crds/foo.yaml": crd,
        }
    )
    assert names(render({"repoURL": git_repo.url, "path": "plain"})) == ["ConfigMap/p"]
    assert names(render({"repoURL": git_repo.url, "path": "parent"})) == [
        "CustomResourceDefinition/foos.foo.example.com",
        "ConfigMap/q",
    ]
