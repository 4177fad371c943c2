"""One Application watch per API server, fanned out to every stream subscriber.

A watch per SSE client would hold one cluster connection each (100 UI tabs: 100 watches,
and a connection pool exhausted so even a PATCH waits); the hub keeps one and copies each
event into the subscribers' queues. A subscriber that falls too far behind is dropped (its
stream ends; clients reconnect), so one slow reader cannot grow memory without bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from fastapi import Request

from kaiun.kube import KubeClient, ResourceInfo
from kaiun.kube import errors as kerrors

log = logging.getLogger(__name__)
API_VERSION, KIND = "argoproj.io/v1alpha1", "Application"
QUEUE_LIMIT = 10_000
RETRY_SECONDS = 1.0
# Put in a queue when its subscriber is dropped (overflow) or the watch failed for good.
CLOSED: dict[str, Any] = {"type": "CLOSED"}


class WatchHub:
    """Shares one watch of the namespace's Applications among subscribers."""

    def __init__(self, client: KubeClient, namespace: str) -> None:
        self.client = client
        self.namespace = namespace
        self._queues: set[asyncio.Queue[dict[str, Any]]] = set()
        self._task: asyncio.Task[None] | None = None
        self._started = asyncio.Event()

    async def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        """A queue receiving every watch event from the moment the hub's watch is running."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_LIMIT)
        self._queues.add(queue)
        if self._task is None or self._task.done():
            self._started.clear()
            self._task = asyncio.create_task(self._run())
        await self._started.wait()
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        """Stop delivering to ``queue``; the watch stops with the last subscriber."""
        self._queues.discard(queue)
        if not self._queues and self._task is not None:
            self._task.cancel()
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
        resync = False  # after a failure, events may have been missed: resend every app
        info = await self._info()
        while True:
            try:
                if rv is None:
                    listed = await self.client.list(API_VERSION, KIND, self.namespace)
                    rv = listed.resource_version
                    if resync:
                        for app in listed.items:
                            self._publish({"type": "MODIFIED", "object": app})
                    resync = False
                self._started.set()
                async for event in self.client.watch(
                    info, namespace=self.namespace, resource_version=rv
                ):
                    obj = event.get("object") or {}
                    rv = (obj.get("metadata") or {}).get("resourceVersion", rv)
                    if event.get("type") != "BOOKMARK":
                        self._publish(event)
            except Exception as exc:
                # Subscribers wait on their queues for as long as this task lives, so any
                # failure (Gone, the cluster, a malformed line) means relist and resend.
                log.warning("application watch ended (%s); relisting", type(exc).__name__)
                self._started.set()
                rv, resync = None, True
                if not isinstance(exc, kerrors.Gone):
                    await asyncio.sleep(RETRY_SECONDS)

    async def _info(self) -> ResourceInfo:
        while True:
            try:
                return await self.client.info(API_VERSION, KIND)
            except kerrors.KubeError as exc:
                log.warning("application watch cannot start (%s); retrying", type(exc).__name__)
                self._started.set()  # subscribers go on to their own list (and its error)
                await asyncio.sleep(RETRY_SECONDS)


def hub_of(request: Request, client: KubeClient, namespace: str) -> WatchHub:
    """The server's hub (made on first use)."""
    hub: WatchHub | None = getattr(request.app.state, "watch_hub", None)
    if hub is None:
        hub = WatchHub(client, namespace)
        request.app.state.watch_hub = hub
    return hub
