"""Choosing the tag an image should run (pure).

Two phases, so the caller fetches only the metadata it needs: :func:`candidates` applies the
tag filters and the strategy's own rule (semver constraint, the digest strategy's tag) to the
bare tag list; :func:`choose` picks among the candidates, using :class:`TagMetadata` (creation
time, digest, platforms) for ``newest-build`` and ``digest``. Both say why every tag that lost
was dropped, so ``kaiun image-updater test`` can explain its pick.

Semantic versions and constraints are Masterminds/semver's (shared with Sprig's
``semverCompare``); pre-releases are excluded unless the constraint itself names one.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from kaiun.controllers.imageupdater import tagfilter
from kaiun.controllers.imageupdater.errors import ConstraintError
from kaiun.controllers.imageupdater.model import ImageSpec, Platform, Strategy
from kaiun.templating.errors import FuncError
from kaiun.templating.sprig import semver

_TERM = re.compile(r"(?:=>|=<|>=|<=|!=|~>|[=<>~^])?\s*v?[\dxX*][^\s,|]*")
_RANGE = re.compile(r"(\S+)\s+-\s+(\S+)")
DEFAULT_DIGEST_TAG = "latest"


@dataclass(frozen=True)
class ImageVariant:
    """One platform image behind a tag (a plain manifest is a single variant)."""

    os: str
    arch: str
    variant: str = ""
    created: dt.datetime | None = None
    digest: str = ""


@dataclass(frozen=True)
class TagMetadata:
    """What a registry says about one tag: its manifest digest and platform images."""

    tag: str
    digest: str
    variants: tuple[ImageVariant, ...] = ()

    def matching(self, platforms: tuple[Platform, ...]) -> tuple[ImageVariant, ...]:
        """The variants serving any of ``platforms`` (all of them when none is asked for)."""
        if not platforms:
            return self.variants
        return tuple(
            v for v in self.variants if any(p.matches(v.os, v.arch, v.variant) for p in platforms)
        )

    def created(self, platforms: tuple[Platform, ...]) -> dt.datetime | None:
        """The newest creation time among the matching variants."""
        times = [v.created for v in self.matching(platforms) if v.created is not None]
        return max(times) if times else None


@dataclass(frozen=True)
class Candidates:
    """Tags still in the running after the filters, and why the others were dropped."""

    tags: tuple[str, ...]
    dropped: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Choice:
    """The outcome: ``tag`` (None when nothing qualifies), its digest, and the reasoning."""

    tag: str | None
    digest: str
    reason: str
    dropped: Mapping[str, str] = field(default_factory=dict)


def validate_constraint(constraint: str) -> None:
    """Raise :class:`ConstraintError` unless ``constraint`` is a Masterminds constraint."""
    for group in constraint.split("||"):
        body = _RANGE.sub(lambda m: f"{m.group(1)}, {m.group(2)}", group)
        if not body.strip() or _TERM.sub("", body).strip(" \t,"):
            raise ConstraintError(
                f"cannot parse version constraint {constraint!r}: use a semver constraint "
                "such as '1.2.x', '~1.26', '^2.0' or '>=1.0, <2.0'"
            )
    try:
        semver.check(constraint, "0.0.0")
    except FuncError:
        raise ConstraintError(
            f"cannot parse version constraint {constraint!r}: use a semver constraint "
            "such as '1.2.x', '~1.26', '^2.0' or '>=1.0, <2.0'"
        ) from None


def needs_metadata(strategy: Strategy) -> bool:
    """Whether the strategy reads manifests (creation times, digests, platforms)."""
    return strategy in (Strategy.NEWEST_BUILD, Strategy.DIGEST)


def candidates(spec: ImageSpec, tags: Iterable[str]) -> Candidates:
    """Apply allow/ignore filters and the strategy's own rule to a tag list."""
    allow = tagfilter.allow_tags(spec.allow_tags)
    if spec.strategy is Strategy.SEMVER and spec.constraint:
        validate_constraint(spec.constraint)
    digest_tag = spec.constraint or DEFAULT_DIGEST_TAG
    kept: list[str] = []
    dropped: dict[str, str] = {}
    for tag in tags:
        glob = tagfilter.ignored_by(tag, spec.ignore_tags)
        if glob:
            dropped[tag] = f"ignored by ignore-tags {glob!r}"
        elif not allow.allows(tag):
            dropped[tag] = allow.error or f"not allowed by allow-tags {spec.allow_tags!r}"
        elif spec.strategy is Strategy.DIGEST and tag != digest_tag:
            dropped[tag] = f"not the tag {digest_tag!r} the digest strategy follows"
        elif spec.strategy is Strategy.SEMVER:
            why = _semver_rejects(tag, spec.constraint)
            if why:
                dropped[tag] = why
            else:
                kept.append(tag)
        else:
            kept.append(tag)
    return Candidates(tuple(kept), dropped)


