"""Finding the customization (Lua health check, actions) that applies to a group and kind.

Keys are Argo CD's: ``Kind`` for the core group, ``group/Kind`` otherwise, and glob patterns
such as ``*.crossplane.io/*`` (only possible through the nested ``resource.customizations``
key, because ConfigMap keys cannot hold ``*``).
"""

from __future__ import annotations

from collections.abc import Mapping
from fnmatch import fnmatchcase
from typing import Protocol, TypeVar


class HealthOverride(Protocol):
    """What the health room needs from one resource customization."""

    @property
    def health_lua(self) -> str:
        """The Lua health script; empty when none is configured."""

    @property
    def use_open_libs(self) -> bool:
        """Whether the script may use the open libraries."""


T = TypeVar("T")


def override_key(group: str, kind: str) -> str:
    """The customization key for a group and kind (``Kind`` for the core group)."""
    return f"{group}/{kind}" if group else kind


def find_override(
    overrides: Mapping[str, T], group: str, kind: str, *, has: str = "health_lua"
) -> T | None:
    """The customization for ``group``/``kind``: the exact key first, then a glob key.

    Only customizations whose attribute ``has`` is non-empty count, so a wildcard health
    script is not hidden by an exact key that only sets ignoreDifferences.
    """
    key = override_key(group, kind)
    exact = overrides.get(key)
    if exact is not None and getattr(exact, has, None):
        return exact
    for pattern in sorted(overrides):
        if "*" in pattern or "?" in pattern:
            candidate = overrides[pattern]
            if getattr(candidate, has, None) and fnmatchcase(key, pattern):
                return candidate
    return None
