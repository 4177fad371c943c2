"""``AppCache``: watch events, the server's own writes and relists keep one consistent view."""

from __future__ import annotations

import asyncio
from typing import Any

from kaiun.server.appcache import AppCache


def _app(name: str, rv: int, **labels: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "resourceVersion": str(rv), "labels": labels}}


def _ready(*apps: dict[str, Any], rv: int = 10) -> AppCache:
    cache = AppCache()
    assert cache.replace_all(list(apps), str(rv)) == []  # the first list emits nothing
    return cache


def test_watch_events_add_modify_delete() -> None:
    cache = _ready(_app("b", 5), _app("a", 6))
    assert [a["metadata"]["name"] for a in cache.items()] == ["a", "b"]
    cache.apply({"type": "ADDED", "object": _app("c", 11)})
    cache.apply({"type": "MODIFIED", "object": _app("a", 12, team="x")})
    cache.apply({"type": "DELETED", "object": _app("b", 13)})
    assert [a["metadata"]["name"] for a in cache.items()] == ["a", "c"]
    assert cache.get("a") == _app("a", 12, team="x")
    assert cache.resource_version == "13"


def test_own_write_is_not_rolled_back_by_an_older_event() -> None:
    cache = _ready(_app("a", 5))
    cache.observe(_app("a", 20, v="new"))
    cache.apply({"type": "MODIFIED", "object": _app("a", 15, v="old")})  # in flight before
    assert cache.get("a") == _app("a", 20, v="new")
    cache.apply({"type": "MODIFIED", "object": _app("a", 20, v="new")})
    cache.apply({"type": "MODIFIED", "object": _app("a", 21, v="newer")})  # past the write
    assert cache.get("a") == _app("a", 21, v="newer")
    cache.observe(_app("a", 18, v="stale response"))  # an older answer never wins
    assert cache.get("a") == _app("a", 21, v="newer")


def test_own_delete_is_not_resurrected_by_a_late_event() -> None:
    cache = _ready(_app("a", 5))
    cache.forget("a", 9)
    cache.apply({"type": "MODIFIED", "object": _app("a", 8)})
    assert cache.get("a") is None
    # Recreated later (by anyone): a newer version is applied again.
    cache.apply({"type": "ADDED", "object": _app("a", 30)})
    assert cache.get("a") == _app("a", 30)


def test_relist_reports_what_changed_and_keeps_newer_own_writes() -> None:
    cache = _ready(_app("keep", 1), _app("gone", 2), _app("changed", 3))
    cache.observe(_app("mine", 40))
    events = cache.replace_all([_app("keep", 1), _app("changed", 25), _app("new", 26)], "30")
    summary = sorted((e["type"], e["object"]["metadata"]["name"]) for e in events)
    assert summary == [("ADDED", "new"), ("DELETED", "gone"), ("MODIFIED", "changed")]
    # The write at 40 is newer than the list at 30: the cache still holds it.
    assert [a["metadata"]["name"] for a in cache.items()] == ["changed", "keep", "mine", "new"]


def test_readers_get_a_new_list_and_cached_objects_stay_untouched() -> None:
    cache = _ready(_app("a", 1))
    listed = cache.items()
    listed.clear()
    assert len(cache.items()) == 1


def test_waiting_for_a_cache_that_never_lists_gives_up() -> None:
    assert asyncio.run(AppCache().wait_ready(0.05)) is False
