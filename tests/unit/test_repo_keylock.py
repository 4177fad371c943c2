"""KeyedLock: one holder per key at a time, other keys unaffected, nothing kept afterwards."""

from __future__ import annotations

import asyncio

from kaiun.repo.keylock import KeyedLock


def test_same_key_waits_other_key_does_not() -> None:
    locks = KeyedLock()
    order: list[str] = []

    async def run() -> None:
        first_in = asyncio.Event()
        release = asyncio.Event()

        async def first() -> None:
            async with locks.hold("k"):
                order.append("first in")
                first_in.set()
                await release.wait()
                order.append("first out")

        async def same() -> None:
            await first_in.wait()
            async with locks.hold("k"):
                order.append("same in")

        async def other() -> None:
            await first_in.wait()
            async with locks.hold("other"):
                order.append("other in")
            release.set()

        await asyncio.gather(first(), same(), other())

    asyncio.run(run())
    assert order == ["first in", "other in", "first out", "same in"]
    assert len(locks) == 0


def test_lock_released_when_body_raises() -> None:
    locks = KeyedLock()

    async def run() -> None:
        try:
            async with locks.hold("k"):
                raise ValueError
        except ValueError:
            pass
        async with asyncio.timeout(5), locks.hold("k"):
            pass

    asyncio.run(run())
    assert len(locks) == 0
