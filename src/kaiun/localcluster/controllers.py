"""In-process controllers' runtime: each reads the event log from its own cursor.

A controller is an object with ``resync()`` (called once at start), ``handle(event)`` (for
every write after that) and ``tick()`` (about twice a second, for time-driven progress). Its
writes go through ``Cluster`` like any client's, and an exception in one handler is logged
and skipped, never fatal to the server.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from kaiun.localcluster.cluster import Cluster
from kaiun.localcluster.watchlog import GoneError, WatchEvent

log = logging.getLogger("kaiun.localcluster.controllers")
TICK = 0.5


class Controller(Protocol):
    def resync(self) -> None: ...

    def handle(self, event: WatchEvent) -> None: ...

    def tick(self) -> None: ...


async def run(cluster: Cluster, controller: Controller, stopping: asyncio.Event) -> None:
    """Drive ``controller`` from the event log until ``stopping`` is set."""
    name = type(controller).__name__
    cursor = cluster.store.rv
    _safe(name, controller.resync)
    loop = asyncio.get_running_loop()
    next_tick = loop.time() + TICK
    while not stopping.is_set():
        try:
            events = cluster.store.events.since(cursor)
        except GoneError:
            cursor = cluster.store.rv
            _safe(name, controller.resync)
            continue
        for ev in events:
            cursor = ev.rv
            _safe(name, lambda ev=ev: controller.handle(ev))
        if loop.time() >= next_tick:
            _safe(name, controller.tick)
            next_tick = loop.time() + TICK
        if cluster.store.events.since(cursor):
            await asyncio.sleep(0)
            continue
        waiter = cluster.store.events.waiter()
        stop = asyncio.ensure_future(stopping.wait())
        wake = asyncio.ensure_future(waiter.wait())
        await asyncio.wait(
            {stop, wake},
            timeout=max(0.0, next_tick - loop.time()),
            return_when=asyncio.FIRST_COMPLETED,
        )
        stop.cancel()
        wake.cancel()


def _safe(name: str, fn: object) -> None:
    try:
        fn()  # type: ignore[operator]
    except Exception:
        log.exception("controller %s failed; continuing", name)
