"""Watch streams: newline-delimited JSON events read from the store's ``EventLog``."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import orjson

from kaiun.localcluster import tables
from kaiun.localcluster.errors import APIError, BadRequest, Gone
from kaiun.localcluster.resources import ResourceType
from kaiun.localcluster.selectors import SelectorError, field_matcher, label_matcher
from kaiun.localcluster.watchlog import GoneError, WatchEvent

if TYPE_CHECKING:
    from kaiun.localcluster.routes import KubeAPI, Request, Send

BOOKMARK_INTERVAL = 5.0


async def stream_watch(
    api: KubeAPI, req: Request, rt: ResourceType, ns: str | None, send: Send
) -> None:
    """Serve one watch until the client leaves, the timeout passes or the server stops."""
    try:
        stream = WatchStream(api, req, rt, ns, send)
    except SelectorError as exc:
        raise BadRequest(str(exc)) from exc
    await stream.run()


class WatchStream:
    """One client's watch: a cursor into the event log plus its filters."""

    def __init__(
        self, api: KubeAPI, req: Request, rt: ResourceType, ns: str | None, send: Send
    ) -> None:
        self.api, self.req, self.rt, self.ns, self.send = api, req, rt, ns, send
        self.cluster = api.cluster
        self.lmatch: Callable[[Mapping[str, str]], bool] | None = label_matcher(
            req.query.get("labelSelector")
        )
        self.fmatch = field_matcher(req.query.get("fieldSelector"))
        self.as_table = "as=Table" in req.headers.get("accept", "")
        self.include = req.query.get("includeObject", "Metadata")
        self.bookmarks = req.flag("allowWatchBookmarks")
        self.timeout = float(req.query.get("timeoutSeconds") or 0) or None
        self.disconnected = asyncio.Event()

    def encode(self, kind: str, raw: bytes) -> bytes:
        if self.as_table:
            obj = orjson.loads(raw)
            rv = int(obj["metadata"].get("resourceVersion", 0))
            raw = orjson.dumps(tables.table(self.rt, [obj], rv, include=self.include))
        return b'{"type":"' + kind.encode() + b'","object":' + raw + b"}\n"

    async def _chunk(self, body: bytes, more: bool = True) -> None:
        await self.send({"type": "http.response.body", "body": body, "more_body": more})

    async def run(self) -> None:
        await self.send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"cache-control", b"no-cache, private"),
                    (b"transfer-encoding", b"chunked"),
                ],
            }
        )
        rv_param = self.req.query.get("resourceVersion")
        try:
            cursor = self.cluster.watch_from(rv_param)
        except Gone as exc:
            await self._chunk(_error_event(exc), more=False)
            return
        if not rv_param or rv_param == "0":
            listed = self.cluster.list_objects(
                self.rt,
                self.ns,
                label_selector=self.req.query.get("labelSelector"),
                field_selector=self.req.query.get("fieldSelector"),
            )
            if listed.items:
                await self._chunk(b"".join(self.encode("ADDED", r) for r in listed.items))
        watcher = asyncio.ensure_future(self._watch_disconnect())
        try:
            await self._loop(cursor)
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await watcher
        if not self.disconnected.is_set():
            with contextlib.suppress(Exception):
                await self._chunk(b"", more=False)

    async def _watch_disconnect(self) -> None:
        while True:
            message = await self.req.receive()
            if message.get("type") == "http.disconnect":
                self.disconnected.set()
                self.cluster.store.events.wake_all()
                return

    async def _loop(self, cursor: int) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout if self.timeout else None
        last_bookmark = loop.time()
        log = self.cluster.store.events
        while not self.disconnected.is_set() and not self.api.stopping.is_set():
            try:
                events = log.since(cursor)
            except GoneError as exc:
                await self._chunk(_error_event(Gone(str(exc))))
                return
            chunks = [c for ev in events if (c := self._event(ev)) is not None]
            if events:
                cursor = events[-1].rv
            now = loop.time()
            if self.bookmarks and not chunks and now - last_bookmark >= BOOKMARK_INTERVAL:
                chunks.append(_bookmark(self.rt, cursor))
                last_bookmark = now
            if chunks:
                await self._chunk(b"".join(chunks))
            wait_for = BOOKMARK_INTERVAL
            if deadline is not None:
                wait_for = min(wait_for, deadline - now)
                if wait_for <= 0:
                    return
            await self._wait(log.waiter(), wait_for)

    async def _wait(self, waiter: asyncio.Event, seconds: float) -> None:
        # One shared wake-up for writes, departures and shutdown keeps a write's cost to
        # waking each watcher once, however many there are.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await waiter.wait()

    def _event(self, ev: WatchEvent) -> bytes | None:
        """The encoded event for this watcher, or None when it is filtered out."""
        if ev.skey != self.rt.storage_key or (self.ns and ev.ns != self.ns):
            return None
        kind: str | None = ev.type
        if self.lmatch is not None:
            kind = _selector_view(ev, self.lmatch)
            if kind is None:
                return None
        if self.fmatch is not None and not self.fmatch(orjson.loads(ev.raw)):
            return None
        return self.encode(kind or ev.type, self.cluster.present_raw(self.rt, ev.raw))


def _selector_view(ev: WatchEvent, match: Callable[[Mapping[str, str]], bool]) -> str | None:
    """What a label-selected watcher sees: relabels in and out become ADDED and DELETED."""
    if ev.type == "DELETED":
        return "DELETED" if match(ev.labels) else None
    now_in = match(ev.labels)
    was_in = ev.old_labels is not None and match(ev.old_labels)
    if now_in and not was_in:
        return "ADDED"
    if was_in and not now_in:
        return "DELETED"
    return ev.type if now_in else None


def _bookmark(rt: ResourceType, rv: int) -> bytes:
    obj: dict[str, Any] = {
        "kind": rt.kind,
        "apiVersion": rt.api_version,
        "metadata": {"resourceVersion": str(rv)},
    }
    return orjson.dumps({"type": "BOOKMARK", "object": obj}) + b"\n"


def _error_event(exc: APIError) -> bytes:
    return orjson.dumps({"type": "ERROR", "object": exc.status()}) + b"\n"
