"""In-process controllers' runtime: each reads the event log from its own cursor.

A controller is an object with ``resync()`` (called once at start), ``handle(event)`` (for
every write after that) and ``tick()`` (about twice a second, for time-driven progress). Its
writes go through ``Cluster`` like any client's, and an exception in one handler is logged
and skipped, never fatal to the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Protocol

from kaiun.localcluster.cluster import Cluster
from kaiun.localcluster.watchlog import GoneError, WatchEvent

log = logging.getLogger("kaiun.localcluster.controllers")
TICK = 0.5


class Controller(Protocol):
    def resync(self) -> None: ...

    def handle(self, event: WatchEvent) -> None: ...

    def tick(self) -> None: ...


async def run(cluster: Cluster, controllers: Sequence[Controller], stopping: asyncio.Event) -> None:
    """Drive every controller from the event log until ``stopping`` is set.

    One loop for all of them: a write wakes one task, not one per controller, and each
    controller still sees every event in resourceVersion order.
    """
    named = [(type(c).__name__, c) for c in controllers]
    cursor = cluster.store.rv
    for name, c in named:
        _safe(name, c.resync)
    log_ = cluster.store.events
    loop = asyncio.get_running_loop()
    next_tick = loop.time() + TICK
    while not stopping.is_set():
        try:
            events = log_.since(cursor)
        except GoneError:
            cursor = cluster.store.rv
            for name, c in named:
                _safe(name, c.resync)
            continue
        for ev in events:
            cursor = ev.rv
            for name, c in named:
                _safe(name, lambda c=c, ev=ev: c.handle(ev))
        if loop.time() >= next_tick:
            for name, c in named:
                _safe(name, c.tick)
            next_tick = loop.time() + TICK
        if log_.since(cursor):
            await asyncio.sleep(0)  # let requests in between bursts of controller writes
            continue
        # request_stop() wakes the log, so waiting on it alone also notices a stop.
        waiter = log_.waiter()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(0.0, next_tick - loop.time())):
                await waiter.wait()


def _safe(name: str, fn: object) -> None:
    try:
        fn()  # type: ignore[operator]
    except Exception:
        log.exception("controller %s failed; continuing", name)
