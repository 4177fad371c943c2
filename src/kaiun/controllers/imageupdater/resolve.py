"""Turning raw settings into the resolved model (pure), for both configuration models.

Shared by :mod:`annotations` (0.x) and :mod:`resource` (1.x): an image-list entry plus the
inherited :class:`UpdateSettings` become an :class:`ImageSpec`; a write-back method, branch
and target become a :class:`WriteBack`. Values Image Updater tolerates with a warning (an
unknown strategy falls back to semver; an invalid ``allow-tags`` matches nothing) are kept as
warnings on the spec, never dropped silently.
"""

from __future__ import annotations

from kaiun.controllers.imageupdater import imageref, tagfilter
from kaiun.controllers.imageupdater.errors import ConfigError
from kaiun.controllers.imageupdater.model import (
    TARGET_KINDS,
    ImageSpec,
    ManifestTarget,
    Platform,
    Strategy,
    UpdateSettings,
    WriteBack,
    strategy_named,
)


def platform(text: str) -> Platform:
    """Parse ``os/arch[/variant]``."""
    parts = text.strip().split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise ConfigError(f"invalid platform {text!r}: use os/arch[/variant], e.g. linux/amd64")
    return Platform(*parts)


def image(
    alias: str,
    entry: str,
    settings: UpdateSettings,
    target: ManifestTarget | None = None,
    *,
    bare_regexp: bool = False,
) -> ImageSpec:
    """Resolve one watched image: ``entry`` is ``name[:constraint]``."""
    ref = imageref.parse(entry)
    warnings: list[str] = []
    strategy = Strategy.SEMVER
    if settings.update_strategy:
        named = strategy_named(settings.update_strategy)
        if named is None:
            warnings.append(
                f"unknown update-strategy {settings.update_strategy!r}; using semver "
                "(valid: semver, newest-build, alphabetical, digest; old names latest, name)"
            )
        else:
            strategy = named
    allow = (settings.allow_tags or "").strip()
    if bare_regexp and allow not in ("", "any") and not allow.startswith("regexp:"):
        allow = f"regexp:{allow}"
    compiled = tagfilter.allow_tags(allow)
    if compiled.error:
        warnings.append(compiled.error)
    if ref.digest and strategy is not Strategy.DIGEST:
        warnings.append(f"image {entry!r} is pinned by digest; it will not be updated")
    return ImageSpec(
        alias=alias,
        image=ref.with_tag("", ref.digest),
        constraint=ref.tag,
        strategy=strategy,
        force_update=bool(settings.force_update),
        allow_tags=allow,
        ignore_tags=settings.ignore_tags or (),
        pull_secret=settings.pull_secret or "",
        platforms=tuple(platform(p) for p in settings.platforms or ()),
        target=target or ManifestTarget(),
        warnings=tuple(warnings),
    )


def write_back(method: str, branch: str = "", target: str = "", repository: str = "") -> WriteBack:
    """Resolve ``write-back-method``, ``git-branch``, ``write-back-target`` and
    ``git-repository``."""
    method = method.strip() or "argocd"
    creds = ""
    if method.startswith("git:"):
        method, creds = "git", method[len("git:") :]
        if creds != "repocreds" and not _is_secret_ref(creds):
            raise ConfigError(
                f"write-back-method git:{creds!r} is not valid: use git, git:repocreds or "
                "git:secret:<namespace>/<name>"
            )
    if method not in ("argocd", "git"):
        raise ConfigError(f"write-back-method {method!r} is not valid: use argocd or git")
    base, _, target_branch = branch.strip().partition(":")
    kind, _, path = target.strip().partition(":")
    if kind and kind not in TARGET_KINDS:
        raise ConfigError(
            f"write-back-target {target!r} is not valid: use kustomization[:<path>] or "
            "helmvalues[:<path>]"
        )
    return WriteBack(
        method=method,
        git_credentials=creds,
        git_repository=repository.strip(),
        base_branch=base,
        target_branch=target_branch,
        target_kind=kind,
        target_path=path,
    )


def _is_secret_ref(text: str) -> bool:
    if not text.startswith("secret:"):
        return False
    ns, _, name = text[len("secret:") :].partition("/")
    return bool(ns and name)
