"""The helper namespaces Argo CD notifications put in a trigger's environment.

``time.Now()``, ``time.Parse(s)`` (RFC 3339) and ``strings.ReplaceAll/ToUpper/ToLower``; the
controller adds ``app``, ``appProject``, ``repo`` and friends itself.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from kaiun.templating import timefmt
from kaiun.templating.errors import FuncError
from kaiun.templating.values import Clock, Duration, GoTime

_RFC3339 = "2006-01-02T15:04:05.999999999Z07:00"


def parse_rfc3339(value: str) -> GoTime:
    """``time.Parse(time.RFC3339, value)``."""
    try:
        when, nanos = timefmt.parse_time(_RFC3339, value, dt.UTC)
    except timefmt.LayoutError as exc:
        raise FuncError(str(exc)) from None
    return GoTime(when, nanos)


def helpers(*, clock: Clock) -> dict[str, Any]:
    """``{"time": ..., "strings": ...}`` for a trigger or template environment."""

    def now() -> GoTime:
        return clock()

    return {
        "time": {
            "Now": now,
            "Parse": parse_rfc3339,
            "Duration": Duration,
            "Second": Duration(10**9),
            "Minute": Duration(60 * 10**9),
            "Hour": Duration(3600 * 10**9),
            "RFC3339": _RFC3339,
        },
        "strings": {
            "ReplaceAll": lambda s, old, new: s.replace(old, new),
            "ToUpper": lambda s: s.upper(),
            "ToLower": lambda s: s.lower(),
        },
    }
