"""The repo room's pure pieces: contract round trips, credentials, URLs, revisions, globs."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaiun.repo import (
    ApplicationSource,
    CredentialStore,
    ManifestRequest,
    ManifestResponse,
    RenderSettings,
    normalize_repo_url,
    redact_url,
)
from kaiun.repo import __all__ as surface
from kaiun.repo.render.directory import expand_braces, glob_match
from kaiun.repo.revisions import match_ref, match_semver, parse_ls_remote

SEED_SOURCES: list[dict[str, Any]] = [
    {"repoURL": "https://github.com/my-org/my-app-manifests.git", "targetRevision": "main",
     "path": "overlays/production"},
    {"repoURL": "https://charts.example.com", "chart": "my-app", "targetRevision": "1.5.0",
     "helm": {"valueFiles": ["$values/environments/production/values.yaml"]}},
    {"repoURL": "https://github.com/my-org/helm-values.git", "targetRevision": "main",
     "ref": "values"},
    {"repoURL": "https://prometheus-community.github.io/helm-charts",
     "chart": "kube-prometheus-stack", "targetRevision": "65.1.0",
     "helm": {"releaseName": "prometheus", "values": "grafana:\n  enabled: true\n",
              "parameters": [{"name": "grafana.replicas", "value": "2"}]}},
    {"repoURL": "https://github.com/my-org/my-app.git", "targetRevision": "main",
     "path": "overlays/production",
     "kustomize": {"images": ["my-app=registry.example.com/my-app:v1.2.3"],
                   "commonLabels": {"app.kubernetes.io/managed-by": "argocd"},
                   "commonAnnotations": {"team": "platform-engineering"},
                   "namePrefix": "prod-", "namespace": "production"}},
    {"repoURL": "https://charts.example.com", "chart": "my-chart", "targetRevision": "1.0.0",
     "helm": {"releaseName": "my-release", "valueFiles": ["values.yaml", "values-production.yaml"],
              "values": "replicaCount: 3\n",
              "parameters": [{"name": "service.type", "value": "ClusterIP"}],
              "valuesObject": {"replicaCount": 3,
                               "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}}},
    {"repoURL": "https://x/r.git", "path": "j", "directory": {"recurse": True, "jsonnet": {
        "extVars": [{"name": "a", "value": "1", "code": True}],
        "tlas": [{"name": "b", "value": "x"}], "libs": ["vendor"]}}},
    {"repoURL": "https://x/r.git", "path": "h", "helm": {}},
]  # fmt: skip


@pytest.mark.parametrize("source", SEED_SOURCES)
def test_seed_sources_round_trip(source: dict[str, Any]) -> None:
    assert ApplicationSource.from_dict(source).to_dict() == source


def test_request_and_response_round_trip() -> None:
    req = ManifestRequest(
        source=ApplicationSource.from_dict(SEED_SOURCES[1]),
        app_name="a",
        namespace="n",
        kube_version="1.30.0",
        api_versions=("x/v1",),
        ref_sources={"values": ApplicationSource.from_dict(SEED_SOURCES[2])},
        settings=RenderSettings(kustomize_build_options=("--enable-helm",)),
        no_cache=True,
    )
    assert ManifestRequest.from_dict(req.to_dict()) == req
    resp = ManifestResponse(
        manifests=[{"kind": "X"}], revision="abc", source_type="Helm", commands=("helm",)
    )
    assert ManifestResponse.from_dict(resp.to_dict()) == resp


def _secret(kind: str, name: str, **data: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "labels": {"argocd.argoproj.io/secret-type": kind}},
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
    }


def test_credentials_exact_then_longest_prefix() -> None:
    store = CredentialStore.from_secrets(
        [
            _secret("repo-creds", "org", url="https://github.com/my-org", password="org-pw"),
            _secret("repo-creds", "all", url="https://github.com", password="gh-pw"),
            _secret(
                "repository",
                "one",
                url="https://github.com/my-org/special.git",
                username="u",
                password="special-pw",
            ),
            _secret("repository", "anon", url="https://github.com/my-org/inherits"),
            {"metadata": {"name": "other", "labels": {}}, "data": {}},
        ]
    )

    def pw(url: str) -> str | None:
        cred = store.lookup(url)
        return cred.password if cred else None

    assert pw("https://github.com/my-org/special") == "special-pw"
    assert pw("https://GitHub.com/my-org/app.git") == "org-pw"
    assert pw("https://github.com/my-org/inherits.git") == "org-pw"
    assert pw("https://github.com/other/app") == "gh-pw"
    assert pw("https://gitlab.com/x/y") is None
    assert "special-pw" not in repr(store.lookup("https://github.com/my-org/special"))


def test_credentials_from_string_data_and_bad_base64() -> None:
    secret = {
        "metadata": {"name": "s", "labels": {"argocd.argoproj.io/secret-type": "repository"}},
        "stringData": {
            "url": "git@github.com:my-org/r.git",
            "sshPrivateKey": "KEY",
            "insecure": "true",
        },
    }
    cred = CredentialStore.from_secrets([secret]).lookup("ssh://git@github.com/my-org/r")
    assert cred is not None and cred.ssh_private_key == "KEY" and cred.insecure
    bad = _secret("repository", "b", url="https://x")
    bad["data"]["password"] = "!!!not-base64!!!"
    with pytest.raises(Exception, match="secret b: data key 'password' is not valid base64") as err:
        CredentialStore.from_secrets([bad])
    assert "not-base64!!!" not in str(err.value)


@pytest.mark.parametrize(
    ("url", "normal"),
    [
        ("https://GitHub.com/Org/Repo.git", "https://github.com/org/repo"),
        ("https://github.com/org/repo/", "https://github.com/org/repo"),
        ("git@github.com:org/repo.git", "ssh://git@github.com/org/repo"),
        ("ssh://git@github.com/org/repo", "ssh://git@github.com/org/repo"),
    ],
)
def test_normalize_repo_url(url: str, normal: str) -> None:
    assert normalize_repo_url(url) == normal


def test_redact_url() -> None:
    assert redact_url("https://u:pw@h.example:8443/r") == "https://u:***@h.example:8443/r"
    assert redact_url("https://h/r") == "https://h/r"


REFS = parse_ls_remote(
    "aaa\tHEAD\naaa\trefs/heads/main\nbbb\trefs/heads/dev\nccc\trefs/tags/v1.0.0\n"
    "ddd\trefs/tags/v1.0.0^{}\neee\trefs/tags/v1.5.0\nfff\trefs/tags/web-v2.0.0\n"
)


@pytest.mark.parametrize(
    ("rev", "prefix", "sha"),
    [
        ("HEAD", "", "aaa"),
        ("dev", "", "bbb"),
        ("v1.0.0", "", "ddd"),
        ("refs/heads/main", "", "aaa"),
        ("^1", "", "eee"),
        ("<1.5.0", "", "ddd"),
        ("1.0.0", "", "ddd"),
        ("*", "web-v", "fff"),
        ("nope", "", None),
        ("^3", "", None),
    ],
)
def test_revision_matching(rev: str, prefix: str, sha: str | None) -> None:
    found = match_ref(REFS, rev)
    if found is None:
        tag = match_semver(REFS, rev, prefix)
        found = REFS[tag] if tag else None
    assert found == sha


@pytest.mark.parametrize(
    ("pattern", "path", "hit"),
    [
        ("*.yaml", "a.yaml", True),
        ("*.yaml", "sub/a.yaml", True),
        ("{a,b}.yaml", "b.yaml", True),
        ("{a,b}.yaml", "c.yaml", False),
        ("sub/{x,y/{p,q}}.json", "sub/y/q.json", True),
        ("config.json", "sub/config.json", False),
    ],
)
def test_directory_globs(pattern: str, path: str, hit: bool) -> None:
    assert glob_match(pattern, path) is hit


@given(st.lists(st.text(alphabet="abc", min_size=1, max_size=3), min_size=1, max_size=4))
def test_brace_expansion_yields_each_option(options: list[str]) -> None:
    assert expand_braces("p/{" + ",".join(options) + "}.y") == [f"p/{o}.y" for o in options]


def test_public_surface_is_importable() -> None:
    import kaiun.repo as repo

    assert all(hasattr(repo, name) for name in surface)
