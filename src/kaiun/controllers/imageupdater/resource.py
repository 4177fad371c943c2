"""Image Updater 1.x configuration: the ``ImageUpdater`` resource (pure).

``argocd-image-updater.argoproj.io/v1alpha1`` ``ImageUpdater``: ``spec.applicationRefs`` select
Applications (in the resource's namespace) by name glob and label selector; settings inherit
``spec`` → application ref → image (``commonUpdateSettings``), write-back ``spec`` → ref
(``writeBackConfig``). A ref with ``useAnnotations: true`` reads the images from the
Application's 0.x annotations instead.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kaiun.controllers.imageupdater import appannotations, resolve
from kaiun.controllers.imageupdater.errors import ConfigError
from kaiun.controllers.imageupdater.model import (
    AppImages,
    HelmTarget,
    ManifestTarget,
    UpdateSettings,
    WriteBack,
)

API_VERSION = "argocd-image-updater.argoproj.io/v1alpha1"
KIND = "ImageUpdater"


@dataclass(frozen=True)
class AppRef:
    """One ``applicationRefs`` entry with its settings already layered over ``spec``'s."""

    name_pattern: str
    selector: Mapping[str, Any] | None
    use_annotations: bool
    settings: UpdateSettings
    write_back: Mapping[str, str]
    images: tuple[Mapping[str, Any], ...]

    def selects(self, name: str, labels: Mapping[str, str]) -> bool:
        """Whether the Application called ``name`` with ``labels`` is matched."""
        return fnmatch.fnmatchcase(name, self.name_pattern) and selector_matches(
            self.selector, labels
        )


@dataclass(frozen=True)
class UpdaterResource:
    """A parsed ``ImageUpdater``."""

    name: str
    namespace: str
    refs: tuple[AppRef, ...]

    def for_application(self, app: Mapping[str, Any]) -> AppImages | None:
        """The configuration the first matching ref gives Application ``app``, or None."""
        meta = app.get("metadata") or {}
        labels = meta.get("labels") or {}
        for ref in self.refs:
            if ref.selects(str(meta.get("name", "")), labels):
                return _app_images(ref, meta.get("annotations") or {})
        return None


def selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """A Kubernetes ``LabelSelector`` (matchLabels and matchExpressions)."""
    if not selector:
        return True
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        present = key in labels
        if op == "In" and not (present and labels[key] in values):
            return False
        if op == "NotIn" and present and labels[key] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
        if op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            raise ConfigError(f"label selector operator {op!r} is not valid")
    return True


def _settings(raw: Any) -> UpdateSettings:
    if not raw:
        return UpdateSettings()
    if not isinstance(raw, Mapping):
        raise ConfigError("commonUpdateSettings must be a mapping")
    ignore, platforms = raw.get("ignoreTags"), raw.get("platforms")
    force = raw.get("forceUpdate")
    return UpdateSettings(
        update_strategy=raw.get("updateStrategy"),
        force_update=None if force is None else bool(force),
        allow_tags=raw.get("allowTags"),
        ignore_tags=None if ignore is None else tuple(str(t) for t in ignore),
        pull_secret=raw.get("pullSecret"),
        platforms=None if platforms is None else tuple(str(p) for p in platforms),
    )


def _write_back(raw: Any) -> dict[str, str]:
    if not raw:
        return {}
    git = raw.get("gitConfig") or {}
    found = {
        "method": raw.get("method"),
        "repository": git.get("repository"),
        "branch": git.get("branch"),
        "target": git.get("writeBackTarget"),
    }
    return {k: str(v) for k, v in found.items() if v is not None}


def _target(raw: Any) -> ManifestTarget | None:
    if not raw:
        return None
    helm, kustomize = raw.get("helm"), raw.get("kustomize")
    if helm and kustomize:
        raise ConfigError("manifestTargets takes exactly one of helm or kustomize")
    if helm:
        default = HelmTarget()
        return ManifestTarget(
            helm=HelmTarget(
                name=helm.get("name") or default.name,
                tag=helm.get("tag") or default.tag,
                spec=helm.get("spec") or "",
            )
        )
    return ManifestTarget(kustomize_name=(kustomize or {}).get("name"))


def _app_images(ref: AppRef, app_annotations: Mapping[str, str]) -> AppImages | None:
    wb = ref.write_back
    write_back = resolve.write_back(
        wb.get("method", ""), wb.get("branch", ""), wb.get("target", ""), wb.get("repository", "")
    )
    if ref.use_annotations:
        found = appannotations.parse(app_annotations)
        if found is None:
            return None
        return AppImages(found.images, write_back if wb else found.write_back)
    images = []
    for raw in ref.images:
        alias, name = raw.get("alias"), raw.get("imageName")
        if not alias or not name:
            raise ConfigError("every images entry needs alias and imageName")
        own = _settings(raw.get("commonUpdateSettings"))
        images.append(
            resolve.image(
                str(alias),
                str(name),
                own.over(ref.settings),
                _target(raw.get("manifestTargets")),
                bare_regexp=True,
            )
        )
    return AppImages(tuple(images), write_back if wb else WriteBack())


def parse(obj: Mapping[str, Any]) -> UpdaterResource:
    """Parse an ``ImageUpdater`` object."""
    if obj.get("kind") != KIND:
        raise ConfigError(f"expected kind {KIND}, got {obj.get('kind')!r}")
    meta, spec = obj.get("metadata") or {}, obj.get("spec") or {}
    top = _settings(spec.get("commonUpdateSettings"))
    top_wb = _write_back(spec.get("writeBackConfig"))
    refs = []
    for raw in spec.get("applicationRefs") or []:
        pattern = raw.get("namePattern")
        if not pattern:
            raise ConfigError(f"ImageUpdater {meta.get('name')}: applicationRefs need namePattern")
        use = bool(raw.get("useAnnotations", False))
        images = tuple(raw.get("images") or ())
        if not images and not use:
            raise ConfigError(
                f"ImageUpdater {meta.get('name')}: applicationRef {pattern!r} lists no images "
                "(add images or set useAnnotations: true)"
            )
        refs.append(
            AppRef(
                name_pattern=str(pattern),
                selector=raw.get("labelSelectors"),
                use_annotations=use,
                settings=_settings(raw.get("commonUpdateSettings")).over(top),
                write_back={**top_wb, **_write_back(raw.get("writeBackConfig"))},
                images=images,
            )
        )
    return UpdaterResource(str(meta.get("name", "")), str(meta.get("namespace", "")), tuple(refs))
