"""Errors of the diff room.

DiffError
├── IgnoreRuleError   an ignoreDifferences rule cannot be used (bad pointer or jq)
└── DiffInputError    the objects to compare are unusable (e.g. bad last-applied JSON)
"""

from __future__ import annotations


class DiffError(Exception):
    """Base of every error raised by ``kaiun.diff``."""


class IgnoreRuleError(DiffError):
    """An ignoreDifferences rule is invalid; the message names the rule and the fix."""


class DiffInputError(DiffError):
    """An object handed to the diff cannot be compared."""
