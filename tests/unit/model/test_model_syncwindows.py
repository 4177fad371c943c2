"""Sync windows: a fixture table of Argo CD's verdicts at given instants, plus parsing."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from kaiun.model.appproject import AppProject
from kaiun.model.syncwindows import (
    SyncWindow,
    SyncWindowError,
    active_windows,
    parse_duration,
    sync_permitted,
)

CASES = yaml.safe_load((Path(__file__).parent / "fixtures" / "syncwindow_cases.yaml").read_text())
APP = {
    "app_name": "guestbook",
    "namespace": "guestbook",
    "server": "https://kubernetes.default.svc",
    "cluster_name": "in-cluster",
}


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _project(windows: list[dict[str, Any]]) -> AppProject:
    return AppProject.from_dict({"metadata": {"name": "p"}, "spec": {"syncWindows": windows}})


ROWS = [
    pytest.param(case, row, id=f"{case['name']}: {row[0]} manual={row[1]}")
    for case in CASES
    for row in case["checks"]
]


@pytest.mark.parametrize(("case", "row"), ROWS)
def test_sync_window_verdicts(case: dict[str, Any], row: list[Any]) -> None:
    now, manual, allowed, active = _at(row[0]), row[1], row[2], row[3]
    proj = _project(case["windows"])
    ok, reason = sync_permitted(proj, **APP, now=now, manual=manual)
    assert ok is allowed
    assert (reason == "") is allowed
    if not allowed:
        assert reason.startswith("blocked by sync window")
    assert len(active_windows(proj, **APP, now=now)) == active


def test_active_windows_are_in_argo_cd_shape() -> None:
    window = {
        "kind": "deny",
        "schedule": "0 22 * * *",
        "duration": "1h",
        "applications": ["*"],
        "manualSync": True,
        "timeZone": "UTC",
    }
    got = active_windows(_project([window]), **APP, now=_at("2026-11-22T22:10:00Z"))
    assert got == [window]


def test_naive_now_is_utc() -> None:
    proj = _project(
        [{"kind": "deny", "schedule": "0 22 * * *", "duration": "1h", "applications": ["*"]}]
    )
    ok, _ = sync_permitted(proj, **APP, now=datetime(2026, 11, 22, 22, 30), manual=False)
    assert not ok


def test_sync_overrun() -> None:
    deny = {"kind": "deny", "schedule": "0 22 * * *", "duration": "1h", "applications": ["*"]}
    started_before = _at("2026-11-22T21:59:00Z")
    now = _at("2026-11-22T22:10:00Z")
    proj = _project([deny])
    assert not sync_permitted(
        proj, **APP, now=now, manual=False, operation_started_at=started_before
    )[0]
    proj = _project([{**deny, "syncOverrun": True}])
    assert sync_permitted(proj, **APP, now=now, manual=False, operation_started_at=started_before)[
        0
    ]
    # A sync that started after the deny window opened gets no overrun.
    late = _at("2026-11-22T22:05:00Z")
    assert not sync_permitted(proj, **APP, now=now, manual=False, operation_started_at=late)[0]

    allow = {"kind": "allow", "schedule": "0 22 * * *", "duration": "1h", "applications": ["*"]}
    after_close = _at("2026-11-22T23:30:00Z")
    inside = _at("2026-11-22T22:50:00Z")
    proj = _project([allow])
    assert not sync_permitted(
        proj, **APP, now=after_close, manual=False, operation_started_at=inside
    )[0]
    proj = _project([{**allow, "syncOverrun": True}])
    assert sync_permitted(proj, **APP, now=after_close, manual=False, operation_started_at=inside)[
        0
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1h", timedelta(hours=1)),
        ("30m", timedelta(minutes=30)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1.5h", timedelta(hours=1, minutes=30)),
        ("90s", timedelta(seconds=90)),
        ("500ms", timedelta(milliseconds=500)),
        ("0", timedelta(0)),
        ("16h", timedelta(hours=16)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "1", "1d", "h", "1h 30m", "abc"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(SyncWindowError, match="cannot parse duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("window", "fragment"),
    [
        ({"kind": "maybe"}, "kind 'maybe' mismatch: can only be allow or deny"),
        ({"schedule": "0 22 * *"}, "cannot parse schedule '0 22 * *'"),
        ({"schedule": "0 0 22 * * *"}, "cannot parse schedule"),
        ({"schedule": "@daily"}, "cannot parse schedule"),
        ({"schedule": "0 25 * * *"}, "cannot parse schedule"),
        ({"duration": "forever"}, "cannot parse duration 'forever'"),
        ({"timeZone": "Mars/Olympus"}, "cannot parse timezone 'Mars/Olympus'"),
        ({"applications": []}, "requires one of application, cluster or namespace"),
    ],
)
def test_window_validation(window: dict[str, Any], fragment: str) -> None:
    base = {"kind": "allow", "schedule": "0 22 * * *", "duration": "1h", "applications": ["*"]}
    w = SyncWindow.from_dict({**base, **window})
    with pytest.raises(SyncWindowError, match=fragment.replace("*", r"\*")):
        w.validate()


def test_round_trip_keeps_unknown_fields() -> None:
    d = {"kind": "allow", "schedule": "0 1 * * *", "duration": "1h", "clusters": ["a"], "future": 1}
    assert SyncWindow.from_dict(d).to_dict() == d


def test_aware_now_in_another_zone() -> None:
    proj = _project(
        [{"kind": "deny", "schedule": "0 22 * * *", "duration": "1h", "applications": ["*"]}]
    )
    tokyo_now = _at("2026-11-22T22:30:00Z").astimezone(timezone(timedelta(hours=9)))
    assert not sync_permitted(proj, **APP, now=tokyo_now, manual=False)[0]
