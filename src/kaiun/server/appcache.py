"""The API server's in-memory copy of the namespace's Applications (Argo CD's appLister).

Fed by the shared watch (``kaiun.server.watchhub``): one list, then watch events, and a relist
after the watch breaks (410 Gone, a dropped connection). Reads (list, get, the stream's first
snapshot) are served from here instead of listing the whole fleet per request.

Read-your-writes: the server's own writes pass their response object to ``observe`` (or
``forget`` for a delete), so the next read sees them before the watch delivers the event. A
``floor`` per name remembers that write's resourceVersion; watch events for that name at or
below it are older than what the cache holds and are not applied (a late MODIFIED must not
resurrect a deleted app, nor roll back a newer one). Cached dicts are shared with readers and
never mutated: every change replaces the whole object.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

App = dict[str, Any]


def resource_version(obj: App) -> int | None:
    """The object's resourceVersion as a number, or None when it is not one.

    Kubernetes calls resourceVersions opaque; every real store (etcd, the local cluster) hands
    out increasing integers, and an unparsable one is simply never compared.
    """
    raw = (obj.get("metadata") or {}).get("resourceVersion")
    return _as_int(raw) if isinstance(raw, str) else None


def _name(obj: App) -> str | None:
    name = (obj.get("metadata") or {}).get("name")
    return name if isinstance(name, str) and name else None


class AppCache:
    """Applications by name, plus whether the first list has completed."""

    def __init__(self) -> None:
        self._apps: dict[str, App] = {}
        self._sorted: list[App] | None = None
        self._floors: dict[str, int] = {}
        self._ready = asyncio.Event()
        self.resource_version = ""

    @property
    def ready(self) -> bool:
        """Whether the first list has completed."""
        return self._ready.is_set()

    async def wait_ready(self, seconds: float) -> bool:
        """Wait up to ``seconds`` for the first list; whether it completed."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), seconds)
        return self._ready.is_set()

    def get(self, name: str) -> App | None:
        """The cached Application (shared: do not mutate), or None."""
        return self._apps.get(name)

    def items(self) -> list[App]:
        """Every cached Application sorted by name (a new list of shared dicts)."""
        if self._sorted is None:
            self._sorted = [self._apps[n] for n in sorted(self._apps)]
        return list(self._sorted)

    def __len__(self) -> int:
        return len(self._apps)

    # -- fed by the watch -----------------------------------------------------------------

    def replace_all(self, items: list[App], rv: str) -> list[dict[str, Any]]:
        """Install a fresh list; the events a subscriber needs to go from the old to the new."""
        listed_rv = _as_int(rv)
        fresh: dict[str, App] = {}
        for obj in items:
            name = _name(obj)
            if name is not None:
                fresh[name] = obj
        # Our own writes newer than the list stay as the cache knows them.
        for name, floor in list(self._floors.items()):
            if listed_rv is not None and floor <= listed_rv:
                del self._floors[name]
            elif name in self._apps:
                fresh[name] = self._apps[name]
            else:
                fresh.pop(name, None)
        events: list[dict[str, Any]] = []
        if self._ready.is_set():
            for name, obj in fresh.items():
                old = self._apps.get(name)
                if old is None:
                    events.append({"type": "ADDED", "object": obj})
                elif old is not obj and resource_version(old) != resource_version(obj):
                    events.append({"type": "MODIFIED", "object": obj})
            for name, old in self._apps.items():
                if name not in fresh:
                    events.append({"type": "DELETED", "object": old})
        self._apps, self._sorted = fresh, None
        self.resource_version = rv
        self._ready.set()
        return events

    def apply(self, event: dict[str, Any]) -> None:
        """Apply one watch event (ADDED, MODIFIED, DELETED)."""
        obj = event.get("object") or {}
        name = _name(obj)
        rv = resource_version(obj)
        raw_rv = (obj.get("metadata") or {}).get("resourceVersion")
        if isinstance(raw_rv, str) and raw_rv:
            self.resource_version = raw_rv
        if name is None:
            return
        floor = self._floors.get(name)
        if floor is not None and rv is not None:
            if rv <= floor:
                return  # the cache already holds this write's outcome or a newer one
            del self._floors[name]
        kind = event.get("type")
        if kind == "DELETED":
            if self._apps.pop(name, None) is not None:
                self._sorted = None
        elif kind in ("ADDED", "MODIFIED"):
            self._apps[name] = obj
            self._sorted = None

    # -- the server's own writes ----------------------------------------------------------

    def observe(self, obj: App) -> None:
        """Apply a write's response object if it is newer than what is cached."""
        name, rv = _name(obj), resource_version(obj)
        if name is None or not self.ready:
            return
        cached = self._apps.get(name)
        cached_rv = resource_version(cached) if cached is not None else None
        if rv is not None and cached_rv is not None and rv <= cached_rv:
            return
        if rv is not None and rv <= self._floors.get(name, -1):
            return
        self._apps[name] = obj
        self._sorted = None
        if rv is not None:
            self._floors[name] = rv

    def forget(self, name: str, rv: int | None) -> None:
        """Drop an app the server has just deleted (``rv``: the deleted object's version)."""
        if not self.ready:
            return
        if self._apps.pop(name, None) is not None:
            self._sorted = None
        if rv is not None:
            self._floors[name] = max(rv, self._floors.get(name, -1))


def _as_int(raw: str) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None
