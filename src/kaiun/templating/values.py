"""The Go value model the evaluators share: how Python values stand for Go values.

``None`` is nil, ``str`` string, ``bool`` bool, ``int`` int, :class:`Int64` int64, ``float``
float64, ``dict`` ``map[string]interface {}``, ``list``/``tuple`` ``[]interface {}``.
:class:`GoTime` and :class:`Duration` stand for ``time.Time`` and ``time.Duration`` and carry
the Go methods templates and triggers call on them (``.Format``, ``.Sub``, ``.Minutes`` ...).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from kaiun.templating import timefmt


class Int64(int):
    """An ``int64`` (what Sprig's arithmetic returns), distinct from Go's ``int``."""

    __slots__ = ()


class Uint8(int):
    """A byte (``uint8``): what indexing a string yields."""

    __slots__ = ()


def type_name(value: Any) -> str:
    """Go's ``%T`` of a value."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, Int64):
        return "int64"
    if isinstance(value, Uint8):
        return "uint8"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "map[string]interface {}"
    if isinstance(value, list | tuple):
        return "[]interface {}"
    if isinstance(value, GoTime):
        return "time.Time"
    if isinstance(value, Duration):
        return "time.Duration"
    if isinstance(value, bytes):
        return "[]uint8"
    if callable(value):
        return "func"
    return type(value).__name__


def truth(value: Any) -> bool:
    """Go template truthiness: zero values and empty collections are false."""
    if value is None:
        return False
    if isinstance(value, bool | int | float | str | bytes | list | tuple | Mapping):
        return bool(value)
    if isinstance(value, Duration):
        return value.ns != 0
    return True


_UNITS = ((3600 * 10**9, "h"), (60 * 10**9, "m"))


class Duration:
    """A ``time.Duration``: a signed count of nanoseconds."""

    __slots__ = ("ns",)

    def __init__(self, ns: int) -> None:
        self.ns = int(ns)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Duration) and other.ns == self.ns

    def __lt__(self, other: Duration) -> bool:
        return self.ns < other.ns

    def __le__(self, other: Duration) -> bool:
        return self.ns <= other.ns

    def __hash__(self) -> int:
        return hash(self.ns)

    def __repr__(self) -> str:
        return f"Duration({self.String()})"

    def Hours(self) -> float:
        """Hours as a float."""
        return self.ns / 3.6e12

    def Minutes(self) -> float:
        """Minutes as a float."""
        return self.ns / 6e10

    def Seconds(self) -> float:
        """Seconds as a float."""
        return self.ns / 1e9

    def Milliseconds(self) -> int:
        """Whole milliseconds."""
        return int(self.ns / 1e6)

    def Nanoseconds(self) -> int:
        """Nanoseconds."""
        return self.ns

    def Round(self, m: Duration) -> Duration:
        """Round to a multiple of ``m`` (halfway away from zero)."""
        if m.ns <= 0:
            return self
        q, r = divmod(abs(self.ns), m.ns)
        if 2 * r >= m.ns:
            q += 1
        return Duration(q * m.ns if self.ns >= 0 else -q * m.ns)

    def Truncate(self, m: Duration) -> Duration:
        """Round toward zero to a multiple of ``m``."""
        if m.ns <= 0:
            return self
        return Duration(self.ns - int(abs(self.ns) % m.ns) * (1 if self.ns >= 0 else -1))

    def String(self) -> str:
        """Go's ``Duration.String``: ``1h2m3.5s``, ``150ms``, ``0s``."""
        ns = self.ns
        if ns == 0:
            return "0s"
        sign = "-" if ns < 0 else ""
        ns = abs(ns)
        if ns < 10**9:
            for unit, size in (("ns", 1), ("µs", 10**3), ("ms", 10**6)):
                if ns < size * 1000:
                    return sign + _frac(ns, size) + unit
        out = ""
        for size, unit in _UNITS:
            if ns >= size:
                out += f"{ns // size}{unit}"
                ns %= size
            elif out:
                out += f"0{unit}"
        return sign + out + _frac(ns, 10**9) + "s"

    def __str__(self) -> str:
        return self.String()


def _frac(ns: int, size: int) -> str:
    whole, rest = divmod(ns, size)
    if not rest:
        return str(whole)
    digits = str(rest).rjust(len(str(size)) - 1, "0").rstrip("0")
    return f"{whole}.{digits}"


class GoTime:
    """A ``time.Time``: an aware datetime plus nanoseconds, with Go's methods."""

    __slots__ = ("dt", "nanos")

    def __init__(self, when: dt.datetime, nanos: int | None = None) -> None:
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        self.dt = when
        self.nanos = when.microsecond * 1000 if nanos is None else nanos

    def _ns_epoch(self) -> int:
        base = self.dt.replace(microsecond=0)
        return int(base.timestamp()) * 10**9 + self.nanos

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GoTime) and other._ns_epoch() == self._ns_epoch()

    def __lt__(self, other: GoTime) -> bool:
        return self._ns_epoch() < other._ns_epoch()

    def __le__(self, other: GoTime) -> bool:
        return self._ns_epoch() <= other._ns_epoch()

    def __hash__(self) -> int:
        return hash(self._ns_epoch())

    def __repr__(self) -> str:
        return f"GoTime({self.String()})"

    def Format(self, layout: str) -> str:
        """Format with a Go reference layout (``2006-01-02T15:04:05Z07:00``)."""
        return timefmt.format_time(self.dt, self.nanos, layout)

    def String(self) -> str:
        """Go's default ``Time.String`` layout."""
        return self.Format("2006-01-02 15:04:05.999999999 -0700 MST")

    def __str__(self) -> str:
        return self.String()

    def Sub(self, other: GoTime) -> Duration:
        """The duration ``self - other``."""
        return Duration(self._ns_epoch() - other._ns_epoch())

    def Add(self, d: Duration) -> GoTime:
        """The time ``self + d``."""
        total = self.nanos + d.ns
        secs, nanos = divmod(total, 10**9)
        moved = self.dt.replace(microsecond=0) + dt.timedelta(seconds=secs)
        return GoTime(moved.replace(microsecond=nanos // 1000), nanos)

    def UTC(self) -> GoTime:
        """The same instant in UTC."""
        return GoTime(self.dt.astimezone(dt.UTC), self.nanos)

    def In(self, tz: dt.tzinfo) -> GoTime:
        """The same instant in another zone."""
        return GoTime(self.dt.astimezone(tz), self.nanos)

    def Unix(self) -> Int64:
        """Seconds since the epoch."""
        return Int64(self._ns_epoch() // 10**9)

    def UnixNano(self) -> Int64:
        """Nanoseconds since the epoch."""
        return Int64(self._ns_epoch())

    def Before(self, other: GoTime) -> bool:
        """Whether ``self`` is before ``other``."""
        return self < other

    def After(self, other: GoTime) -> bool:
        """Whether ``self`` is after ``other``."""
        return other < self

    def Equal(self, other: GoTime) -> bool:
        """Whether both are the same instant."""
        return self == other

    def IsZero(self) -> bool:
        """Whether this is Go's zero time (year 1, UTC)."""
        return self.dt.year == 1 and self.dt.month == 1 and self.dt.day == 1 and not self.nanos

    def Year(self) -> int:
        """The year."""
        return self.dt.year


Clock = Callable[[], GoTime]
"""An injected source of "now"; the pure room never reads the system clock itself."""
