"""``allow-tags`` and ``ignore-tags`` (pure).

``allow-tags`` is ``regexp:<Go regular expression>`` (matched anywhere in the tag, as Go's
``MatchString`` does) or ``any``; an unparsable value matches no tag, as in Image Updater, and
says why. ``ignore-tags`` is a list of shell globs (Go's ``filepath.Match``), ``*`` ignoring
every tag.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

from kaiun.templating import goregex


@dataclass(frozen=True)
class AllowTags:
    """A compiled ``allow-tags`` value; ``pattern`` is None for "every tag"."""

    text: str
    pattern: re.Pattern[str] | None
    error: str = ""

    def allows(self, tag: str) -> bool:
        """Whether ``tag`` passes."""
        if self.error:
            return False
        return self.pattern is None or self.pattern.search(tag) is not None


def allow_tags(text: str) -> AllowTags:
    """Compile an ``allow-tags`` value."""
    value = text.strip()
    if value in ("", "any"):
        return AllowTags(text, None)
    if value.startswith("regexp:"):
        value = value[len("regexp:") :]
    else:
        return AllowTags(
            text, None, f"allow-tags {text!r} must be 'any' or 'regexp:<pattern>'; no tag matches"
        )
    try:
        return AllowTags(text, goregex.compile_go(value))
    except (goregex.RegexError, re.error) as exc:
        return AllowTags(
            text, None, f"allow-tags {text!r} is not a valid regexp ({exc}); no tag matches"
        )


def ignored_by(tag: str, globs: tuple[str, ...]) -> str:
    """The first glob in ``globs`` that ignores ``tag``, or ``""``."""
    for glob in globs:
        if fnmatch.fnmatchcase(tag, _go_glob(glob)):
            return glob
    return ""


def _go_glob(glob: str) -> str:
    # filepath.Match negates a class with "^"; fnmatch with "!".
    return glob.replace("[^", "[!")


def split_list(text: str) -> tuple[str, ...]:
    """A comma-separated annotation value as a tuple of trimmed, non-empty items."""
    return tuple(item.strip() for item in text.split(",") if item.strip())
