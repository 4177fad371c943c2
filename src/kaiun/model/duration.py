"""Go ``time.Duration`` strings (``5s``, ``3m``, ``1h30m``, ``250ms``) as Argo CD reads them.

Argo CD parses ``retry.backoff.duration``, ``timeout.reconciliation`` and similar settings with
Go's ``time.ParseDuration``; a bare number is taken as seconds, as Argo CD does for those keys.
"""

from __future__ import annotations

import re

_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


class DurationError(ValueError):
    """A duration string that Go's ``time.ParseDuration`` would refuse too."""


def parse_duration(text: str | int | float) -> float:
    """Seconds in a Go duration string (``"1m30s"`` → 90.0); a bare number is seconds."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        return float(text)
    value = str(text).strip()
    try:
        return float(value)
    except ValueError:
        return parse_go_duration(value)


def parse_go_duration(text: str) -> float:
    """Seconds in a duration exactly as Go's ``time.ParseDuration`` reads it: units are
    required (``"0"`` alone excepted), a leading sign is allowed."""
    value = text.strip()
    if not value:
        raise DurationError("empty duration")
    sign = -1.0 if value.startswith("-") else 1.0
    body = value[1:] if value[:1] in "+-" else value
    if body == "0":
        return 0.0
    total, pos = 0.0, 0
    for match in _PART.finditer(body):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(body) or pos == 0:
        raise DurationError(f"invalid duration {value!r} (expected e.g. 5s, 3m, 1h30m)")
    return sign * total
