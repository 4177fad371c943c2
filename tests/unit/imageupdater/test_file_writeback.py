"""Git write-back targets: kustomization.yaml and Helm values edited with comments kept."""

from __future__ import annotations

import pytest

from kaiun.controllers.imageupdater import appannotations
from kaiun.controllers.imageupdater import filewriteback as fw
from kaiun.controllers.imageupdater.argocdwriteback import Change, WriteBackError
from kaiun.controllers.imageupdater.model import ImageSpec

P = appannotations.PREFIX


def _spec(**settings: str) -> ImageSpec:
    notes = {appannotations.IMAGE_LIST: "app=asia.gcr.io/proj/app"}
    notes.update({f"{P}app.{k}": v for k, v in settings.items()})
    parsed = appannotations.parse(notes)
    assert parsed is not None
    return parsed.images[0]


KUSTOMIZATION = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml  # the app
images:
  # pinned by CI
  - name: app
    newName: asia.gcr.io/proj/app
    newTag: "abc123" # previous build
  - name: redis
    newTag: '7'
"""


def test_kustomization_rename_entry_is_updated_in_place() -> None:
    out = fw.set_kustomization_images(KUSTOMIZATION, [Change(_spec(), "def456")])
    assert out == KUSTOMIZATION.replace('"abc123"', '"def456"')


def test_kustomization_digest_replaces_the_tag() -> None:
    spec = _spec(**{"update-strategy": "digest"})
    out = fw.set_kustomization_images(KUSTOMIZATION, [Change(spec, "main", "sha256:" + "a" * 64)])
    assert 'newTag: "abc123"' not in out
    assert f"digest: sha256:{'a' * 64}" in out
    assert "# pinned by CI" in out and "# the app" in out


def test_kustomization_without_images_gets_an_entry() -> None:
    out = fw.set_kustomization_images("resources:\n- a.yaml\n", [Change(_spec(), "1.0.0")])
    assert out == ("resources:\n- a.yaml\nimages:\n- name: asia.gcr.io/proj/app\n  newTag: 1.0.0\n")


VALUES = """\
# values for app
image:
  repository: asia.gcr.io/proj/app   # where it lives
  tag: "1.0.0"
replicas: 2
"""


def test_helm_values_keep_comments_and_quotes() -> None:
    spec = _spec(**{"helm.image-name": "image.repository", "helm.image-tag": "image.tag"})
    out = fw.set_helm_values(VALUES, [Change(spec, "1.1.0")])
    assert out == VALUES.replace('"1.0.0"', '"1.1.0"')


def test_helm_values_create_missing_paths_and_image_spec() -> None:
    spec = _spec(**{"helm.image-spec": "app.deploy.image"})
    out = fw.set_helm_values(VALUES, [Change(spec, "1.1.0")])
    assert out == VALUES + "app:\n  deploy:\n    image: asia.gcr.io/proj/app:1.1.0\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a\n", "not a YAML mapping"),
        ("image: [unclosed\n", "not valid YAML"),
        ("image: nginx\n", "image is not a mapping"),
    ],
)
def test_helm_values_errors(text: str, message: str) -> None:
    with pytest.raises(WriteBackError, match=message):
        fw.set_helm_values(text, [Change(_spec(), "1.1.0")])


def test_kustomization_errors() -> None:
    with pytest.raises(WriteBackError, match="not a list"):
        fw.set_kustomization_images("images: nginx\n", [Change(_spec(), "1")])
