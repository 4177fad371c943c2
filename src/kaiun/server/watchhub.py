"""One Application watch per API server: it feeds the server's cache and every stream.

A watch per SSE client would hold one cluster connection each (100 UI tabs: 100 watches,
and a connection pool exhausted so even a PATCH waits); the hub keeps one, applies each event
to the ``AppCache`` that list/get read from, and copies it into the subscribers' queues. The
watch starts at the first request and runs for the server's life (the cache must stay
current with no subscriber). A subscriber that falls too far behind is dropped (its stream
ends; clients reconnect), so one slow reader cannot grow memory without bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from kaiun.kube import KubeClient, ResourceInfo
from kaiun.kube import errors as kerrors
from kaiun.server.appcache import AppCache

log = logging.getLogger(__name__)
API_VERSION, KIND = "argoproj.io/v1alpha1", "Application"
QUEUE_LIMIT = 10_000
RETRY_SECONDS = 1.0
# How long a request waits for the first list before reading the cluster itself.
READY_SECONDS = 60.0
# Put in a queue when its subscriber is dropped (overflow) or the watch failed for good.
CLOSED: dict[str, Any] = {"type": "CLOSED"}


class WatchHub:
    """Shares one watch of the namespace's Applications among the cache and subscribers."""

    def __init__(self, client: KubeClient, namespace: str) -> None:
        self.client = client
        self.namespace = namespace
        self.cache = AppCache()
        self._queues: set[asyncio.Queue[dict[str, Any]]] = set()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the watch if it is not running (idempotent)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())

    async def ready_cache(self, wait: float = READY_SECONDS) -> AppCache | None:
        """The cache once its first list is in, or None if that takes over ``wait`` seconds
        (the caller then reads the cluster directly and reports its error)."""
        self.start()
        return self.cache if await self.cache.wait_ready(wait) else None

    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        """A queue receiving every watch event applied to the cache after this call."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_LIMIT)
        self._queues.add(queue)
        self.start()
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        """Stop delivering to ``queue``."""
        self._queues.discard(queue)

    async def close(self) -> None:
        """Stop the watch (server shutdown)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _publish(self, event: dict[str, Any]) -> None:
        for queue in list(self._queues):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                self._queues.discard(queue)
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()  # make room for the closing marker
                queue.put_nowait(CLOSED)

    async def _run(self) -> None:
        rv: str | None = None
        delivered = True  # whether the last watch delivered anything before it ended
        info = await self._info()
        while True:
            try:
                if rv is None:
                    listed = await self.client.list(API_VERSION, KIND, self.namespace)
                    rv = listed.resource_version
                    # After a failure events may have been missed: subscribers get the
                    # difference between what the cache held and the fresh list.
                    for event in self.cache.replace_all(listed.items, rv):
                        self._publish(event)
                async for event in self.client.watch(
                    info, namespace=self.namespace, resource_version=rv
                ):
                    delivered = True
                    obj = event.get("object") or {}
                    rv = (obj.get("metadata") or {}).get("resourceVersion", rv)
                    if event.get("type") != "BOOKMARK":
                        self.cache.apply(event)
                        self._publish(event)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # Any failure (Gone, the cluster, a malformed line) means relist.
                log.warning("application watch ended (%s); relisting", type(exc).__name__)
                rv = None
                # A first Gone relists at once; anything else, or Gone again straight
                # after a relist, waits so a failing cluster is not hammered.
                if not (isinstance(exc, kerrors.Gone) and delivered):
                    await asyncio.sleep(RETRY_SECONDS)
                delivered = False

    async def _info(self) -> ResourceInfo:
        while True:
            try:
                return await self.client.info(API_VERSION, KIND)
            except kerrors.KubeError as exc:
                log.warning("application watch cannot start (%s); retrying", type(exc).__name__)
                await asyncio.sleep(RETRY_SECONDS)
