"""The loop shape every simulated controller shares: level-triggered reconcile by key.

A controller names the kind it reconciles and maps each watch event to the keys it affects;
``reconcile(ns, name)`` derives everything from current state (so a restart just resyncs)
and may ask to be called again after a delay, which is how time-driven progress (a pod
becoming Ready, a progress deadline) happens.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable

from kaiun.localcluster.errors import APIError
from kaiun.localcluster.watchlog import WatchEvent
from kaiun.localcluster.workloads.api import SIMULATE, Api, Key

log = logging.getLogger("kaiun.localcluster.workloads")
# ``local.kaiun.io/simulate: "Off"`` on an object: no simulated controller touches it.
OFF_MARK = f'"{SIMULATE}":"Off"'.encode()


class Reconciler:
    """Base class: subclasses set ``primary`` and implement ``reconcile``."""

    primary: str = ""

    def __init__(self, api: Api) -> None:
        self.api = api
        self._due: dict[Key, float] = {}
        self._queued: dict[Key, None] = {}
        self._flush_scheduled = False

    # Controller protocol -------------------------------------------------------------------

    def resync(self) -> None:
        for key in [k for k, _e in self.api.cluster.store.items(self.primary)]:
            self.run(key)

    def handle(self, ev: WatchEvent) -> None:
        keys = list(self.keys_for(ev))
        if not keys:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            for key in keys:
                self.run(key)
            return
        # Coalesce: a burst of events (200 pods turning Ready) reconciles each key once,
        # right after the runtime has handed over the whole batch.
        self._queued.update(dict.fromkeys(keys))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        pending, self._queued = self._queued, {}
        for key in pending:
            self.run(key)

    def tick(self) -> None:
        now = time.monotonic()
        for key in [k for k, t in self._due.items() if t <= now]:
            self.run(key)

    # for subclasses ------------------------------------------------------------------------

    def keys_for(self, ev: WatchEvent) -> Iterable[Key]:
        """Keys of primary objects an event affects (by default: the object itself)."""
        if ev.skey == self.primary:
            return [(ev.ns, ev.name)]
        return []

    def reconcile(self, ns: str, name: str) -> float | None:
        """Converge one object; return seconds until it needs another look, or None."""
        raise NotImplementedError

    def run(self, key: Key) -> None:
        self._due.pop(key, None)
        entry = self.api.cluster.store.get(self.primary, *key)
        if entry is not None and OFF_MARK in entry.raw:
            return
        try:
            delay = self.reconcile(*key)
        except APIError as exc:
            log.debug("%s %s: %s; retrying", type(self).__name__, key, exc)
            delay = 1.0
        except Exception:
            # One bad object must not stop the others (resync loops over all of them).
            log.exception("%s failed on %s; retrying later", type(self).__name__, key)
            delay = 5.0
        if delay is not None:
            self.requeue(key, delay)

    def requeue(self, key: Key, delay: float) -> None:
        at = time.monotonic() + max(delay, 0.0)
        self._due[key] = min(self._due.get(key, at), at)
