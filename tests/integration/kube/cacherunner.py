"""Runs a ClusterCache on its own event-loop thread so tests can drive real kubectl meanwhile."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import httpx

from kaiun.kube import ClusterConfig, KubeClient
from kaiun.kube.cache import Backoff, CacheEvent, CacheSettings, CacheStatus, ClusterCache

T = TypeVar("T")


class CacheRunner:
    """A started cache plus the events it published, readable from the test thread."""

    def __init__(
        self,
        config: ClusterConfig,
        settings: CacheSettings | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        **kw: Any,
    ):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.events: list[CacheEvent] = []
        self._lock = threading.Lock()
        kw.setdefault("backoff", Backoff(0.05, 0.5))

        async def build() -> ClusterCache:
            client = await KubeClient.connect(config, transport=transport, request_timeout=10)
            cache = ClusterCache(client, settings, **kw)
            cache.subscribe(self._record)
            await cache.start()
            return cache

        self.cache = self.call(build())

    def _record(self, event: CacheEvent) -> None:
        with self._lock:
            self.events.append(event)

    def seen(self, predicate: Callable[[CacheEvent], bool]) -> list[CacheEvent]:
        """Events so far that match ``predicate``."""
        with self._lock:
            return [e for e in self.events if predicate(e)]

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        """Run ``coro`` on the cache's loop and wait (bounded) for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def sync(self, fn: Callable[[], T]) -> T:
        """Evaluate ``fn`` on the cache's loop (the cache is not thread-safe)."""

        async def wrapped() -> T:
            return fn()

        return self.call(wrapped())

    def wait_synced(self, timeout: float = 30) -> CacheStatus:
        """Block until the initial list of every kind is done."""
        return self.call(self.cache.wait_synced(timeout), timeout + 5)

    def close(self) -> None:
        """Stop the cache, its client and the loop."""

        async def shutdown() -> None:
            await self.cache.stop()
            await self.cache.client.aclose()
            # Transports of connections cancelled mid-handshake close in a later loop
            # iteration; let them run before the loop stops for good.
            await asyncio.sleep(0.1)

        try:
            self.call(shutdown(), 30)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()
