"""Write-back values: the Application patch (argocd) and .argocd-source files (git)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kaiun.controllers.imageupdater import appannotations
from kaiun.controllers.imageupdater import argocdwriteback as wb
from kaiun.controllers.imageupdater.model import AppImages

CASES = yaml.safe_load((Path(__file__).parent / "fixtures" / "argocd_writeback.yaml").read_text())


def _config(case: dict[str, Any]) -> AppImages:
    notes = {appannotations.PREFIX + k: v for k, v in case["annotations"].items()}
    parsed = appannotations.parse(notes)
    assert parsed is not None
    return parsed


def _changes(case: dict[str, Any]) -> list[wb.Change]:
    out = []
    for spec in _config(case).images:
        chosen = case["chosen"][spec.alias]
        tag, digest = (chosen, "") if isinstance(chosen, str) else chosen
        out.append(wb.Change(spec, tag, digest))
    return out


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_application_patch(case: dict[str, Any]) -> None:
    if "error" in case:
        with pytest.raises(wb.WriteBackError, match=case["error"]):
            wb.application_patch(case["app"], _changes(case))
        return
    assert wb.application_patch(case["app"], _changes(case)) == case["expect"]


def test_source_file_keeps_other_keys_and_updates_in_place() -> None:
    case = CASES[0]
    existing = (
        "helm:\n  parameters:\n  - name: image.tag\n    value: 0.1.0\n"
        "    forceString: true\n  releaseName: web\n"
    )
    text = wb.source_file(existing, wb.HELM, _changes(case))
    assert yaml.safe_load(text) == {
        "helm": {
            "parameters": [
                {"name": "image.tag", "value": "1.2.0", "forceString": True},
                {"name": "image.name", "value": "ghcr.io/org/web", "forceString": True},
            ],
            "releaseName": "web",
        }
    }
    fresh = wb.source_file(None, wb.KUSTOMIZE, _changes(CASES[3]))
    assert yaml.safe_load(fresh) == {"kustomize": {"images": ["ghcr.io/org/api:1.1.0"]}}
    with pytest.raises(wb.WriteBackError, match="not a YAML mapping"):
        wb.source_file("- a\n", wb.HELM, _changes(case))


def test_source_file_name() -> None:
    assert wb.source_file_name("web", "argocd", "argocd") == ".argocd-source-web.yaml"
    assert wb.source_file_name("web", "team-a", "argocd") == ".argocd-source-team-a_web.yaml"


def test_multi_source_needs_exactly_one_target() -> None:
    app = {
        "metadata": {"name": "two"},
        "spec": {"sources": [{"repoURL": "a", "chart": "x"}, {"repoURL": "b", "chart": "y"}]},
    }
    with pytest.raises(wb.WriteBackError, match="2 of its sources"):
        wb.application_patch(app, _changes(CASES[0]))


def test_kustomize_override_that_actually_wins() -> None:
    # Seed 001's trap: the kustomization renames "app" to the registry image, so an
    # override keyed by the registry image would be a silent no-op.
    notes = {appannotations.IMAGE_LIST: "my-image=asia.gcr.io/proj/app"}
    parsed = appannotations.parse(notes)
    assert parsed is not None
    spec = parsed.images[0]
    images = [
        {"name": "redis", "newTag": "7"},
        {"name": "app", "newName": "asia.gcr.io/proj/app", "newTag": "abc123"},
    ]
    target = wb.kustomize_target(spec, images)
    assert target.name == "app" and "renames it" in target.where
    entry = wb.kustomize_image(wb.Change(spec, "def456"), target.name)
    assert entry == "app=asia.gcr.io/proj/app:def456"
    plain = wb.kustomize_target(spec, [{"name": "asia.gcr.io/proj/app", "newTag": "1"}])
    assert plain.name == "asia.gcr.io/proj/app" and plain.where == "the image name itself"
    hub = appannotations.parse({appannotations.IMAGE_LIST: "n=nginx"})
    assert hub is not None
    renamed = wb.kustomize_target(
        hub.images[0], [{"name": "web", "newName": "docker.io/library/nginx"}]
    )
    assert renamed.name == "web"
