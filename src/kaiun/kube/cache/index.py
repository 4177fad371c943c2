"""The cache's in-memory state: records by key, by kind, by uid, owner graph and app index.

No IO. ``upsert``/``remove`` keep every index consistent; queries answer resource-tree and
"which Applications does this touch" questions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

from kaiun.kube.cache.records import Record, ResourceKey

MAX_OWNER_DEPTH = 16  # owner cycles are invalid but must not hang a walk


class ClusterIndex:
    """Records of one cluster and the indexes over them."""

    def __init__(self) -> None:
        self.records: dict[ResourceKey, Record] = {}
        self._by_kind: dict[tuple[str, str], set[ResourceKey]] = defaultdict(set)
        self._by_uid: dict[str, ResourceKey] = {}
        self._children: dict[str, set[ResourceKey]] = defaultdict(set)
        self._by_app: dict[str, set[ResourceKey]] = defaultdict(set)

    def __len__(self) -> int:
        return len(self.records)

    def get(self, key: ResourceKey) -> Record | None:
        """The record for ``key``."""
        return self.records.get(key)

    def upsert(self, rec: Record) -> Record | None:
        """Insert or replace; returns the previous record."""
        old = self.records.get(rec.key)
        if old is not None:
            self._unlink(old)
        self.records[rec.key] = rec
        self._by_kind[(rec.key.group, rec.key.kind)].add(rec.key)
        if rec.uid:
            self._by_uid[rec.uid] = rec.key
        for ref in rec.owners:
            self._children[ref.uid].add(rec.key)
        if rec.app:
            self._by_app[rec.app].add(rec.key)
        return old

    def remove(self, key: ResourceKey) -> Record | None:
        """Drop ``key``; returns the removed record."""
        old = self.records.pop(key, None)
        if old is not None:
            self._unlink(old)
        return old

    def _unlink(self, rec: Record) -> None:
        self._by_kind[(rec.key.group, rec.key.kind)].discard(rec.key)
        if rec.uid and self._by_uid.get(rec.uid) == rec.key:
            del self._by_uid[rec.uid]
        for ref in rec.owners:
            kids = self._children.get(ref.uid)
            if kids is not None:
                kids.discard(rec.key)
                if not kids:
                    del self._children[ref.uid]
        if rec.app:
            keys = self._by_app.get(rec.app)
            if keys is not None:
                keys.discard(rec.key)
                if not keys:
                    del self._by_app[rec.app]

    def keys_of_kind(self, group: str, kind: str) -> set[ResourceKey]:
        """Keys of every cached object of a kind."""
        return set(self._by_kind.get((group, kind), ()))

    def kinds(self) -> list[tuple[str, str]]:
        """Group kinds with at least one cached object."""
        return [gk for gk, keys in self._by_kind.items() if keys]

    def by_uid(self, uid: str) -> Record | None:
        """The record with ``metadata.uid``."""
        key = self._by_uid.get(uid)
        return self.records.get(key) if key else None

    def parents(self, key: ResourceKey) -> list[Record]:
        """Cached owners of ``key``."""
        rec = self.records.get(key)
        if rec is None:
            return []
        return [p for p in (self.by_uid(ref.uid) for ref in rec.owners) if p is not None]

    def children(self, key: ResourceKey) -> list[Record]:
        """Cached objects that name ``key`` as an owner."""
        rec = self.records.get(key)
        if rec is None or not rec.uid:
            return []
        return [self.records[k] for k in self._children.get(rec.uid, ()) if k in self.records]

    def descendants(self, key: ResourceKey) -> Iterator[Record]:
        """Children, grandchildren... (each once)."""
        seen: set[ResourceKey] = {key}
        frontier = [key]
        while frontier:
            nxt = []
            for k in frontier:
                for child in self.children(k):
                    if child.key not in seen:
                        seen.add(child.key)
                        nxt.append(child.key)
                        yield child
            frontier = nxt

    def apps_of(self, rec: Record) -> set[str]:
        """Applications that ``rec`` belongs to: its own tracking or an ancestor's."""
        apps: set[str] = set()
        seen: set[str] = set()
        frontier: Iterable[Record] = [rec]
        for _ in range(MAX_OWNER_DEPTH):
            nxt: list[Record] = []
            for r in frontier:
                if r.app:
                    apps.add(r.app)
                for ref in r.owners:
                    if ref.uid not in seen:
                        seen.add(ref.uid)
                        parent = self.by_uid(ref.uid)
                        if parent is not None:
                            nxt.append(parent)
            if not nxt:
                break
            frontier = nxt
        return apps

    def app_keys(self, app: str) -> set[ResourceKey]:
        """Keys of the objects that ``app`` tracks directly."""
        return set(self._by_app.get(app, ()))

    def apps(self) -> list[str]:
        """Every Application with at least one tracked object."""
        return [a for a, keys in self._by_app.items() if keys]
