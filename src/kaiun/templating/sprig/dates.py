"""Sprig's date functions. The room reads no clock: ``now``/``ago`` use an injected clock,
and "Local" time is the ``local`` zone given to :func:`functions` (UTC by default)."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Any

from kaiun.templating import timefmt
from kaiun.templating.errors import FuncError
from kaiun.templating.gotemplate.funcs import Func
from kaiun.templating.values import Clock, Duration, GoTime, Int64

_UNIT_NS = {"ns": 1, "us": 10**3, "µs": 10**3, "μs": 10**3, "ms": 10**6, "s": 10**9}
_UNIT_NS.update({"m": 60 * 10**9, "h": 3600 * 10**9})
_DUR_PART = re.compile(r"(\d*\.?\d*)(ns|us|µs|μs|ms|s|m|h)")


def parse_duration(s: str) -> Duration:
    """Go's ``time.ParseDuration`` (``1h30m``, ``1.5s``, ``-300ms``)."""
    text = s
    sign = 1
    if text and text[0] in "+-":
        sign = -1 if text[0] == "-" else 1
        text = text[1:]
    if text == "0":
        return Duration(0)
    if not text:
        raise FuncError(f'time: invalid duration "{s}"')
    total = 0.0
    pos = 0
    while pos < len(text):
        m = _DUR_PART.match(text, pos)
        if m is None or m.group(1) in ("", "."):
            raise FuncError(f'time: invalid duration "{s}"')
        total += float(m.group(1)) * _UNIT_NS[m.group(2)]
        pos = m.end()
    return Duration(sign * round(total))


def _zone(name: str, local: dt.tzinfo) -> dt.tzinfo:
    if name in ("", "UTC"):
        return dt.UTC
    if name == "Local":
        return local
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


class DateFuncs:
    """Binds the date functions to a clock and a local zone."""

    def __init__(self, clock: Clock | None, local: dt.tzinfo) -> None:
        self.clock = clock
        self.local = local

    def now(self) -> GoTime:
        if self.clock is None:
            raise FuncError("no clock: the caller must inject one to use now/ago")
        return self.clock()

    def to_time(self, date: Any) -> GoTime:
        if isinstance(date, GoTime):
            return date
        if isinstance(date, int) and not isinstance(date, bool):
            return GoTime(dt.datetime.fromtimestamp(int(date), dt.UTC))
        return self.now()

    def format(self, fmt: str, date: Any, zone: str = "Local") -> str:
        return self.to_time(date).In(_zone(zone, self.local)).Format(fmt)

    def to_date(self, fmt: str, s: str) -> GoTime:
        try:
            when, nanos = timefmt.parse_time(fmt, s, self.local)
        except timefmt.LayoutError:
            return GoTime(dt.datetime(1, 1, 1, tzinfo=dt.UTC))
        return GoTime(when, nanos)

    def must_to_date(self, fmt: str, s: str) -> GoTime:
        try:
            when, nanos = timefmt.parse_time(fmt, s, self.local)
        except timefmt.LayoutError as exc:
            raise FuncError(str(exc)) from None
        return GoTime(when, nanos)

    def ago(self, date: Any) -> str:
        return self.now().Sub(self.to_time(date)).Round(Duration(10**9)).String()

    def duration_round(self, d: Any) -> str:
        if isinstance(d, str):
            try:
                ns = parse_duration(d).ns
            except FuncError:
                ns = 0
        elif isinstance(d, Int64):
            ns = int(d)
        elif isinstance(d, GoTime):
            ns = self.now().Sub(d).ns
        else:
            ns = 0
        u = abs(ns)
        hour = 3600 * 10**9
        for size, unit in (
            (hour * 24 * 365, "y"), (hour * 24 * 30, "mo"), (hour * 24, "d"),
            (hour, "h"), (60 * 10**9, "m"), (10**9, "s"),
        ):  # fmt: skip
            if u > size:
                return f"{u // size}{unit}"
        return "0s"

    def table(self) -> dict[str, Func]:
        return {
            "now": Func(self.now, ()),
            "date": Func(self.format, ("str", "any")),
            "dateInZone": Func(self.format, ("str", "any", "str")),
            "date_in_zone": Func(self.format, ("str", "any", "str")),
            "htmlDate": Func(lambda d: self.format("2006-01-02", d), ("any",)),
            "htmlDateInZone": Func(lambda d, z: self.format("2006-01-02", d, z), ("any", "str")),
            "dateModify": Func(_date_modify, ("str", "time")),
            "toDate": Func(self.to_date, ("str", "str")),
            "mustToDate": Func(self.must_to_date, ("str", "str")),
            "unixEpoch": Func(lambda d: str(d.Unix()), ("time",)),
            "ago": Func(self.ago, ("any",)),
            "duration": Func(_duration, ("any",)),
            "durationRound": Func(self.duration_round, ("any",)),
        }


def _date_modify(fmt: str, date: GoTime) -> GoTime:
    try:
        return date.Add(parse_duration(fmt))
    except FuncError:
        return date


def _duration(sec: Any) -> str:
    n = 0
    if isinstance(sec, str):
        try:
            n = int(sec, 10)
        except ValueError:
            n = 0
    elif isinstance(sec, Int64):
        n = int(sec)
    return Duration(n * 10**9).String()
