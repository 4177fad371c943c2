"""Single-flight: concurrent callers asking for the same key share one running operation."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar, cast

__all__ = ["SingleFlight"]

T = TypeVar("T")


class SingleFlight:
    """Runs one coroutine per key at a time; concurrent callers share its result."""

    def __init__(self) -> None:
        self._running: dict[str, asyncio.Future[object]] = {}

    async def do(self, key: str, make: Callable[[], Awaitable[T]]) -> T:
        """Run ``make()`` unless a call for ``key`` is running; then await that one."""
        running = self._running.get(key)
        if running is not None:
            return cast(T, await asyncio.shield(running))
        future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        self._running[key] = future
        try:
            result = await make()
        except asyncio.CancelledError:
            future.cancel()
            raise
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved when nobody else waits
            raise
        else:
            future.set_result(result)
            return result
        finally:
            del self._running[key]
