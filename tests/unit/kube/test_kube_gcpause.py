"""The process-wide GC pause used by initial syncs is shared, idempotent and restores GC."""

from __future__ import annotations

import gc

from kaiun.kube.cache.gcpause import GcPause


def test_pause_is_shared_and_restores_collection() -> None:
    assert gc.isenabled()
    first, second = GcPause(), GcPause()
    first.begin()
    first.begin()  # idempotent
    second.begin()
    assert not gc.isenabled()
    first.end()
    first.end()
    assert not gc.isenabled()  # the second holder still syncs
    second.end()
    assert gc.isenabled()
    gc.unfreeze()


def test_pause_leaves_a_disabled_collector_alone() -> None:
    gc.disable()
    try:
        pause = GcPause()
        pause.begin()
        pause.end()
        assert not gc.isenabled()
    finally:
        gc.enable()
