"""The Reconciler protocol, its typed outcomes, and the worker pool that drives it.

A reconcile returns what should happen next instead of raising for control flow:
``Done`` (forget backoff), ``Requeue(after)`` (look again later), ``Transient(error)``
(retry with backoff) or ``Terminal(error)`` (log, do not retry until the key changes).
An exception escaping a reconciler is logged and treated as ``Transient``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from kaiun.controllers.runtime.queue import QueueShutDown, WorkQueue

log = logging.getLogger(__name__)
K = TypeVar("K", bound=Hashable)
K_contra = TypeVar("K_contra", bound=Hashable, contravariant=True)


@dataclass(frozen=True)
class Done:
    """Finished; nothing more until the key changes."""


@dataclass(frozen=True)
class Requeue:
    """Look at the key again after ``after`` seconds."""

    after: float


@dataclass(frozen=True)
class Transient:
    """Failed in a way that may pass: retry with per-key backoff."""

    error: str


@dataclass(frozen=True)
class Terminal:
    """Failed in a way that retrying will not fix."""

    error: str


Outcome = Done | Requeue | Transient | Terminal


class Reconciler(Protocol[K_contra]):
    """Brings one key's world in line and says what next."""

    async def reconcile(self, key: K_contra) -> Outcome:
        """Reconcile ``key``."""
        ...


def _apply(queue: WorkQueue[K], key: K, outcome: Outcome, name: str) -> None:
    if isinstance(outcome, Done):
        queue.forget(key)
    elif isinstance(outcome, Requeue):
        queue.forget(key)
        queue.add_after(key, outcome.after)
    elif isinstance(outcome, Transient):
        delay = queue.add_rate_limited(key)
        log.info("%s retry key=%s in=%.2fs error=%s", name, key, delay, outcome.error)
    else:
        queue.forget(key)
        log.warning("%s failed key=%s error=%s", name, key, outcome.error)


async def _worker(queue: WorkQueue[K], reconciler: Reconciler[K], name: str) -> None:
    while True:
        try:
            key = await queue.get()
        except QueueShutDown:
            return
        try:
            outcome = await reconciler.reconcile(key)
        except asyncio.CancelledError:
            queue.done(key)
            raise
        except Exception as exc:
            log.exception("%s crashed key=%s", name, key)
            outcome = Transient(f"{type(exc).__name__}: {exc}")
        queue.done(key)
        _apply(queue, key, outcome, name)


async def run_workers(
    queue: WorkQueue[K], reconciler: Reconciler[K], workers: int, *, name: str
) -> None:
    """Run ``workers`` concurrent workers until the queue shuts down or this is cancelled."""
    tasks = [
        asyncio.create_task(_worker(queue, reconciler, name), name=f"{name}-{i}")
        for i in range(max(workers, 1))
    ]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
