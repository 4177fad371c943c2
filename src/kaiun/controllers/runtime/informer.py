"""An informer: list+watch of one kind in one namespace, kept as a store of full objects.

Reuses the cluster cache's ``KindWatcher`` (relist after 410, backoff while the server
fails) with a sink that stores every object and calls ``on_change(name, obj | None)``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from kaiun.kube import KubeClient, errors
from kaiun.kube.cache.watcher import KindWatcher

log = logging.getLogger(__name__)
OnChange = Callable[[str, dict[str, Any] | None], None]
# The store key of an object, or None to leave it out (a namespace not watched).
KeyOf = Callable[[dict[str, Any]], str | None]


def by_name(obj: dict[str, Any]) -> str | None:
    """The default key: the object's name (an informer of one namespace)."""
    return str((obj.get("metadata") or {}).get("name") or "")


class Informer:
    """The current objects of one kind in one namespace (or, with ``namespace`` None, in all
    namespaces), by ``key`` (default: the name)."""

    def __init__(
        self,
        client: KubeClient,
        api_version: str,
        kind: str,
        namespace: str | None,
        on_change: OnChange | None = None,
        *,
        watch_timeout: int = 300,
        key: KeyOf = by_name,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> None:
        self.client = client
        self.api_version = api_version
        self.kind = kind
        self.namespace = namespace
        self.store: dict[str, dict[str, Any]] = {}
        self._on_change = on_change
        self._watch_timeout = watch_timeout
        self._watcher: KindWatcher | None = None
        self._key = key
        self._idents: dict[str, tuple[str, str]] = {}  # key -> (namespace, name)
        self._label_selector = label_selector
        self._field_selector = field_selector

    async def start(self) -> None:
        """Start the list+watch (returns at once; see ``wait_synced``)."""
        info = await self.client.info(self.api_version, self.kind)
        self._watcher = KindWatcher(
            self.client,
            info,
            self,
            namespace=self.namespace,
            watch_timeout=self._watch_timeout,
            label_selector=self._label_selector,
            field_selector=self._field_selector,
        )
        self._watcher.start()

    async def wait_synced(self, within: float) -> None:
        """Wait for the first list."""
        assert self._watcher is not None, "start() first"
        async with asyncio.timeout(within):
            await self._watcher.synced.wait()

    async def stop(self) -> None:
        """Stop watching."""
        if self._watcher is not None:
            await self._watcher.stop()

    def get(self, name: str) -> dict[str, Any] | None:
        """The latest object named ``name``."""
        return self.store.get(name)

    def _changed(self, name: str, obj: dict[str, Any] | None) -> None:
        if self._on_change is None:
            return
        try:
            self._on_change(name, obj)
        except Exception:
            log.exception("informer handler failed kind=%s name=%s", self.kind, name)

    # -- the watcher sink ---------------------------------------------------------------

    def begin_relist(self, watcher: KindWatcher) -> None:
        """A relist starts."""

    def upsert(self, watcher: KindWatcher, obj: dict[str, Any], event: str) -> None:
        """An object was listed, added or modified."""
        name = self._key(obj)
        if name is None:
            return
        old = self.store.get(name)
        if old is not None and old.get("metadata", {}).get("resourceVersion") == obj.get(
            "metadata", {}
        ).get("resourceVersion"):
            return
        self.store[name] = obj
        self._idents[name] = watcher.sink_key(obj)
        self._changed(name, obj)

    def delete(self, watcher: KindWatcher, obj: dict[str, Any]) -> None:
        """An object was deleted."""
        name = self._key(obj)
        if name is not None and self.store.pop(name, None) is not None:
            self._idents.pop(name, None)
            self._changed(name, None)

    def end_relist(self, watcher: KindWatcher, seen: set[Any]) -> None:
        """Objects the relist did not return are gone."""
        for name in [n for n in self.store if self._idents.get(n) not in seen]:
            del self.store[name]
            self._idents.pop(name, None)
            self._changed(name, None)

    def watcher_ok(self, watcher: KindWatcher) -> None:
        """The watch (re)synced."""

    def watcher_failed(self, watcher: KindWatcher, exc: errors.KubeError) -> None:
        """The server failed; the store keeps its last state."""
        log.warning("informer watch failed kind=%s error=%s", self.kind, exc)

    def kind_gone(self, watcher: KindWatcher) -> None:
        """The CRD went away."""
        log.warning("informer kind no longer served kind=%s", self.kind)
        watcher.synced.set()

    def kind_forbidden(self, watcher: KindWatcher, exc: errors.APIError) -> None:
        """The credentials may not list the kind."""
        log.error("informer may not list kind=%s error=%s", self.kind, exc)
        watcher.synced.set()
