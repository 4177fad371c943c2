"""The per-registry request limit spaces request starts 1/limit seconds apart."""

from __future__ import annotations

import asyncio

from kaiun.controllers.imageupdater.registry import RateLimiter


def _sleeps(limit: int, calls: int, *, advance: float = 0.0) -> list[float]:
    now = [100.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(round(seconds, 6))

    async def go() -> None:
        limiter = RateLimiter(limit, clock=lambda: now[0], sleep=sleep)
        for _ in range(calls):
            await limiter.wait()
            now[0] += advance

    asyncio.run(go())
    return slept


def test_requests_are_spaced_by_the_limit() -> None:
    # Five requests at once under limit 4/s: the 2nd..5th wait 0.25 s more each.
    assert _sleeps(4, 5) == [0.25, 0.5, 0.75, 1.0]


def test_slow_callers_do_not_wait() -> None:
    assert _sleeps(4, 5, advance=0.5) == []


def test_no_limit() -> None:
    assert _sleeps(0, 10) == []
