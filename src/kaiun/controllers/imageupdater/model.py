"""The image updater's internal configuration model (pure).

Both configuration models — Image Updater 0.x's Application annotations and 1.x's
``ImageUpdater`` resource — are read into these values, so everything downstream (strategies,
registry checks, write-back) sees one shape. Settings inherit resource → application → image:
:class:`UpdateSettings` holds optional fields and :meth:`UpdateSettings.over` layers them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TypeVar

from kaiun.controllers.imageupdater.imageref import ImageRef

_T = TypeVar("_T")


class Strategy(enum.Enum):
    """Update strategies by their 1.x names."""

    SEMVER = "semver"
    NEWEST_BUILD = "newest-build"
    ALPHABETICAL = "alphabetical"
    DIGEST = "digest"


# Old (0.x) names still accepted.
STRATEGY_ALIASES = {"latest": Strategy.NEWEST_BUILD, "name": Strategy.ALPHABETICAL}


def strategy_named(name: str) -> Strategy | None:
    """The strategy called ``name`` (1.x or old name), or None when unknown."""
    key = name.strip().lower()
    if key in STRATEGY_ALIASES:
        return STRATEGY_ALIASES[key]
    try:
        return Strategy(key)
    except ValueError:
        return None


@dataclass(frozen=True)
class Platform:
    """``os/arch[/variant]``."""

    os: str
    arch: str
    variant: str = ""

    def matches(self, os: str, arch: str, variant: str = "") -> bool:
        """Whether an image built for ``os/arch/variant`` serves this platform."""
        if (self.os, self.arch) != (os, arch):
            return False
        return not self.variant or self.variant == variant

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.arch, self.variant) if p)


@dataclass(frozen=True)
class UpdateSettings:
    """``commonUpdateSettings``; ``None`` means "inherit"."""

    update_strategy: str | None = None
    force_update: bool | None = None
    allow_tags: str | None = None
    ignore_tags: tuple[str, ...] | None = None
    pull_secret: str | None = None
    platforms: tuple[str, ...] | None = None

    def over(self, base: UpdateSettings) -> UpdateSettings:
        """These settings, with ``base`` filling in what they leave unset."""

        return UpdateSettings(
            update_strategy=_first(self.update_strategy, base.update_strategy),
            force_update=_first(self.force_update, base.force_update),
            allow_tags=_first(self.allow_tags, base.allow_tags),
            ignore_tags=_first(self.ignore_tags, base.ignore_tags),
            pull_secret=_first(self.pull_secret, base.pull_secret),
            platforms=_first(self.platforms, base.platforms),
        )


def _first(mine: _T | None, theirs: _T | None) -> _T | None:
    return theirs if mine is None else mine


@dataclass(frozen=True)
class HelmTarget:
    """Helm parameter names the image is written to (``spec`` wins when set)."""

    name: str = "image.name"
    tag: str = "image.tag"
    spec: str = ""


@dataclass(frozen=True)
class ManifestTarget:
    """Where in the Application's manifests an image is written."""

    helm: HelmTarget | None = None
    kustomize_name: str | None = None


@dataclass(frozen=True)
class ImageSpec:
    """One watched image with every setting resolved."""

    alias: str
    image: ImageRef
    constraint: str
    strategy: Strategy
    force_update: bool
    allow_tags: str
    ignore_tags: tuple[str, ...]
    pull_secret: str
    platforms: tuple[Platform, ...]
    target: ManifestTarget = field(default_factory=ManifestTarget)
    warnings: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """How messages name this image: its alias, else its name."""
        return self.alias or self.image.name


WRITE_BACK_METHODS = ("argocd", "git")
TARGET_KINDS = ("kustomization", "helmvalues")


@dataclass(frozen=True)
class WriteBack:
    """``write-back-method`` and its git settings.

    ``git_credentials`` is ``""`` (use Argo CD's repository credentials), ``repocreds`` or
    ``secret:<ns>/<name>``. ``base_branch``/``target_branch`` come from ``git-branch``'s
    ``base:target`` form; ``target_kind`` is ``""`` (write ``.argocd-source-<app>.yaml``),
    ``kustomization`` or ``helmvalues``.
    """

    method: str = "argocd"
    git_credentials: str = ""
    git_repository: str = ""
    base_branch: str = ""
    target_branch: str = ""
    target_kind: str = ""
    target_path: str = ""


@dataclass(frozen=True)
class AppImages:
    """Everything the updater does for one Application."""

    images: tuple[ImageSpec, ...]
    write_back: WriteBack = field(default_factory=WriteBack)
