"""Both configuration models read into one model, registries.conf, image references."""

from __future__ import annotations

import base64
import json

import pytest
import yaml

from kaiun.controllers.imageupdater import (
    appannotations,
    credref,
    imageref,
    manifests,
    registries,
    resource,
)
from kaiun.controllers.imageupdater.errors import ConfigError, CredentialsError
from kaiun.controllers.imageupdater.imageref import ImageRef
from kaiun.controllers.imageupdater.model import HelmTarget, Platform, Strategy, WriteBack

P = appannotations.PREFIX

SEED_001_DEV = {
    P + "write-back-method": "git",
    P + "image-list": "my-image=asia.gcr.io/some-gcp-project/some-image-name",
    P + "my-image.update-strategy": "latest",
    P + "my-image.allow-tags": "regexp:^[0-9a-f]{5,40}$",
    P + "my-image.ignore-tags": "latest",
}


def test_seed_001_annotations() -> None:
    app = appannotations.parse(SEED_001_DEV)
    assert app is not None
    (img,) = app.images
    assert img.alias == "my-image"
    assert img.image == ImageRef("asia.gcr.io", "some-gcp-project/some-image-name")
    assert img.strategy is Strategy.NEWEST_BUILD
    assert img.allow_tags == "regexp:^[0-9a-f]{5,40}$"
    assert img.ignore_tags == ("latest",)
    assert app.write_back == WriteBack(method="git")


def test_seed_000_annotations_with_branch() -> None:
    app = appannotations.parse(
        {
            P + "image-list": "myapp=registry.example.com/my-app",
            P + "myapp.update-strategy": "semver",
            P + "write-back-method": "git",
            P + "git-branch": "main",
        }
    )
    assert app is not None
    assert app.images[0].strategy is Strategy.SEMVER
    assert app.write_back.base_branch == "main"
    assert app.write_back.target_branch == ""


def test_every_annotation_is_read() -> None:
    app = appannotations.parse(
        {
            P + "image-list": "web=nginx:~1.26, api=ghcr.io/org/api:1.x, plain/img",
            P + "update-strategy": "alphabetical",
            P + "pull-secret": "env:REGCREDS",
            P + "web.update-strategy": "digest",
            P + "web.force-update": "true",
            P + "web.platforms": "linux/amd64, linux/arm/v7",
            P + "web.pull-secret": "pullsecret:argocd/hub",
            P + "web.helm.image-name": "web.image.repository",
            P + "web.helm.image-tag": "web.image.tag",
            P + "api.helm.image-spec": "api.image",
            P + "api.kustomize.image-name": "ghcr.io/org/api-base",
            P + "write-back-method": "git:secret:argocd/git-creds",
            P + "git-branch": "main:image-updater-{{.SHA256}}",
            P + "write-back-target": "kustomization:../../base",
            P + "git-repository": "https://git.example.com/org/deploy.git",
        }
    )
    assert app is not None
    web, api, plain = app.images
    assert web.strategy is Strategy.DIGEST and web.constraint == "~1.26"
    assert web.force_update and web.pull_secret == "pullsecret:argocd/hub"
    assert web.platforms == (Platform("linux", "amd64"), Platform("linux", "arm", "v7"))
    assert web.target.helm == HelmTarget("web.image.repository", "web.image.tag", "")
    assert api.strategy is Strategy.ALPHABETICAL and api.pull_secret == "env:REGCREDS"
    assert api.target.helm is not None and api.target.helm.spec == "api.image"
    assert api.target.kustomize_name == "ghcr.io/org/api-base"
    assert plain.alias == "" and plain.image == ImageRef("", "plain/img")
    assert app.write_back == WriteBack(
        method="git",
        git_credentials="secret:argocd/git-creds",
        git_repository="https://git.example.com/org/deploy.git",
        base_branch="main",
        target_branch="image-updater-{{.SHA256}}",
        target_kind="kustomization",
        target_path="../../base",
    )


