"""One list+watch loop for one resource kind (optionally one namespace) of one cluster.

Lists, then watches from the list's resourceVersion; relists after ``410 Gone`` or a dropped
watch, with exponential backoff while the server is failing. A kind the credentials may not
list (``403``, or an access check that says no) is retried with the same backoff, since RBAC
can be granted later. Hands every object to its ``Sink`` (the cluster cache); never raises
out of its task.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from kaiun.kube import errors
from kaiun.kube.client import KubeClient
from kaiun.kube.discovery import ResourceInfo

log = logging.getLogger(__name__)

# Asked before each list when set (``resource.respectRBAC: strict``): a reason not to list.
AccessCheck = Callable[[ResourceInfo], Awaitable[str | None]]


@dataclass(frozen=True)
class Backoff:
    """Retry delays: ``initial`` doubling up to ``maximum``, with jitter."""

    initial: float = 0.5
    maximum: float = 30.0

    def next(self, current: float) -> float:
        """The delay after ``current``."""
        return min(self.maximum, current * 2)

    def jitter(self, delay: float) -> float:
        """``delay`` spread by +-20% so many kinds do not retry in lockstep."""
        return delay * random.uniform(0.8, 1.2)


class Sink(Protocol):
    """Where a watcher sends what it sees (implemented by ``ClusterCache``)."""

    def begin_relist(self, watcher: KindWatcher) -> None: ...
    def upsert(self, watcher: KindWatcher, obj: dict[str, Any], event: str) -> None: ...
    def delete(self, watcher: KindWatcher, obj: dict[str, Any]) -> None: ...
    def end_relist(self, watcher: KindWatcher, seen: set[Any]) -> None: ...
    def watcher_ok(self, watcher: KindWatcher) -> None: ...
    def watcher_failed(self, watcher: KindWatcher, exc: errors.KubeError) -> None: ...
    def kind_gone(self, watcher: KindWatcher) -> None: ...
    def kind_forbidden(self, watcher: KindWatcher, exc: errors.APIError) -> None: ...


class KindWatcher:
    """List+watch of ``info`` (in ``namespace``, or all namespaces)."""

    def __init__(
        self,
        client: KubeClient,
        info: ResourceInfo,
        sink: Sink,
        *,
        namespace: str | None = None,
        page_size: int = 2000,
        watch_timeout: int = 300,
        backoff: Backoff | None = None,
        access_check: AccessCheck | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> None:
        self.client = client
        self.label_selector = label_selector
        self.field_selector = field_selector
        self.info = info
        self.namespace = namespace
        self.sink = sink
        self.page_size = page_size
        self.watch_timeout = watch_timeout
        self.backoff = backoff or Backoff()
        self.resource_version: str | None = None
        self.synced = asyncio.Event()
        self.error: str | None = None
        self.forbidden: str | None = None  # why the credentials may not list the kind
        self.access_check = access_check
        self.relists = 0
        self.task: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"KindWatcher({self.info.api_version} {self.info.kind}, ns={self.namespace})"

    def start(self, delay: float = 0.0) -> None:
        """Run the loop in a task (after ``delay`` seconds: a restart must not spin)."""
        self.task = asyncio.create_task(self.run(delay), name=repr(self))

    @property
    def finished(self) -> bool:
        """The loop ended (the kind is no longer served)."""
        return self.task is not None and self.task.done()

    async def stop(self) -> None:
        """Cancel the loop and wait for it."""
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)

    async def run(self, start_delay: float = 0.0) -> None:
        """List, watch, relist... until cancelled or the kind disappears."""
        if start_delay:
            await asyncio.sleep(start_delay)
        delay = self.backoff.initial
        need_list = True
        while True:
            try:
                if need_list:
                    await self._check_access()
                    await self._relist()
                    need_list = False
                    self.error = None
                    self.forbidden = None
                    self.synced.set()
                    self.sink.watcher_ok(self)
                await self._watch()
                delay = self.backoff.initial
            except errors.Gone:
                need_list = True  # our resourceVersion left the server's history
            except (errors.NotFound, errors.MethodNotAllowed):
                self.sink.kind_gone(self)
                return
            except errors.Forbidden as exc:
                self.forbidden = exc.api_message or "forbidden"
                self.sink.kind_forbidden(self, exc)
                need_list = True
                await asyncio.sleep(self.backoff.jitter(delay))
                delay = self.backoff.next(delay)
            except errors.KubeError as exc:
                self.error = str(exc)
                self.sink.watcher_failed(self, exc)
                need_list = True
                await asyncio.sleep(self.backoff.jitter(delay))
                delay = self.backoff.next(delay)
            except ValueError as exc:  # a malformed watch line: start over from a list
                log.warning("watch stream broken kind=%s error=%s", self.info.kind, exc)
                need_list = True
                await asyncio.sleep(self.backoff.jitter(delay))
                delay = self.backoff.next(delay)

    async def _check_access(self) -> None:
        if self.access_check is None:
            return
        denied = await self.access_check(self.info)
        if denied:
            raise errors.Forbidden(403, {"reason": "Forbidden", "message": denied})

    async def _relist(self) -> None:
        info = self.info
        self.relists += 1
        seen: set[Any] = set()
        rv = ""
        self.sink.begin_relist(self)
        async for page in self.client.list_pages(
            info,
            namespace=self.namespace,
            page_size=self.page_size,
            label_selector=self.label_selector,
            field_selector=self.field_selector,
        ):
            for obj in page.get("items") or ():
                # List items omit apiVersion/kind; health and diff need them.
                obj["apiVersion"] = info.api_version
                obj["kind"] = info.kind
                seen.add(self.sink_key(obj))
                self.sink.upsert(self, obj, "ADDED")
            rv = rv or (page.get("metadata") or {}).get("resourceVersion", "")
        self.sink.end_relist(self, seen)
        self.resource_version = rv

    def sink_key(self, obj: dict[str, Any]) -> tuple[str, str]:
        """(namespace, name) of an object of this kind."""
        meta = obj.get("metadata") or {}
        return (meta.get("namespace") or "", meta.get("name") or "")

    async def _watch(self) -> None:
        async for event in self.client.watch(
            self.info,
            resource_version=self.resource_version,
            namespace=self.namespace,
            timeout_seconds=self.watch_timeout,
            label_selector=self.label_selector,
            field_selector=self.field_selector,
        ):
            kind = event.get("type")
            obj = event.get("object") or {}
            rv = (obj.get("metadata") or {}).get("resourceVersion")
            if kind in ("ADDED", "MODIFIED"):
                self.sink.upsert(self, obj, kind)
            elif kind == "DELETED":
                self.sink.delete(self, obj)
            if rv:
                self.resource_version = rv
