"""What write-back writes, as pure functions: Helm parameters and Kustomize images.

``write-back-method: argocd`` sets them on the Application's source (:func:`application_patch`);
``git`` writes the same overrides to ``.argocd-source-<app>.yaml`` in the application's path
(:func:`source_file`, :func:`source_file_name`). A Helm image goes to its ``helm.image-spec``
parameter as ``name:tag``, or to ``helm.image-name`` / ``helm.image-tag`` (defaults
``image.name`` / ``image.tag``), always with ``forceString``; a Kustomize image is set like
``kustomize edit set image`` (``[old=]name:tag``, or ``name@digest`` for the digest strategy).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from kaiun.controllers.imageupdater.errors import ImageUpdaterError
from kaiun.controllers.imageupdater.model import HelmTarget, ImageSpec, Strategy

HELM, KUSTOMIZE = "Helm", "Kustomize"


class WriteBackError(ImageUpdaterError):
    """The new image cannot be written to this Application."""


@dataclass(frozen=True)
class Change:
    """A chosen image for one watched image: its new tag (and digest for ``digest``)."""

    spec: ImageSpec
    tag: str
    digest: str = ""

    @property
    def pinned(self) -> str:
        """The tag as written: ``tag@digest`` for the digest strategy."""
        if self.spec.strategy is Strategy.DIGEST and self.digest:
            return f"{self.tag}@{self.digest}"
        return self.tag


def helm_parameters(change: Change) -> list[dict[str, Any]]:
    """The Helm parameters that set ``change``'s image."""
    target = change.spec.target.helm or HelmTarget()
    name = change.spec.image.name
    if target.spec:
        return [{"name": target.spec, "value": f"{name}:{change.pinned}", "forceString": True}]
    return [
        {"name": target.name, "value": name, "forceString": True},
        {"name": target.tag, "value": change.pinned, "forceString": True},
    ]


def kustomize_image(change: Change, key: str = "") -> str:
    """The ``kustomize.images`` entry for ``change`` (``kustomize edit set image`` syntax);
    ``key`` is the image name the override is keyed by (see :func:`kustomize_target`)."""
    name = change.spec.image.name
    if change.spec.strategy is Strategy.DIGEST and change.digest:
        new = f"{name}@{change.digest}"
    else:
        new = f"{name}:{change.tag}"
    old = key or change.spec.target.kustomize_name
    return f"{old}={new}" if old and old != name else new


def _kustomize_key(entry: str) -> str:
    # The image an entry overrides: before "=", else the name without tag or digest.
    if "=" in entry:
        return entry.split("=", 1)[0]
    name = entry.split("@", 1)[0]
    slash, colon = name.rfind("/"), name.rfind(":")
    return name[:colon] if colon > slash else name


def merge_kustomize(existing: Sequence[str], entry: str) -> list[str]:
    """``existing`` images with ``entry`` replacing the one for the same image, or appended."""
    key = _kustomize_key(entry)
    out = [e for e in existing if _kustomize_key(e) != key]
    return [*out, entry]


