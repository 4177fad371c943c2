"""Go values: durations, time layouts, quoting and JSON round trips."""

from __future__ import annotations

import datetime as dt
import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaiun.templating import gofmt, timefmt
from kaiun.templating.errors import FuncError
from kaiun.templating.gotemplate.literals import unquote
from kaiun.templating.sprig import parse_duration
from kaiun.templating.sprig.encoding import go_json
from kaiun.templating.values import Duration, GoTime

S = 10**9


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (0, "0s"), (1, "1ns"), (1500, "1.5µs"), (2_500_000, "2.5ms"), (S, "1s"),
        (90 * S, "1m30s"), (3600 * S, "1h0m0s"), (3725 * S + S // 2, "1h2m5.5s"),
        (-61 * S, "-1m1s"), (100 * 3600 * S, "100h0m0s"),
    ],
)  # fmt: skip
def test_duration_string(ns: int, text: str) -> None:
    assert Duration(ns).String() == text


@pytest.mark.parametrize(
    ("text", "ns"),
    [("1h30m", 5400 * S), ("1.5h", 5400 * S), ("-300ms", -300_000_000), ("0", 0),
     ("2h45m30.5s", 9930 * S + S // 2), ("1us", 1000), ("1µs", 1000)],
)  # fmt: skip
def test_parse_duration(text: str, ns: int) -> None:
    assert parse_duration(text).ns == ns


@pytest.mark.parametrize("bad", ["", "1", "h", "1x", "--1h", "."])
def test_parse_duration_rejects(bad: str) -> None:
    with pytest.raises(FuncError, match="time: invalid duration"):
        parse_duration(bad)


WHEN = dt.datetime(2006, 1, 2, 15, 4, 5, 123456, tzinfo=dt.timezone(dt.timedelta(hours=-7)))


@pytest.mark.parametrize(
    ("layout", "text"),
    [
        ("2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05-07:00"),
        ("Mon Jan _2 15:04:05 MST 2006", "Mon Jan  2 15:04:05 -0700 2006"),
        ("Monday, January 2, 2006 3:04PM", "Monday, January 2, 2006 3:04PM"),
        ("06/1/2 03:04:05.000", "06/1/2 03:04:05.123"),
        ("15:04:05.999999999", "15:04:05.123456"),
        ("2006-01-02 -0700 Z0700 -07", "2006-01-02 -0700 -0700 -07"),
        ("002 __2 pm", "002   2 pm"),
        ("Janet", "Janet"),
    ],
)
def test_format_layouts(layout: str, text: str) -> None:
    assert timefmt.format_time(WHEN, 123456000, layout) == text


def test_parse_round_trips_rfc3339() -> None:
    layout = "2006-01-02T15:04:05.999999999Z07:00"
    when, nanos = timefmt.parse_time(layout, "2024-05-01T10:20:30.5+09:00", dt.UTC)
    assert GoTime(when, nanos).Format(layout) == "2024-05-01T10:20:30.5+09:00"
    assert GoTime(when, nanos).UTC().Format(layout) == "2024-05-01T01:20:30.5Z"


def test_parse_rejects_garbage() -> None:
    with pytest.raises(timefmt.LayoutError, match="cannot parse"):
        timefmt.parse_time("2006-01-02", "May 1st", dt.UTC)


def test_time_arithmetic() -> None:
    a = GoTime(dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    b = a.Add(Duration(90 * S))
    assert b.Sub(a) == Duration(90 * S)
    assert a.Before(b) and b.After(a) and not a.Equal(b)
    assert b.Sub(a).Minutes() == 1.5


@given(st.text())
def test_quote_then_unquote_is_identity(s: str) -> None:
    assert unquote(gofmt.quote(s)) == s


json_values = st.recursive(
    st.none() | st.booleans() | st.text() | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_go_json_is_valid_json_of_the_same_value(value: object) -> None:
    assert json.loads(go_json(value), parse_int=float) == _floats(value)


def _floats(v: object) -> object:
    if isinstance(v, list):
        return [_floats(x) for x in v]
    if isinstance(v, dict):
        return {k: _floats(x) for k, x in v.items()}
    return v


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_shortest_float_round_trips(f: float) -> None:
    assert float(gofmt.format_float(f)) == f or (f == 0 and math.copysign(1, f) < 0)
