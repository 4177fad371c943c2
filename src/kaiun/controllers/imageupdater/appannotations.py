"""Image Updater 0.x configuration: ``argocd-image-updater.argoproj.io/*`` annotations (pure).

``image-list`` (required) names the images, ``[alias=]name[:constraint]`` separated by commas.
Settings are read per alias (``<alias>.update-strategy``) and fall back to the application-wide
annotation (``update-strategy``); Helm and Kustomize targets are per alias only.
"""

from __future__ import annotations

from collections.abc import Mapping

from kaiun.controllers.imageupdater import imageref, resolve, tagfilter
from kaiun.controllers.imageupdater.errors import ConfigError
from kaiun.controllers.imageupdater.model import (
    AppImages,
    HelmTarget,
    ManifestTarget,
    UpdateSettings,
)

PREFIX = "argocd-image-updater.argoproj.io/"
IMAGE_LIST = PREFIX + "image-list"
WRITE_BACK_METHOD = PREFIX + "write-back-method"
GIT_BRANCH = PREFIX + "git-branch"
GIT_REPOSITORY = PREFIX + "git-repository"
WRITE_BACK_TARGET = PREFIX + "write-back-target"


def _get(annotations: Mapping[str, str], key: str) -> str | None:
    value = annotations.get(PREFIX + key)
    return None if value is None else str(value).strip()


def _flag(text: str | None, key: str) -> bool | None:
    if text is None:
        return None
    lowered = text.lower()
    if lowered in ("true", "yes", "1"):
        return True
    if lowered in ("false", "no", "0", ""):
        return False
    raise ConfigError(f"annotation {PREFIX + key} must be true or false, got {text!r}")


def settings(annotations: Mapping[str, str], alias: str = "") -> UpdateSettings:
    """The update settings written for ``alias`` (``""``: the application-wide ones)."""
    pre = f"{alias}." if alias else ""
    ignore = _get(annotations, pre + "ignore-tags")
    platforms = _get(annotations, pre + "platforms")
    return UpdateSettings(
        update_strategy=_get(annotations, pre + "update-strategy"),
        force_update=_flag(_get(annotations, pre + "force-update"), pre + "force-update"),
        allow_tags=_get(annotations, pre + "allow-tags"),
        ignore_tags=None if ignore is None else tagfilter.split_list(ignore),
        pull_secret=_get(annotations, pre + "pull-secret"),
        platforms=None if platforms is None else tagfilter.split_list(platforms),
    )


def target(annotations: Mapping[str, str], alias: str) -> ManifestTarget:
    """The Helm parameter names and Kustomize image name written for ``alias``."""
    if not alias:
        return ManifestTarget()
    name = _get(annotations, f"{alias}.helm.image-name")
    tag = _get(annotations, f"{alias}.helm.image-tag")
    spec = _get(annotations, f"{alias}.helm.image-spec")
    helm = None
    if name or tag or spec:
        default = HelmTarget()
        helm = HelmTarget(name=name or default.name, tag=tag or default.tag, spec=spec or "")
    return ManifestTarget(
        helm=helm, kustomize_name=_get(annotations, f"{alias}.kustomize.image-name")
    )


def parse(annotations: Mapping[str, str]) -> AppImages | None:
    """The application's image updater configuration, or None without ``image-list``."""
    listing = annotations.get(IMAGE_LIST)
    if listing is None or not listing.strip():
        return None
    app_wide = settings(annotations)
    images = []
    seen: set[str] = set()
    for entry in tagfilter.split_list(listing):
        alias, name = imageref.split_alias(entry)
        if alias and alias in seen:
            raise ConfigError(f"annotation {IMAGE_LIST}: alias {alias!r} is used twice")
        seen.add(alias)
        own = settings(annotations, alias) if alias else UpdateSettings()
        images.append(resolve.image(alias, name, own.over(app_wide), target(annotations, alias)))
    write_back = resolve.write_back(
        annotations.get(WRITE_BACK_METHOD, ""),
        annotations.get(GIT_BRANCH, ""),
        annotations.get(WRITE_BACK_TARGET, ""),
        annotations.get(GIT_REPOSITORY, ""),
    )
    return AppImages(tuple(images), write_back)