def _semver_rejects(tag: str, constraint: str) -> str:
    try:
        version = semver.parse_version(tag)
    except FuncError:
        return "not a semantic version"
    if not constraint:
        return (
            "a pre-release (give a constraint naming one, e.g. '>=1.0.0-0')" if version.pre else ""
        )
    if not semver.check(constraint, tag):
        if version.pre:
            return f"a pre-release, which constraint {constraint!r} does not admit"
        return f"outside constraint {constraint!r}"
    return ""


def choose(
    spec: ImageSpec, found: Candidates, metadata: Mapping[str, TagMetadata] | None = None
) -> Choice:
    """Pick the tag the strategy prefers among ``found`` (``metadata`` for newest-build and
    digest, keyed by tag)."""
    dropped = dict(found.dropped)
    tags = list(found.tags)
    if needs_metadata(spec.strategy):
        tags = _with_platform(spec, tags, metadata or {}, dropped)
    if not tags:
        return Choice(None, "", _nothing(spec, dropped), dropped)
    if spec.strategy is Strategy.SEMVER:
        best = max(tags, key=functools.cmp_to_key(_semver_cmp))
        why = f"highest semantic version{_within(spec)} among {len(tags)} candidate(s)"
    elif spec.strategy is Strategy.ALPHABETICAL:
        best = max(tags)
        why = f"last in alphabetical order among {len(tags)} candidate(s)"
    elif spec.strategy is Strategy.NEWEST_BUILD:
        meta = metadata or {}
        epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
        best = max(tags, key=lambda t: (meta[t].created(spec.platforms) or epoch, t))
        created = meta[best].created(spec.platforms)
        when = created.isoformat() if created else "unknown time"
        why = f"most recently built ({when}) among {len(tags)} candidate(s)"
    else:
        best = tags[0]
        why = f"the current digest of tag {best!r}"
    digest = (metadata or {}).get(best, TagMetadata(best, "")).digest
    return Choice(best, digest, why, dropped)


def _with_platform(
    spec: ImageSpec, tags: list[str], metadata: Mapping[str, TagMetadata], dropped: dict[str, str]
) -> list[str]:
    kept = []
    for tag in tags:
        meta = metadata.get(tag)
        if meta is None:
            dropped[tag] = "no manifest could be read"
        elif not meta.matching(spec.platforms):
            wanted = ", ".join(str(p) for p in spec.platforms)
            dropped[tag] = f"no image for platform {wanted}"
        else:
            kept.append(tag)
    return kept


def _semver_cmp(a: str, b: str) -> int:
    return semver.compare(semver.parse_version(a), semver.parse_version(b)) or (a > b) - (a < b)


def _within(spec: ImageSpec) -> str:
    return f" within {spec.constraint!r}" if spec.constraint else ""


def _nothing(spec: ImageSpec, dropped: Mapping[str, str]) -> str:
    if not dropped:
        return "the registry lists no tags for this image"
    return f"no tag qualifies for strategy {spec.strategy.value}: {len(dropped)} tag(s) dropped"


def needs_update(choice: Choice, *, current_tag: str, current_digest: str = "") -> bool:
    """Whether running ``current_tag``/``current_digest`` differs from the choice."""
    if choice.tag is None:
        return False
    if choice.tag != current_tag:
        return True
    return bool(choice.digest and current_digest and choice.digest != current_digest)
