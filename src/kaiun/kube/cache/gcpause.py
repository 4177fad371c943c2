"""Pausing Python's cyclic garbage collector while caches do their initial list.

An initial sync allocates millions of small dicts; each allocation burst triggers collections
that rescan the growing heap, which costs a quarter to a third of the sync. The cache holds
no reference cycles, so the pause is safe. It is bounded in time, shared by every cache of
the process (a counter), and ends with one collection and ``gc.freeze()``: the cached objects
move to the permanent generation, so later collections (during watch handling) do not scan
them again.
"""

from __future__ import annotations

import gc

MAX_PAUSE = 60.0  # seconds; a sync that takes longer runs the rest with the collector on


class GcPause:
    """One holder's share of the process-wide pause; ``end()`` is idempotent."""

    _holders = 0
    _disabled_by_us = False

    def __init__(self) -> None:
        self._held = False

    def begin(self) -> None:
        """Pause collection (if nobody else already did)."""
        if self._held:
            return
        self._held = True
        cls = type(self)
        if cls._holders == 0 and gc.isenabled():
            gc.disable()
            cls._disabled_by_us = True
        cls._holders += 1

    def end(self) -> None:
        """Release; the last holder collects, freezes survivors and re-enables collection."""
        if not self._held:
            return
        self._held = False
        cls = type(self)
        cls._holders -= 1
        if cls._holders == 0 and cls._disabled_by_us:
            cls._disabled_by_us = False
            gc.enable()
            gc.collect()
            gc.freeze()
