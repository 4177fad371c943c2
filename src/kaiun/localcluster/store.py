"""Durable object storage: SQLite (WAL) underneath, an in-memory index on top.

Every acknowledged write is committed to SQLite before the caller returns, so a ``kill -9``
loses nothing that got a 2xx. Reads never touch SQLite: the index keeps each object's
serialized JSON (``raw``) plus its labels, which keeps memory low (no parsed dicts held)
and lets GET and LIST answer by copying bytes. Each write produces a ``WatchEvent`` in the
``EventLog`` that watchers read from.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from kaiun.localcluster.watchlog import EventLog, WatchEvent

ADDED, MODIFIED, DELETED = "ADDED", "MODIFIED", "DELETED"


@dataclass(slots=True)
class Entry:
    """One stored object as the index keeps it."""

    rv: int
    raw: bytes
    labels: dict[str, str]

    def load(self) -> dict[str, Any]:
        """A fresh, mutable copy of the object."""
        obj: dict[str, Any] = orjson.loads(self.raw)
        return obj


Key = tuple[str, str]  # (namespace, name); namespace is "" for cluster-scoped objects


class Store:
    """Objects by storage key (``apps/deployments``) and (namespace, name)."""

    def __init__(self, path: Path | None = None, *, history: int = 200_000) -> None:
        self._db = sqlite3.connect(
            str(path) if path else ":memory:", isolation_level=None, check_same_thread=False
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode survives a process crash (the WAL is in the OS's hands once
        # a commit returns); only a power loss could drop the last transactions.
        self._db.execute("PRAGMA synchronous=NORMAL")
        # A rowid table: objects of ~1 KiB then fit in b-tree leaf pages, where WITHOUT ROWID
        # pushed each one to an overflow page (a 3.5x larger file).
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS objects (skey TEXT NOT NULL, ns TEXT NOT NULL,"
            " name TEXT NOT NULL, rv INTEGER NOT NULL, data BLOB NOT NULL,"
            " PRIMARY KEY (skey, ns, name))"
        )
        self._db.execute("CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER)")
        self._index: dict[str, dict[Key, Entry]] = {}
        row = self._db.execute("SELECT v FROM meta WHERE k='rv'").fetchone()
        self._rv: int = row[0] if row else 0
        for skey, ns, name, rv, data in self._db.execute(
            "SELECT skey, ns, name, rv, data FROM objects"
        ):
            obj = orjson.loads(data)
            self._index.setdefault(skey, {})[(ns, name)] = Entry(rv, bytes(data), _labels(obj))
            self._rv = max(self._rv, rv)
        self.events = EventLog(capacity=history, start_rv=self._rv)

    @property
    def rv(self) -> int:
        """The newest resourceVersion handed out."""
        return self._rv

    def close(self) -> None:
        self._db.close()

    # reads -------------------------------------------------------------------------------

    def get(self, skey: str, ns: str, name: str) -> Entry | None:
        bucket = self._index.get(skey)
        return bucket.get((ns, name)) if bucket else None

    def items(self, skey: str, ns: str | None = None) -> list[tuple[Key, Entry]]:
        """Objects of one kind, optionally in one namespace, in (namespace, name) order."""
        bucket = self._index.get(skey, {})
        if ns is None:
            return sorted(bucket.items())
        return sorted(kv for kv in bucket.items() if kv[0][0] == ns)

    def keys(self) -> Iterator[str]:
        return iter(list(self._index))

    def in_namespace(self, ns: str) -> list[tuple[str, Key]]:
        """Every (storage key, key) stored in a namespace."""
        return [(skey, k) for skey, b in self._index.items() for k in b if k[0] == ns]

    # writes ------------------------------------------------------------------------------

    def put(self, skey: str, obj: dict[str, Any], *, created: bool) -> Entry:
        """Store ``obj`` with the next resourceVersion; commits before returning."""
        meta = obj["metadata"]
        ns, name = meta.get("namespace", ""), meta["name"]
        old = self.get(skey, ns, name)
        rv = self._rv + 1
        meta["resourceVersion"] = str(rv)
        raw = _dump(obj)
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO objects (skey, ns, name, rv, data) VALUES (?,?,?,?,?)",
                (skey, ns, name, rv, raw),
            )
            self._db.execute("INSERT OR REPLACE INTO meta (k, v) VALUES ('rv', ?)", (rv,))
        self._rv = rv
        entry = Entry(rv, raw, _labels(obj))
        self._index.setdefault(skey, {})[(ns, name)] = entry
        self.events.append(
            WatchEvent(
                rv=rv,
                type=ADDED if created else MODIFIED,
                skey=skey,
                ns=ns,
                name=name,
                raw=raw,
                labels=entry.labels,
                old_labels=old.labels if old else None,
            )
        )
        return entry

    def delete(self, skey: str, obj: dict[str, Any]) -> Entry:
        """Remove an object; watchers get its last state with a new resourceVersion."""
        meta = obj["metadata"]
        ns, name = meta.get("namespace", ""), meta["name"]
        rv = self._rv + 1
        meta["resourceVersion"] = str(rv)
        raw = _dump(obj)
        with self._db:
            self._db.execute(
                "DELETE FROM objects WHERE skey=? AND ns=? AND name=?", (skey, ns, name)
            )
            self._db.execute("INSERT OR REPLACE INTO meta (k, v) VALUES ('rv', ?)", (rv,))
        self._rv = rv
        bucket = self._index.get(skey, {})
        bucket.pop((ns, name), None)
        entry = Entry(rv, raw, _labels(obj))
        self.events.append(
            WatchEvent(
                rv=rv,
                type=DELETED,
                skey=skey,
                ns=ns,
                name=name,
                raw=raw,
                labels=entry.labels,
                old_labels=entry.labels,
            )
        )
        return entry


def _dump(obj: dict[str, Any]) -> bytes:
    # orjson hands back its growth buffer (often 8-16 KiB for a 1 KiB object); an exact-size
    # copy keeps a stored object's memory at its JSON size, which decides RSS at scale.
    return bytes(memoryview(orjson.dumps(obj)))


def _labels(obj: dict[str, Any]) -> dict[str, str]:
    labels = obj.get("metadata", {}).get("labels")
    return dict(labels) if isinstance(labels, dict) else {}
