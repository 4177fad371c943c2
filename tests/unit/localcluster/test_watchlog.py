"""The bounded watch history: ordering, replay and compaction to 410."""

from __future__ import annotations

import pytest

from kaiun.localcluster.watchlog import EventLog, GoneError, WatchEvent


def _event(rv: int) -> WatchEvent:
    return WatchEvent(
        rv=rv,
        type="ADDED",
        skey="/configmaps",
        ns="d",
        name=f"c{rv}",
        raw=b"{}",
        labels={},
        old_labels=None,
    )


def test_since_returns_newer_events_in_order() -> None:
    log = EventLog(capacity=10, start_rv=5)
    for rv in range(6, 12):
        log.append(_event(rv))
    assert [e.rv for e in log.since(8)] == [9, 10, 11]
    assert [e.rv for e in log.since(5)] == list(range(6, 12))
    assert log.since(11) == []


def test_compaction_turns_old_versions_into_gone() -> None:
    log = EventLog(capacity=3)
    for rv in range(1, 8):  # the 7th append exceeds 2x capacity and trims to 3
        log.append(_event(rv))
    assert [e.rv for e in log.since(log.floor)] == [5, 6, 7]
    with pytest.raises(GoneError) as info:
        log.since(1)
    assert "too old resource version: 1" in str(info.value)
