"""The cache of one destination cluster: every watched kind, kept current by list+watch.

Answers "what is live" (full objects for managed resources and their descendants, identity
and owners for the rest), the owner graph, and the app index; tells subscribers which
Applications each change touched. An unreachable cluster keeps its last state, marked stale.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kaiun.kube import errors
from kaiun.kube.cache.gcpause import MAX_PAUSE, GcPause
from kaiun.kube.cache.index import ClusterIndex
from kaiun.kube.cache.records import Record, ResourceKey, fingerprint, key_of, owners_of
from kaiun.kube.cache.settings import CacheSettings
from kaiun.kube.cache.watcher import AccessCheck, Backoff, KindWatcher
from kaiun.kube.client import KubeClient
from kaiun.kube.discovery import ResourceInfo
from kaiun.model.tracking import IGNORE_RESOURCE_UPDATES_ANNOTATION, owning_app

log = logging.getLogger(__name__)

CRD_GROUP_KIND = ("apiextensions.k8s.io", "CustomResourceDefinition")
# Kinds listed after the others (in this order): they are usually owned by other kinds.
LATE_PHASES = (
    frozenset({("apps", "ReplicaSet"), ("batch", "Job"), ("apps", "ControllerRevision")}),
    frozenset({("", "Pod")}),
)
PHASE_WAIT = 30.0  # seconds to wait for one phase before starting the next anyway
DEFAULT_BACKOFF = Backoff()
HealthFn = Callable[[dict[str, Any]], object]


@dataclass(frozen=True, slots=True)
class CacheEvent:
    """A change that touched ``apps`` (``type`` is ADDED, MODIFIED or DELETED)."""

    type: str
    key: ResourceKey
    apps: frozenset[str]


@dataclass(frozen=True)
class CacheStatus:
    """Health of one cluster's cache."""

    server: str
    synced: bool
    stale: bool
    error: str | None
    warnings: tuple[str, ...]
    kinds: int
    objects: int


def _phase(info: ResourceInfo) -> int:
    for n, kinds in enumerate(LATE_PHASES, start=1):
        if (info.group, info.kind) in kinds:
            return n
    return 0


