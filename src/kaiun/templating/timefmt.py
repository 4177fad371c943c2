"""Go's reference-time layouts (``Mon Jan 2 15:04:05 MST 2006``): format and parse.

Used by Sprig's ``date``/``toDate`` and by the ``Format``/``Parse`` methods notification
templates and triggers call. Parsing returns an aware datetime plus nanoseconds.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

_MONTHS = [
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
]  # fmt: skip
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

_ZONES = (
    "Z07:00:00", "Z070000", "Z07:00", "Z0700", "Z07",
    "-07:00:00", "-070000", "-07:00", "-0700", "-07",
)  # fmt: skip
_FIXED = (
    "January", "Monday", "2006", "Jan", "Mon", "MST", "002", "__2", "_2",
    "01", "02", "03", "04", "05", "06", "15", "PM", "pm",
    "1", "2", "3", "4", "5",
)  # fmt: skip


class LayoutError(ValueError):
    """A value does not match the layout it is parsed with."""


@lru_cache(maxsize=256)
def _chunks(layout: str) -> tuple[tuple[bool, str], ...]:
    """Split a layout into (is_token, text) chunks, the way Go's ``nextStdChunk`` does."""
    out: list[tuple[bool, str]] = []
    lit = ""
    i = 0
    while i < len(layout):
        tok = _token_at(layout, i)
        if tok is None:
            lit += layout[i]
            i += 1
            continue
        if lit:
            out.append((False, lit))
            lit = ""
        out.append((True, tok))
        i += len(tok)
    if lit:
        out.append((False, lit))
    return tuple(out)


def _token_at(layout: str, i: int) -> str | None:
    rest = layout[i:]
    if rest[0] in ".," and len(rest) > 1 and rest[1] in "09":
        j = 1
        while j < len(rest) and rest[j] == rest[1]:
            j += 1
        if j == len(rest) or not rest[j].isdigit():
            return rest[:j]
        return None
    if rest.startswith("_2006"):
        return None
    for z in _ZONES:
        if rest.startswith(z):
            return z
    for tok in _FIXED:
        if rest.startswith(tok):
            # "Jan"/"Mon" only count when not followed by a lower-case letter ("Janet").
            if tok in ("Jan", "Mon") and len(rest) > 3 and rest[3].islower():
                return None
            return tok
    return None


def _zone_abbrev(when: dt.datetime) -> str:
    name = when.tzname() or ""
    off = when.utcoffset() or dt.timedelta(0)
    if isinstance(when.tzinfo, dt.timezone) and when.tzinfo is not dt.UTC:
        name = ""
    if not name or name.startswith(("UTC+", "UTC-")):
        if not off:
            return "UTC"
        return _offset(off, "-0700", False)
    return name


def _offset(off: dt.timedelta, tok: str, z: bool) -> str:
    secs = int(off.total_seconds())
    if z and secs == 0:
        return "Z"
    sign = "-" if secs < 0 else "+"
    secs = abs(secs)
    hh, mm, ss = secs // 3600, secs // 60 % 60, secs % 60
    body = tok.lstrip("Z-")
    if body == "07":
        return f"{sign}{hh:02d}"
    if body == "0700":
        return f"{sign}{hh:02d}{mm:02d}"
    if body == "07:00":
        return f"{sign}{hh:02d}:{mm:02d}"
    if body == "070000":
        return f"{sign}{hh:02d}{mm:02d}{ss:02d}"
    return f"{sign}{hh:02d}:{mm:02d}:{ss:02d}"


def _format_token(when: dt.datetime, nanos: int, tok: str) -> str:
    if tok[0] in ".,":
        digits = f"{nanos:09d}"[: len(tok) - 1]
        if tok[1] == "9":
            digits = digits.rstrip("0")
            return tok[0] + digits if digits else ""
        return tok[0] + digits
    if tok[0] in "Z-":
        return _offset(when.utcoffset() or dt.timedelta(0), tok, tok[0] == "Z")
    h12 = when.hour % 12 or 12
    table: dict[str, str] = {
        "2006": f"{when.year:04d}",
        "06": f"{when.year % 100:02d}",
        "January": _MONTHS[when.month - 1],
        "Jan": _MONTHS[when.month - 1][:3],
        "01": f"{when.month:02d}",
        "1": str(when.month),
        "Monday": _DAYS[when.weekday()],
        "Mon": _DAYS[when.weekday()][:3],
        "02": f"{when.day:02d}",
        "_2": f"{when.day:2d}",
        "2": str(when.day),
        "002": f"{when.timetuple().tm_yday:03d}",
        "__2": f"{when.timetuple().tm_yday:3d}",
        "15": f"{when.hour:02d}",
        "03": f"{h12:02d}",
        "3": str(h12),
        "04": f"{when.minute:02d}",
        "4": str(when.minute),
        "05": f"{when.second:02d}",
        "5": str(when.second),
        "PM": "PM" if when.hour >= 12 else "AM",
        "pm": "pm" if when.hour >= 12 else "am",
    }
    if tok == "MST":
        return _zone_abbrev(when)
    return table[tok]