@pytest.mark.parametrize(
    ("annotations", "message"),
    [
        ({P + "write-back-method": "svn"}, "write-back-method 'svn'"),
        ({P + "write-back-method": "git:token"}, "git:'token'"),
        ({P + "write-back-method": "git", P + "write-back-target": "values:x"}, "kustomization"),
        ({P + "a.force-update": "maybe"}, "true or false"),
        ({P + "a.platforms": "linux"}, "os/arch"),
    ],
)
def test_bad_annotations_say_what_to_fix(annotations: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        appannotations.parse({P + "image-list": "a=example.com/a", **annotations})


def test_no_image_list_means_not_managed() -> None:
    assert appannotations.parse({P + "update-strategy": "semver"}) is None
    with pytest.raises(ConfigError, match="used twice"):
        appannotations.parse({P + "image-list": "a=x.io/a, a=x.io/b"})


CR = yaml.safe_load(
    """
apiVersion: argocd-image-updater.argoproj.io/v1alpha1
kind: ImageUpdater
metadata: {name: updater, namespace: argocd}
spec:
  commonUpdateSettings: {updateStrategy: semver, ignoreTags: [latest], pullSecret: env:X}
  writeBackConfig:
    method: git
    gitConfig: {branch: main, writeBackTarget: "helmvalues:./values.yaml"}
  applicationRefs:
  - namePattern: "web-*"
    labelSelectors:
      matchLabels: {team: a}
      matchExpressions: [{key: tier, operator: In, values: [front]}]
    commonUpdateSettings: {updateStrategy: newest-build, platforms: [linux/arm64]}
    images:
    - alias: nginx
      imageName: nginx:1.27.x
      commonUpdateSettings: {allowTags: "^1\\\\.27"}
      manifestTargets: {helm: {name: image.repository, tag: image.tag}}
    - alias: side
      imageName: quay.io/org/side
      manifestTargets: {kustomize: {name: quay.io/org/side}}
  - namePattern: "legacy-*"
    useAnnotations: true
    writeBackConfig: {method: argocd}
"""
)


def _app(name: str, labels: dict[str, str], annotations: dict[str, str] | None = None) -> dict:
    return {"metadata": {"name": name, "labels": labels, "annotations": annotations or {}}}


def test_image_updater_resource_inherits_settings() -> None:
    cr = resource.parse(CR)
    app = cr.for_application(_app("web-1", {"team": "a", "tier": "front"}))
    assert app is not None
    nginx, side = app.images
    assert nginx.strategy is Strategy.NEWEST_BUILD
    assert nginx.constraint == "1.27.x" and nginx.image == ImageRef("", "nginx")
    assert nginx.allow_tags == "regexp:^1\\.27"
    assert nginx.ignore_tags == ("latest",) and nginx.pull_secret == "env:X"
    assert nginx.platforms == (Platform("linux", "arm64"),)
    assert nginx.target.helm == HelmTarget("image.repository", "image.tag")
    assert side.target.kustomize_name == "quay.io/org/side"
    assert app.write_back.method == "git" and app.write_back.target_kind == "helmvalues"
    assert app.write_back.target_path == "./values.yaml"


def test_image_updater_resource_selects_by_name_and_labels() -> None:
    cr = resource.parse(CR)
    assert cr.for_application(_app("web-1", {"team": "b", "tier": "front"})) is None
    assert cr.for_application(_app("web-1", {"team": "a", "tier": "back"})) is None
    assert cr.for_application(_app("api-1", {"team": "a", "tier": "front"})) is None


def test_image_updater_resource_use_annotations() -> None:
    cr = resource.parse(CR)
    app = cr.for_application(_app("legacy-1", {}, SEED_001_DEV))
    assert app is not None
    assert app.images[0].strategy is Strategy.NEWEST_BUILD
    # The ref's own writeBackConfig overrides the resource-wide one (and the annotation).
    assert app.write_back.method == "argocd"
    assert cr.for_application(_app("legacy-2", {})) is None


def test_image_updater_resource_errors() -> None:
    with pytest.raises(ConfigError, match="lists no images"):
        resource.parse(
            {"kind": "ImageUpdater", "spec": {"applicationRefs": [{"namePattern": "*"}]}}
        )
    with pytest.raises(ConfigError, match="expected kind"):
        resource.parse({"kind": "Application"})


REGISTRIES_CONF = """
registries:
- name: Google Container Registry Asia
  api_url: https://asia.gcr.io
  prefix: asia.gcr.io
  ping: no
  credentials: pullsecret:argocd/argocd-image-updater-docker-registry-secret
- name: internal
  api_url: http://127.0.0.1:5000/
  prefix: registry.internal
  default: true
  defaultns: base
  insecure: yes
  credsexpire: 1h30m
  limit: 5
"""


def test_registries_conf_from_seed() -> None:
    regs = registries.from_configmap({"registries.conf": REGISTRIES_CONF})
    gcr = regs.for_registry("asia.gcr.io")
    assert gcr.ping is False
    assert gcr.credentials == "pullsecret:argocd/argocd-image-updater-docker-registry-secret"
    internal = regs.for_registry("")
    assert internal.name == "internal" and internal.api_url == "http://127.0.0.1:5000"
    assert internal.insecure and internal.limit == 5 and internal.credsexpire == 5400.0
    assert imageref.api_repository("app", default_namespace=internal.defaultns) == "base/app"
    assert regs.for_registry("docker.io") is registries.DOCKER_HUB
    other = regs.for_registry("ghcr.io")
    assert other.api_url == "https://ghcr.io" and other.credentials == ""


def test_docker_hub_defaults() -> None:
    hub = registries.Registries().for_registry("")
    assert hub.api_url == "https://registry-1.docker.io"
    assert imageref.api_repository("nginx", default_namespace=hub.defaultns) == "library/nginx"
    assert imageref.api_repository("bitnami/redis", default_namespace=hub.defaultns) == (
        "bitnami/redis"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("registries: [{name: x, api_url: ftp://x}]", "http"),
        ("registries: [{name: x, api_url: https://x, limit: many}]", "integer"),
        ("registries: [{name: x, api_url: https://x, ping: perhaps}]", "boolean"),
        ("registries: [{name: x, api_url: https://x, credsexpire: 5 days}]", "duration"),
        ("registries: [{api_url: https://a, default: true}, {api_url: https://b, default: true}]",
         "more than one registry default"),
        ("registries: [{api_url: https://a}, {api_url: https://a}]", "more than one entry"),
        ("registries: {", "not valid YAML"),
    ],
)  # fmt: skip
def test_bad_registries_conf(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        registries.parse(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nginx", ImageRef("", "nginx")),
        ("nginx:1.2.x", ImageRef("", "nginx", "1.2.x")),
        ("127.0.0.1:5000/a/b:~1.0", ImageRef("127.0.0.1:5000", "a/b", "~1.0")),
        ("localhost/app", ImageRef("localhost", "app")),
        ("docker.io/library/nginx@sha256:" + "a" * 64,
         ImageRef("docker.io", "library/nginx", "", "sha256:" + "a" * 64)),
    ],
)  # fmt: skip
def test_image_references(text: str, expected: ImageRef) -> None:
    assert imageref.parse(text) == expected
    assert str(imageref.parse(text)) == text