class ClusterCache:
    """List+watch cache of one cluster. ``await start()``, then ``await wait_synced()``."""

    def __init__(
        self,
        client: KubeClient,
        settings: CacheSettings | None = None,
        *,
        health: HealthFn | None = None,
        page_size: int = 2000,
        watch_timeout: int = 300,
        backoff: Backoff = DEFAULT_BACKOFF,
        pause_gc: bool = False,
    ) -> None:
        self.client = client
        self.settings = settings or CacheSettings()
        self.index = ClusterIndex()
        self._health = health
        self._page_size = page_size
        self._watch_timeout = watch_timeout
        self._backoff = backoff
        self._watchers: dict[tuple[str, str, str | None], KindWatcher] = {}
        self._subscribers: list[Callable[[CacheEvent], None]] = []
        self._warnings: dict[tuple[str, str], str] = {}
        self._error: str | None = None
        self._synced = asyncio.Event()
        self._supervisor: asyncio.Task[None] | None = None
        self._refresh_kinds: asyncio.Event = asyncio.Event()
        self._background: set[asyncio.Task[Any]] = set()
        self._pause_gc = pause_gc

    # -- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        """Start watching in the background (returns at once; see ``wait_synced``)."""
        self._supervisor = asyncio.create_task(self._supervise(), name="cluster-cache")

    async def wait_synced(self, within: float) -> CacheStatus:
        """Wait until every watched kind has been listed once; ``TimeoutError`` otherwise."""
        async with asyncio.timeout(within):
            await self._synced.wait()
        return self.status()

    async def stop(self) -> None:
        """Stop every watch."""
        tasks = [t for t in (self._supervisor, *self._background) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*(w.stop() for w in self._watchers.values()))
        self._watchers.clear()

    async def _supervise(self) -> None:
        delay = self._backoff.initial
        pause = GcPause()
        try:
            while True:
                try:
                    await self._supervise_round(pause)
                    delay = self._backoff.initial
                except errors.KubeError as exc:
                    pause.end()
                    self._error = str(exc)
                    log.warning("cluster cache server=%s error=%s", self.client.config.server, exc)
                    await asyncio.sleep(self._backoff.jitter(delay))
                    delay = self._backoff.next(delay)
        finally:
            pause.end()

    async def _supervise_round(self, pause: GcPause) -> None:
        # Cleared before discovery: a CRD event from here on triggers another round.
        self._refresh_kinds.clear()
        if not self._synced.is_set() and self._pause_gc:
            pause.begin()
            asyncio.get_running_loop().call_later(MAX_PAUSE, pause.end)
        await self._sync_kinds()
        if not self._synced.is_set() and await self._all_synced_or_refresh():
            self._synced.set()
            pause.end()
            await self._fill_managed_descendants()
        await self._refresh_kinds.wait()
        # Let a burst of CRD changes settle into one discovery refresh.
        await asyncio.sleep(0.05)

    async def _all_synced_or_refresh(self) -> bool:
        """Wait for every watcher's first list; ``False`` if kinds changed meanwhile."""
        watchers = list(self._watchers.values())

        async def all_synced() -> None:
            await asyncio.gather(*(w.synced.wait() for w in watchers))

        synced: asyncio.Task[Any] = asyncio.create_task(all_synced())
        refresh: asyncio.Task[Any] = asyncio.create_task(self._refresh_kinds.wait())
        done, pending = await asyncio.wait({synced, refresh}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        return synced in done

    async def _wanted(self) -> list[tuple[ResourceInfo, str | None]]:
        cfg = self.client.config
        out: list[tuple[ResourceInfo, str | None]] = []
        for info in await self.client.discovery.preferred():
            if not info.listable or not self.settings.watched(info.group, info.kind, cfg.server):
                continue
            if not cfg.namespaces:
                out.append((info, None))
            elif info.namespaced:
                out.extend((info, ns) for ns in cfg.namespaces)
            elif cfg.cluster_resources:
                out.append((info, None))
        return out

    async def _sync_kinds(self) -> None:
        """Start watchers for newly served kinds; drop kinds no longer served."""
        self.client.discovery.invalidate()
        await self.client.discovery.refresh()
        wanted = {(i.group, i.kind, ns): (i, ns) for i, ns in await self._wanted()}
        for wkey in [k for k in self._watchers if k not in wanted]:
            watcher = self._watchers.pop(wkey)
            await watcher.stop()
            self._drop_kind(watcher)
            if not any(k[:2] == wkey[:2] for k in self._watchers):
                self._warnings.pop(wkey[:2], None)  # a forbidden kind no longer served
        todo = [
            (wkey, info, ns)
            for wkey, (info, ns) in wanted.items()
            if wkey not in self._watchers or self._watchers[wkey].finished
        ]
        # Owners before dependents, so that a Pod's ReplicaSet and Deployment are known when
        # the Pod arrives and the Pod's body is kept if an Application manages them.
        for phase in range(len(LATE_PHASES) + 1):
            started = []
            for wkey, info, ns in todo:
                if _phase(info) == phase:
                    restart = wkey in self._watchers
                    watcher = KindWatcher(
                        self.client,
                        info,
                        self,
                        namespace=ns,
                        page_size=self._page_size,
                        watch_timeout=self._watch_timeout,
                        backoff=self._backoff,
                        access_check=self._access_check,
                    )
                    self._watchers[wkey] = watcher
                    watcher.start(delay=self._backoff.initial if restart else 0.0)
                    started.append(watcher)
            if started and phase < len(LATE_PHASES):
                await asyncio.wait(
                    [asyncio.ensure_future(w.synced.wait()) for w in started],
                    timeout=PHASE_WAIT,
                )
        self._error = None

    @property
    def _access_check(self) -> AccessCheck | None:
        return self._may_not_list if self.settings.respect_rbac == "strict" else None

    async def _may_not_list(self, info: ResourceInfo) -> str | None:
        """``resource.respectRBAC: strict``: ask the API server before listing a kind."""
        for verb in ("list", "watch"):
            review = {
                "apiVersion": "authorization.k8s.io/v1",
                "kind": "SelfSubjectAccessReview",
                "spec": {
                    "resourceAttributes": {"group": info.group, "resource": info.name, "verb": verb}
                },
            }
            answer = await self.client.create(review)
            if not (answer.get("status") or {}).get("allowed"):
                return f"the credentials may not {verb} it (SelfSubjectAccessReview)"
        return None

    # -- subscriptions and queries ------------------------------------------------------

    def subscribe(self, callback: Callable[[CacheEvent], None]) -> Callable[[], None]:
        """Call ``callback`` for each change that touches an Application; returns unsubscribe."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback)

    def status(self) -> CacheStatus:
        """Whether the cache is synced, stale (cluster failing) and why."""
        failing = [w.error for w in self._watchers.values() if w.error]
        error = self._error or (failing[0] if failing else None)
        return CacheStatus(
            server=self.client.config.server,
            synced=self._synced.is_set(),
            stale=error is not None,
            error=error,
            warnings=tuple(self._warnings.values()),
            kinds=len({(g, k) for (g, k, _), w in self._watchers.items() if not w.forbidden}),
            objects=len(self.index),
        )

    def watchers(self) -> list[KindWatcher]:
        """The running list+watch loops (one per kind, or per kind and namespace)."""
        return list(self._watchers.values())

    def get(self, key: ResourceKey) -> Record | None:
        """The record of one object."""
        return self.index.get(key)

    def app_resources(self, app: str) -> list[Record]:
        """Objects ``app`` tracks, and their descendants (the resource tree)."""
        out: dict[ResourceKey, Record] = {}
        for key in self.index.app_keys(app):
            rec = self.index.get(key)
            if rec is not None:
                out[key] = rec
                out.update((d.key, d) for d in self.index.descendants(key))
        return list(out.values())

    # -- the watcher sink ---------------------------------------------------------------

    def begin_relist(self, watcher: KindWatcher) -> None:
        """A relist of ``watcher``'s kind starts."""

    def upsert(self, watcher: KindWatcher, obj: dict[str, Any], event: str) -> None:
        """An object was listed, added or modified."""
        info = watcher.info
        key = key_of(obj, info.group, info.kind)
        meta = obj.get("metadata") or {}
        old = self.index.get(key)
        rv = str(meta.get("resourceVersion") or "")
        if old is not None and old.resource_version == rv:
            return
        s = self.settings
        rec = Record(
            key=key,
            uid=str(meta.get("uid") or ""),
            resource_version=rv,
            owners=owners_of(obj),
            app=owning_app(obj, s.tracking_method, s.instance_label_key),
            fingerprint=0,
            obj=None,
        )
        apps = self.index.apps_of(rec)
        if apps:
            rec.obj = obj
            ignores = s.update_ignores(info.group, info.kind)
            rec.fingerprint = fingerprint(obj, ignores.pointers, ignores.rules)
        self.index.upsert(rec)
        if (info.group, info.kind) == CRD_GROUP_KIND:
            self._refresh_kinds.set()
        if old is not None and old.app and old.app not in apps:
            apps = apps | {old.app}
        if rec.app and (old is None or old.app != rec.app) and self._synced.is_set():
            self._spawn(self._fill_descendants(key))
        if apps and not (old is not None and self._ignorable(old, rec, obj)):
            self._notify(CacheEvent("MODIFIED" if old else "ADDED", key, frozenset(apps)))

    def _ignorable(self, old: Record, new: Record, obj: dict[str, Any]) -> bool:
        """ignoreResourceUpdates: only ignored fields changed and health did not."""
        if not self.settings.ignore_updates_enabled or old.obj is None:
            return False
        annotations = (obj.get("metadata") or {}).get("annotations") or {}
        if not new.app and annotations.get(IGNORE_RESOURCE_UPDATES_ANNOTATION) != "true":
            return False
        if old.fingerprint != new.fingerprint or old.app != new.app:
            return False
        return self._health is None or self._health(old.obj) == self._health(obj)

    def delete(self, watcher: KindWatcher, obj: dict[str, Any]) -> None:
        """An object was deleted."""
        self._remove(key_of(obj, watcher.info.group, watcher.info.kind))

    def _remove(self, key: ResourceKey) -> None:
        rec = self.index.get(key)
        if rec is None:
            return
        apps = self.index.apps_of(rec)
        self.index.remove(key)
        if key[:2] == CRD_GROUP_KIND:
            self._refresh_kinds.set()
        if apps:
            self._notify(CacheEvent("DELETED", key, frozenset(apps)))

    def end_relist(self, watcher: KindWatcher, seen: set[Any]) -> None:
        """Objects of the kind that the relist did not return are gone."""
        info = watcher.info
        for key in self.index.keys_of_kind(info.group, info.kind):
            if watcher.namespace is not None and key.namespace != watcher.namespace:
                continue
            if (key.namespace, key.name) not in seen:
                self._remove(key)

    def watcher_ok(self, watcher: KindWatcher) -> None:
        """A watcher (re)synced: a kind that was forbidden is listable now."""
        gk = (watcher.info.group, watcher.info.kind)
        if gk in self._warnings and not any(
            w.forbidden for (g, k, _), w in self._watchers.items() if (g, k) == gk
        ):
            del self._warnings[gk]
            log.info("now watching kind=%s server=%s", watcher.info.kind, self.client.config.server)

    def watcher_failed(self, watcher: KindWatcher, exc: errors.KubeError) -> None:
        """A watcher lost the server; its objects stay, marked stale via ``status()``."""
        log.warning("watch failed kind=%s error=%s", watcher.info.kind, exc)

    def kind_gone(self, watcher: KindWatcher) -> None:
        """The server stopped serving the kind (CRD deleted): rediscover."""
        log.info("kind no longer served kind=%s", watcher.info.kind)
        watcher.synced.set()
        self._refresh_kinds.set()

    def kind_forbidden(self, watcher: KindWatcher, exc: errors.APIError) -> None:
        """The credentials may not list the kind: warn, count it synced, retry later.

        Objects already cached stay (the next successful list reconciles them).
        """
        self._warn_forbidden(watcher.info, exc.api_message or "forbidden")
        watcher.synced.set()

    def _warn_forbidden(self, info: ResourceInfo, why: str) -> None:
        text = f"not watching {info.kind}.{info.group or 'core'}: {why} (retrying)"
        if (info.group, info.kind) not in self._warnings:
            log.warning("%s server=%s", text, self.client.config.server)
        self._warnings[(info.group, info.kind)] = text

    def _drop_kind(self, watcher: KindWatcher) -> None:
        info = watcher.info
        for key in self.index.keys_of_kind(info.group, info.kind):
            if watcher.namespace is None or key.namespace == watcher.namespace:
                self._remove(key)

    def _notify(self, event: CacheEvent) -> None:
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception:
                log.exception("cache subscriber failed key=%s", event.key)

    # -- full bodies for what health needs ---------------------------------------------

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _fill_managed_descendants(self) -> None:
        for app in self.index.apps():
            for key in self.index.app_keys(app):
                await self._fill_descendants(key)

    async def _fill_descendants(self, key: ResourceKey) -> None:
        """Fetch full bodies of lean descendants of a newly managed object."""
        for rec in list(self.index.descendants(key)):
            if rec.full:
                continue
            watcher = next(
                (w for (g, k, _), w in self._watchers.items() if (g, k) == rec.key[:2]), None
            )
            if watcher is None:
                continue
            try:
                obj = await self.client.request(
                    "GET", watcher.info.path(rec.key.namespace or None, rec.key.name)
                )
            except errors.KubeError:
                continue  # gone or unreachable: the watch will tell
            current = self.index.get(rec.key)
            if current is not None and current.resource_version == rec.resource_version:
                current.resource_version = ""  # force the upsert to store the body
                self.upsert(watcher, obj, "MODIFIED")