def merge_helm(
    existing: Sequence[Mapping[str, Any]], params: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """``existing`` parameters with ``params`` replacing those of the same name, in place."""
    new = {p["name"]: dict(p) for p in params}
    out = [new.pop(p.get("name", ""), dict(p)) for p in existing]
    return out + list(new.values())


def source_type(app: Mapping[str, Any], index: int | None = None) -> str | None:
    """``Helm``, ``Kustomize`` or None for the Application's source (``index`` for
    multi-source), from ``status.sourceType(s)`` and else from the source itself."""
    status = app.get("status") or {}
    spec = app.get("spec") or {}
    if index is None:
        known, source = status.get("sourceType"), spec.get("source") or {}
    else:
        types = status.get("sourceTypes") or []
        known = types[index] if index < len(types) else None
        source = (spec.get("sources") or [])[index]
    if known in (HELM, KUSTOMIZE):
        return str(known)
    if known:
        return None
    if "helm" in source or source.get("chart"):
        return HELM
    if "kustomize" in source:
        return KUSTOMIZE
    return None


def updated_source(
    source: Mapping[str, Any], kind: str, changes: Sequence[Change]
) -> dict[str, Any]:
    """A copy of ``source`` with every change applied."""
    new = dict(source)
    if kind == HELM:
        helm = dict(new.get("helm") or {})
        params: list[dict[str, Any]] = list(helm.get("parameters") or [])
        for change in changes:
            params = merge_helm(params, helm_parameters(change))
        helm["parameters"] = params
        new["helm"] = helm
    elif kind == KUSTOMIZE:
        kustomize = dict(new.get("kustomize") or {})
        images: list[str] = list(kustomize.get("images") or [])
        for change in changes:
            images = merge_kustomize(images, kustomize_image(change))
        kustomize["images"] = images
        new["kustomize"] = kustomize
    else:
        raise WriteBackError(f"cannot write images to a source of type {kind!r}")
    return new


def _target_source(app: Mapping[str, Any]) -> tuple[int | None, str]:
    spec = app.get("spec") or {}
    name = (app.get("metadata") or {}).get("name", "")
    if spec.get("sources"):
        kinds = [(i, source_type(app, i)) for i in range(len(spec["sources"]))]
        usable = [(i, k) for i, k in kinds if k]
        if len(usable) != 1:
            raise WriteBackError(
                f"application {name}: {len(usable)} of its sources are Helm or Kustomize; "
                "the image updater needs exactly one"
            )
        return usable[0]
    kind = source_type(app)
    if kind is None:
        raise WriteBackError(
            f"application {name} is neither Helm nor Kustomize; the image updater can only "
            "update Helm parameters or Kustomize images"
        )
    return None, kind


def application_patch(app: Mapping[str, Any], changes: Sequence[Change]) -> dict[str, Any]:
    """A JSON merge patch setting ``changes`` on the Application (``write-back-method:
    argocd``)."""
    index, kind = _target_source(app)
    spec = app.get("spec") or {}
    if index is None:
        return {"spec": {"source": updated_source(spec.get("source") or {}, kind, changes)}}
    sources = [dict(s) for s in spec["sources"]]
    sources[index] = updated_source(sources[index], kind, changes)
    return {"spec": {"sources": sources}}


def source_file_name(app_name: str, app_namespace: str, control_namespace: str) -> str:
    """``.argocd-source-<app>.yaml``, or ``.argocd-source-<ns>_<app>.yaml`` for an
    Application outside the control-plane namespace."""
    if app_namespace and app_namespace != control_namespace:
        return f".argocd-source-{app_namespace}_{app_name}.yaml"
    return f".argocd-source-{app_name}.yaml"


def source_file(existing: str | None, kind: str, changes: Sequence[Change]) -> str:
    """The new content of the ``.argocd-source`` file (other keys kept)."""
    doc = yaml.safe_load(existing) if existing and existing.strip() else {}
    if not isinstance(doc, dict):
        raise WriteBackError("the existing .argocd-source file is not a YAML mapping")
    updated = updated_source(doc, kind, changes)
    return yaml.safe_dump(updated, sort_keys=False, default_flow_style=False)


def _normal(name: str) -> str:
    # docker.io/library/nginx, docker.io/nginx and nginx are one image.
    for prefix in ("docker.io/", "index.docker.io/"):
        if name.startswith(prefix):
            name = name[len(prefix) :]
    return name.removeprefix("library/")


@dataclass(frozen=True)
class KustomizeTarget:
    """The image name an override must be keyed by, and where that name came from."""

    name: str
    where: str


def kustomize_target(spec: ImageSpec, kustomization_images: Sequence[Any]) -> KustomizeTarget:
    """The name to key ``spec``'s override by, given the kustomization's ``images:``.

    A kustomization that renames an image (``name: app`` → ``newName: registry/x/app``) leaves
    ``app`` in the manifests, so an override keyed by the watched ``registry/x/app`` would
    change nothing. This finds the entry that produces the watched image and keys by its
    ``name`` — the override that actually wins — unless ``kustomize.image-name`` says otherwise.
    """
    if spec.target.kustomize_name:
        return KustomizeTarget(spec.target.kustomize_name, "the kustomize.image-name setting")
    watched = _normal(spec.image.name)
    for entry in kustomization_images:
        if not isinstance(entry, Mapping) or not entry.get("name"):
            continue
        produced = _normal(str(entry.get("newName") or entry["name"]))
        if produced == watched and _normal(str(entry["name"])) != watched:
            return KustomizeTarget(
                str(entry["name"]),
                f"the kustomization's images entry {entry['name']!r}, which renames it to "
                f"{entry.get('newName')!r}",
            )
    return KustomizeTarget(spec.image.name, "the image name itself")
