"""The work queue: de-duplication, no key to two workers, delays, backoff."""

from __future__ import annotations

import asyncio

from kaiun.controllers.runtime import Done, Requeue, Transient, WorkQueue, run_workers
from kaiun.controllers.runtime.queue import QueueShutDown


def test_a_key_is_queued_once() -> None:
    async def main() -> list[str]:
        q: WorkQueue[str] = WorkQueue()
        for key in ("a", "b", "a", "a", "c"):
            q.add(key)
        got = [await q.get() for _ in range(3)]
        assert len(q) == 0
        return got

    assert asyncio.run(main()) == ["a", "b", "c"]


def test_a_key_added_while_processing_comes_back_after_done() -> None:
    async def main() -> None:
        q: WorkQueue[str] = WorkQueue()
        q.add("a")
        key = await q.get()
        q.add("a")  # changed while a worker holds it
        assert len(q) == 0  # not handed to a second worker
        q.done(key)
        assert await q.get() == "a"

    asyncio.run(main())


def test_earlier_schedule_wins_and_add_beats_timers() -> None:
    async def main() -> None:
        q: WorkQueue[str] = WorkQueue()
        q.add_after("a", 60)
        q.add_after("a", 0.01)
        q.add_after("a", 30)
        assert await asyncio.wait_for(q.get(), 5) == "a"
        q.add_after("b", 60)
        q.add("b")
        assert not q.scheduled("b")
        assert await asyncio.wait_for(q.get(), 5) == "b"

    asyncio.run(main())


def test_rate_limited_backoff_doubles_and_forget_resets() -> None:
    async def main() -> list[float]:
        q: WorkQueue[str] = WorkQueue(base_delay=1, max_delay=5)
        delays = [q.add_rate_limited("k") for _ in range(5)]
        q.forget("k")
        delays.append(q.add_rate_limited("k"))
        q.shutdown()
        return delays

    assert asyncio.run(main()) == [1, 2, 4, 5, 5, 1]


def test_shutdown_wakes_workers() -> None:
    async def main() -> None:
        q: WorkQueue[str] = WorkQueue()
        waiter = asyncio.create_task(q.get())
        await asyncio.sleep(0)
        q.shutdown()
        try:
            await asyncio.wait_for(waiter, 5)
        except QueueShutDown:
            return
        raise AssertionError("get() returned after shutdown")

    asyncio.run(main())


class Recorder:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.active = 0
        self.max_active: dict[str, int] = {}

    async def reconcile(self, key: str) -> Done | Requeue | Transient:
        self.calls.append(key)
        if key == "crash" and self.calls.count("crash") == 1:
            raise RuntimeError("boom")
        if key == "again" and self.calls.count("again") < 3:
            return Requeue(0.01)
        if key == "flaky" and self.calls.count("flaky") < 2:
            return Transient("not yet")
        return Done()


def test_workers_follow_outcomes() -> None:
    async def main() -> Recorder:
        q: WorkQueue[str] = WorkQueue(base_delay=0.01)
        rec = Recorder()
        task = asyncio.create_task(run_workers(q, rec, 3, name="t"))
        for key in ("crash", "again", "flaky", "plain"):
            q.add(key)
        for _ in range(200):
            if (
                rec.calls.count("again") >= 3
                and rec.calls.count("flaky") >= 2
                and (rec.calls.count("crash") >= 2)
            ):
                break
            await asyncio.sleep(0.01)
        q.shutdown()
        await asyncio.wait_for(task, 5)
        return rec

    rec = asyncio.run(main())
    assert rec.calls.count("again") == 3
    assert rec.calls.count("flaky") == 2
    assert rec.calls.count("crash") == 2  # an exception is retried like Transient
    assert rec.calls.count("plain") == 1
