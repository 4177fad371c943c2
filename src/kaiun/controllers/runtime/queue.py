"""A de-duplicating, delaying, rate-limited work queue (client-go's workqueue, in asyncio).

A key is queued at most once; a key added while a worker holds it is processed again after
``done``; ``add_after`` schedules a key (an earlier schedule wins); ``add_rate_limited``
delays by a per-key exponential backoff that ``forget`` resets.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


class QueueShutDown(Exception):
    """``get`` on a queue that was shut down."""


class WorkQueue(Generic[K]):
    """Keys waiting for a worker; each key at most once, never to two workers at once."""

    def __init__(self, *, base_delay: float = 0.005, max_delay: float = 300.0) -> None:
        self._queue: deque[K] = deque()
        self._queued: set[K] = set()
        self._processing: set[K] = set()
        self._dirty: set[K] = set()
        self._timers: dict[K, tuple[float, asyncio.TimerHandle]] = {}
        self._failures: dict[K, int] = {}
        self._ready = asyncio.Event()
        self._shutdown = False
        self._base = base_delay
        self._max = max_delay

    def __len__(self) -> int:
        return len(self._queue)

    def add(self, key: K) -> None:
        """Queue ``key`` now (no-op when already queued)."""
        if self._shutdown:
            return
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer[1].cancel()
        if key in self._processing:
            self._dirty.add(key)
            return
        if key not in self._queued:
            self._queued.add(key)
            self._queue.append(key)
            self._ready.set()

    def add_after(self, key: K, delay: float) -> None:
        """Queue ``key`` after ``delay`` seconds (an earlier pending schedule wins)."""
        if delay <= 0:
            self.add(key)
            return
        loop = asyncio.get_running_loop()
        when = loop.time() + delay
        current = self._timers.get(key)
        if current is not None:
            if current[0] <= when:
                return
            current[1].cancel()
        handle = loop.call_at(when, self._fire, key)
        self._timers[key] = (when, handle)

    def _fire(self, key: K) -> None:
        self._timers.pop(key, None)
        self.add(key)

    def add_rate_limited(self, key: K) -> float:
        """Queue ``key`` after its backoff (doubling per failure); returns the delay."""
        n = self._failures.get(key, 0)
        self._failures[key] = n + 1
        delay = float(min(self._base * 2.0**n, self._max))
        self.add_after(key, delay)
        return delay

    def forget(self, key: K) -> None:
        """Reset ``key``'s backoff (it succeeded)."""
        self._failures.pop(key, None)

    def scheduled(self, key: K) -> bool:
        """Whether ``key`` waits on a timer."""
        return key in self._timers

    async def get(self) -> K:
        """The next key; the caller must call ``done(key)`` when finished."""
        while not self._queue:
            if self._shutdown:
                raise QueueShutDown
            self._ready.clear()
            await self._ready.wait()
        if self._shutdown:
            raise QueueShutDown
        key = self._queue.popleft()
        self._queued.discard(key)
        self._processing.add(key)
        return key

    def done(self, key: K) -> None:
        """A worker finished ``key``; re-queue it if it was added meanwhile."""
        self._processing.discard(key)
        if key in self._dirty:
            self._dirty.discard(key)
            self.add(key)

    def shutdown(self) -> None:
        """Wake every waiting worker with ``QueueShutDown`` and drop timers."""
        self._shutdown = True
        for _, handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        self._ready.set()
