"""Deciding, per watched image, whether an Application gets a new image (pure).

The running images come from the Application's ``status.summary.images``. As in Image
Updater, a watched image that is not running in the application is skipped unless
``force-update`` is set; a running image is updated when the chosen tag differs (or, for the
``digest`` strategy, when the digest behind the tag moved). Every decision carries a message
for the application's image updater record — never a silent no-op.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kaiun.controllers.imageupdater import imageref, strategies
from kaiun.controllers.imageupdater.argocdwriteback import Change
from kaiun.controllers.imageupdater.errors import ConfigError
from kaiun.controllers.imageupdater.imageref import ImageRef
from kaiun.controllers.imageupdater.model import ImageSpec, Strategy
from kaiun.controllers.imageupdater.strategies import Choice


class Action(enum.Enum):
    """What happens to one watched image in one cycle."""

    UPDATE = "update"
    UP_TO_DATE = "up-to-date"
    SKIPPED = "skipped"
    ERROR = "error"


@dataclass(frozen=True)
class Decision:
    """The outcome for one watched image, with the message for the record."""

    spec: ImageSpec
    action: Action
    message: str
    current: ImageRef | None = None
    change: Change | None = None
    # How many tags the registry listed and how many passed the filters (None: not checked).
    tags_found: int | None = None
    candidates: int | None = None


def _normal(ref: ImageRef) -> tuple[str, str]:
    registry = ref.registry
    repository = ref.repository
    if not registry or imageref.is_docker_hub(registry):
        registry = imageref.DOCKER_HUB
        repository = imageref.api_repository(repository, default_namespace="library")
    return registry, repository


def live_images(app: Mapping[str, Any]) -> list[ImageRef]:
    """The images the Application runs (``status.summary.images``); unparsable ones are left
    out."""
    found = []
    for text in ((app.get("status") or {}).get("summary") or {}).get("images") or []:
        try:
            found.append(imageref.parse(str(text)))
        except ConfigError:
            continue
    return found


def running(spec: ImageSpec, live: Sequence[ImageRef]) -> ImageRef | None:
    """The running image ``spec`` watches (same registry and repository), if any."""
    wanted = _normal(spec.image)
    return next((ref for ref in live if _normal(ref) == wanted), None)


def _differs(spec: ImageSpec, current: ImageRef, choice: Choice) -> bool:
    if spec.strategy is Strategy.DIGEST:
        # Compare what runs by digest; an image running by tag alone is pinned once.
        return not current.digest or current.digest != choice.digest
    return strategies.needs_update(choice, current_tag=current.tag, current_digest=current.digest)


def decide(
    spec: ImageSpec, live: Sequence[ImageRef], choice: Choice | None, error: str = ""
) -> Decision:
    """The decision for one watched image given the check's ``choice`` (or ``error``)."""
    current = running(spec, live)
    if current is None and not spec.force_update:
        return Decision(
            spec,
            Action.SKIPPED,
            f"{spec.image.name} is not running in this application (set force-update to "
            "write it anyway)",
        )
    if error or choice is None:
        return Decision(spec, Action.ERROR, error or "the registry was not checked", current)
    if choice.tag is None:
        return Decision(spec, Action.SKIPPED, f"no update: {choice.reason}", current)
    if current is not None and not _differs(spec, current, choice):
        return Decision(spec, Action.UP_TO_DATE, f"already at {current}", current)
    change = Change(spec, choice.tag, choice.digest)
    was = str(current) if current else "not running"
    return Decision(
        spec, Action.UPDATE, f"{was} → {spec.image.name}:{change.pinned} ({choice.reason})",
        current, change,
    )  # fmt: skip
