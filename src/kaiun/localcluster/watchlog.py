"""The in-memory history of writes that watches read from.

One log for the whole server, ordered by resourceVersion. Watchers keep a cursor and wait
on a shared wake-up, so a write costs one append whatever the number of watchers. A cursor
older than the retained window gets ``410 Gone``, as etcd compaction gives in Kubernetes.
"""

from __future__ import annotations

import asyncio
import bisect
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """One write, as watchers see it."""

    rv: int
    type: str
    skey: str
    ns: str
    name: str
    raw: bytes
    labels: dict[str, str]
    # Labels before the write, so selector watches can turn a relabel into ADDED/DELETED.
    old_labels: dict[str, str] | None


class GoneError(Exception):
    """The requested resourceVersion is older than the retained history."""

    def __init__(self, requested: int, oldest: int) -> None:
        super().__init__(f"too old resource version: {requested} ({oldest})")
        self.requested = requested
        self.oldest = oldest


class EventLog:
    """Append-only, bounded, resourceVersion-ordered list of ``WatchEvent``."""

    def __init__(self, *, capacity: int, start_rv: int = 0) -> None:
        self._capacity = capacity
        self._events: list[WatchEvent] = []
        self._rvs: list[int] = []
        # Every rv after this one is retained; a watch from exactly here misses nothing.
        self._floor = start_rv
        self._wake: asyncio.Event | None = None

    @property
    def floor(self) -> int:
        return self._floor

    def append(self, event: WatchEvent) -> None:
        self._events.append(event)
        self._rvs.append(event.rv)
        if len(self._events) > 2 * self._capacity:
            cut = len(self._events) - self._capacity
            self._floor = self._rvs[cut - 1]
            del self._events[:cut]
            del self._rvs[:cut]
        if self._wake is not None:
            self._wake.set()
            self._wake = None

    def since(self, rv: int) -> list[WatchEvent]:
        """Events with resourceVersion greater than ``rv``; ``GoneError`` if not retained."""
        if rv < self._floor:
            raise GoneError(rv, self._floor + 1)
        i = bisect.bisect_right(self._rvs, rv)
        return self._events[i:]

    def wake_all(self) -> None:
        """Wake every waiter without an event (a client left, or the server stops)."""
        if self._wake is not None:
            self._wake.set()
            self._wake = None

    def waiter(self) -> asyncio.Event:
        """An event set at the next append (shared by all current waiters)."""
        if self._wake is None:
            self._wake = asyncio.Event()
        return self._wake