def format_time(when: dt.datetime, nanos: int, layout: str) -> str:
    """Format ``when`` (with ``nanos`` nanoseconds) using a Go layout."""
    return "".join(
        _format_token(when, nanos, text) if is_tok else text for is_tok, text in _chunks(layout)
    )


_PATTERNS: dict[str, str] = {
    "2006": r"(?P<year>\d{4})",
    "06": r"(?P<year2>\d{2})",
    "January": "(?P<month_name>" + "|".join(_MONTHS) + ")",
    "Jan": "(?P<month_abbr>" + "|".join(m[:3] for m in _MONTHS) + ")",
    "01": r"(?P<month>\d{2})",
    "1": r"(?P<month>\d{1,2})",
    "Monday": "(?:" + "|".join(_DAYS) + ")",
    "Mon": "(?:" + "|".join(d[:3] for d in _DAYS) + ")",
    "02": r"(?P<day>\d{2})",
    "_2": r" ?(?P<day>\d{1,2})",
    "2": r"(?P<day>\d{1,2})",
    "002": r"(?P<yday>\d{3})",
    "__2": r" {0,2}(?P<yday>\d{1,3})",
    "15": r"(?P<hour>\d{1,2})",
    "03": r"(?P<hour12>\d{2})",
    "3": r"(?P<hour12>\d{1,2})",
    "04": r"(?P<minute>\d{2})",
    "4": r"(?P<minute>\d{1,2})",
    "05": r"(?P<second>\d{2})",
    "5": r"(?P<second>\d{1,2})",
    "PM": r"(?P<ampm>AM|PM)",
    "pm": r"(?P<ampm>am|pm)",
    "MST": r"(?P<abbr>[A-Z]{3,4}|[+-]\d{4})",
}


@lru_cache(maxsize=256)
def _parse_regex(layout: str) -> re.Pattern[str]:
    parts: list[str] = []
    for is_tok, text in _chunks(layout):
        if not is_tok:
            parts.append(re.escape(text))
        elif text[0] in ".,":
            parts.append(r"(?:[.,](?P<frac>\d+))?" if text[1] == "9" else r"[.,](?P<frac>\d+)")
        elif text[0] in "Z-":
            z = "Z|" if text[0] == "Z" else ""
            parts.append(rf"(?P<zone>{z}[+-]\d{{2}}(?::?\d{{2}}(?::?\d{{2}})?)?)")
        else:
            parts.append(_PATTERNS[text])
    # A second occurrence of the same field would clash; Go allows it, layouts here do not.
    seen: dict[str, int] = {}

    def rename(m: re.Match[str]) -> str:
        name = m.group(1)
        seen[name] = seen.get(name, 0) + 1
        return f"(?P<{name}>" if seen[name] == 1 else f"(?P<{name}_{seen[name]}>"

    return re.compile(re.sub(r"\(\?P<(\w+)>", rename, "".join(parts)) + r"\Z")


def parse_time(layout: str, value: str, default_tz: dt.tzinfo) -> tuple[dt.datetime, int]:
    """Parse ``value`` with a Go layout; returns (aware datetime, nanoseconds)."""
    m = _parse_regex(layout).match(value)
    if m is None:
        raise LayoutError(f'parsing time "{value}" as "{layout}": cannot parse')
    g = {k: v for k, v in m.groupdict().items() if v is not None}
    year = int(g["year"]) if "year" in g else 0
    if "year2" in g:
        y2 = int(g["year2"])
        year = 1900 + y2 if y2 >= 69 else 2000 + y2
    month = int(g.get("month", 1))
    if "month_name" in g:
        month = _MONTHS.index(g["month_name"]) + 1
    if "month_abbr" in g:
        month = [m_[:3] for m_ in _MONTHS].index(g["month_abbr"]) + 1
    hour = int(g.get("hour", 0))
    if "hour12" in g:
        hour = int(g["hour12"]) % 12
    if g.get("ampm", "").lower() == "pm":
        hour += 12
    frac = g.get("frac", "")
    nanos = int((frac + "000000000")[:9]) if frac else 0
    tz = _zone(g.get("zone"), g.get("abbr"), default_tz)
    try:
        when = dt.datetime(
            year or 1,
            month,
            int(g.get("day", 1)),
            hour,
            int(g.get("minute", 0)),
            int(g.get("second", 0)),
            nanos // 1000,
            tzinfo=tz,
        )
    except ValueError as exc:
        raise LayoutError(f'parsing time "{value}": {exc}') from None
    return when, nanos


def _zone(zone: str | None, abbr: str | None, default: dt.tzinfo) -> dt.tzinfo:
    if zone is None:
        if abbr and abbr[0] in "+-":
            zone = abbr
        elif abbr == "UTC":
            return dt.UTC
        else:
            return default
    if zone == "Z":
        return dt.UTC
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    hh, mm, ss = int(digits[:2]), int(digits[2:4] or 0), int(digits[4:6] or 0)
    off = dt.timedelta(hours=hh, minutes=mm, seconds=ss) * sign
    return dt.UTC if not off else dt.timezone(off)