@pytest.mark.parametrize("text", ["", "UPPER/case", "a//b", "a@sha256:zz"])
def test_bad_image_references(text: str) -> None:
    with pytest.raises(ConfigError):
        imageref.parse(text)


def test_alias_split_is_not_fooled_by_constraints() -> None:
    assert imageref.split_alias("web=nginx:~1.2") == ("web", "nginx:~1.2")
    assert imageref.split_alias("nginx:>=1.2") == ("", "nginx:>=1.2")


def test_credential_references() -> None:
    assert str(credref.parse_ref("pullsecret:argocd/regcred")) == "pullsecret:argocd/regcred"
    assert credref.parse_ref("secret:ns/name#token").field == "token"
    assert credref.parse_ref("ext:/usr/local/bin/creds.sh").value == "/usr/local/bin/creds.sh"
    for bad in ("secret:ns/name", "pullsecret:name", "vault:x", "user:hunter2"):
        with pytest.raises(CredentialsError) as err:
            credref.parse_ref(bad)
        assert "hunter2" not in str(err.value)


def test_dockerconfigjson() -> None:
    auth = base64.b64encode(b"_json_key:{secret}").decode()
    doc = json.dumps({"auths": {"https://asia.gcr.io": {"username": "_json_key", "auth": auth}}})
    creds = credref.from_dockerconfigjson(doc, ("asia.gcr.io",), source="pullsecret:a/b")
    assert (creds.username, creds.password) == ("_json_key", "{secret}")
    assert "{secret}" not in repr(creds)
    with pytest.raises(CredentialsError, match=r"no entry for ghcr\.io") as err:
        credref.from_dockerconfigjson(doc, ("ghcr.io",), source="pullsecret:a/b")
    assert "{secret}" not in str(err.value)


def test_challenges_and_links() -> None:
    c = manifests.parse_challenge(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
        'scope="repository:library/nginx:pull"'
    )
    assert c == manifests.Challenge(
        "bearer",
        "https://auth.docker.io/token",
        "registry.docker.io",
        "repository:library/nginx:pull",
    )
    assert manifests.parse_challenge('Basic realm="Registry Realm"') == manifests.Challenge(
        "basic", "Registry Realm"
    )
    assert manifests.next_link('</v2/a/tags/list?last=x&n=2>; rel="next"') == (
        "/v2/a/tags/list?last=x&n=2"
    )
    assert manifests.parse_created("2024-01-03T10:00:00.123456789Z") is not None
    assert manifests.parse_created("yesterday") is None


def test_public_surface_is_what_it_claims() -> None:
    import inspect

    import kaiun.controllers.imageupdater as iu

    exported = {
        n for n in dir(iu) if not n.startswith("_") and not inspect.ismodule(getattr(iu, n))
    }
    assert set(iu.__all__) == exported
