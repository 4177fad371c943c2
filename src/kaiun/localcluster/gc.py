"""Garbage collection by ownerReferences, and the namespace lifecycle controller.

Background deletion removes dependents once none of their owners exist; foreground deletion
holds the owner (``foregroundDeletion`` finalizer) until its dependents are gone; orphan
deletion strips the owner's references from dependents and lets them live. A terminating
namespace is emptied, then finalized and removed.
"""

from __future__ import annotations

import contextlib
from typing import Any

import orjson

from kaiun.localcluster.cluster import NS_SKEY, Cluster, WriteOptions
from kaiun.localcluster.errors import APIError
from kaiun.localcluster.watchlog import WatchEvent

MANAGER = "kaiun-garbage-collector"


class GarbageCollector:
    """Keeps ownership consistent after owners are deleted."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    def resync(self) -> None:
        c = self.cluster
        for skey in list(c.store.keys()):
            for _key, entry in c.store.items(skey):
                self._check(entry.load())

    def tick(self) -> None:
        pass

    def handle(self, ev: WatchEvent) -> None:
        obj = orjson.loads(ev.raw)
        if ev.type == "DELETED":
            uid = obj["metadata"].get("uid", "")
            for dep_uid in list(self.cluster.dependents.get(uid, ())):
                dep = self.cluster.by_uid(dep_uid)
                if dep is not None:
                    self._check(dep)
            for ref in obj["metadata"].get("ownerReferences") or ():
                owner = self.cluster.by_uid(ref.get("uid", ""))
                if owner is not None:
                    self._check(owner)
            self.cluster.dependents.pop(uid, None)
            return
        self._check(obj)

    def _check(self, obj: dict[str, Any]) -> None:
        meta = obj["metadata"]
        finalizers = meta.get("finalizers") or []
        if meta.get("deletionTimestamp"):
            if "foregroundDeletion" in finalizers:
                self._foreground(obj)
            if "orphan" in finalizers:
                self._orphan(obj)
        refs = meta.get("ownerReferences") or []
        if (
            refs
            and not meta.get("deletionTimestamp")
            and not any(r.get("uid") in self.cluster.uids for r in refs)
        ):
            self._delete(obj, "Background")

    def _dependents(self, obj: dict[str, Any]) -> list[dict[str, Any]]:
        uid = obj["metadata"].get("uid", "")
        out = []
        for dep_uid in list(self.cluster.dependents.get(uid, ())):
            dep = self.cluster.by_uid(dep_uid)
            if dep is not None:
                out.append(dep)
        return out

    def _foreground(self, obj: dict[str, Any]) -> None:
        deps = self._dependents(obj)
        for dep in deps:
            if not dep["metadata"].get("deletionTimestamp"):
                self._delete(dep, "Foreground")
        if not self._dependents(obj):
            self._drop_finalizer(obj, "foregroundDeletion")

    def _orphan(self, obj: dict[str, Any]) -> None:
        uid = obj["metadata"].get("uid", "")
        for dep in self._dependents(obj):
            refs = [r for r in dep["metadata"].get("ownerReferences") or () if r.get("uid") != uid]
            self._write(dep, lambda d, refs=refs: _set_refs(d, refs))
        self._drop_finalizer(obj, "orphan")

    def _drop_finalizer(self, obj: dict[str, Any], name: str) -> None:
        self._write(
            obj,
            lambda o: o["metadata"].__setitem__(
                "finalizers", [f for f in o["metadata"].get("finalizers") or () if f != name]
            ),
        )

    def _write(self, obj: dict[str, Any], change: Any) -> None:
        c = self.cluster
        rt = _type_of(c, obj)
        if rt is None:
            return
        meta = obj["metadata"]
        try:
            current = c.get(rt, meta.get("namespace", ""), meta["name"])
            change(current)
            c.update(
                rt,
                meta.get("namespace", ""),
                meta["name"],
                current,
                WriteOptions(field_manager=MANAGER),
            )
        except APIError:
            pass

    def _delete(self, obj: dict[str, Any], policy: str) -> None:
        c = self.cluster
        rt = _type_of(c, obj)
        if rt is None:
            return
        meta = obj["metadata"]
        with contextlib.suppress(APIError):
            c.delete(rt, meta.get("namespace", ""), meta["name"], propagation=policy)


class NamespaceController:
    """Gives new namespaces their defaults and empties terminating ones."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self._terminating: set[str] = set()

    def resync(self) -> None:
        for _key, entry in self.cluster.store.items(NS_SKEY):
            ns = entry.load()
            name = ns["metadata"]["name"]
            if ns["metadata"].get("deletionTimestamp"):
                self._terminating.add(name)
            elif self.cluster.store.get("/serviceaccounts", name, "default") is None:
                self._populate(name)
        self.tick()

    def handle(self, ev: WatchEvent) -> None:
        if ev.skey != NS_SKEY or ev.type == "DELETED":
            return
        ns = orjson.loads(ev.raw)
        name = ns["metadata"]["name"]
        if ns["metadata"].get("deletionTimestamp"):
            self._terminating.add(name)
        elif ev.type == "ADDED":
            self._populate(name)

    def _populate(self, ns: str) -> None:
        c = self.cluster
        opts = WriteOptions(field_manager="kaiun-namespace-controller")
        ca = (c.ca_pem or "").strip()
        for rt, obj in (
            (
                c.type_for("v1", "serviceaccounts"),
                {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"}},
            ),
            (
                c.type_for("v1", "configmaps"),
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": "kube-root-ca.crt"},
                    "data": {"ca.crt": ca + "\n"},
                },
            ),
        ):
            with contextlib.suppress(APIError):
                c.create(rt, ns, obj, opts)

    def tick(self) -> None:
        c = self.cluster
        for name in list(self._terminating):
            entry = c.store.get(NS_SKEY, "", name)
            if entry is None:
                self._terminating.discard(name)
                continue
            contents = c.store.in_namespace(name)
            for skey, (ns, oname) in contents:
                obj_entry = c.store.get(skey, ns, oname)
                if obj_entry is None or b'"deletionTimestamp"' in obj_entry.raw:
                    continue
                obj = obj_entry.load()
                rt = _type_of(c, obj)
                if rt is not None:
                    with contextlib.suppress(APIError):
                        c.delete(rt, ns, oname, propagation="Background")
            if not c.store.in_namespace(name):
                ns_obj = entry.load()
                ns_obj.setdefault("spec", {})["finalizers"] = []
                if not ns_obj["metadata"].get("finalizers"):
                    c.remove(NS_SKEY, ns_obj)
                    self._terminating.discard(name)


def _set_refs(obj: dict[str, Any], refs: list[dict[str, Any]]) -> None:
    if refs:
        obj["metadata"]["ownerReferences"] = refs
    else:
        obj["metadata"].pop("ownerReferences", None)


def _type_of(c: Cluster, obj: dict[str, Any]) -> Any:
    return c.registry.by_kind(obj.get("apiVersion", ""), obj.get("kind", ""))
