"""API discovery: which kinds the server serves, under which resource names and verbs.

Cached per client; ``invalidate()`` drops it (the cluster cache calls it when a
CustomResourceDefinition changes) and a lookup of an unknown kind refreshes once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from kaiun.kube.errors import NotFound

Fetch = Callable[[str], Awaitable[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class ResourceInfo:
    """One served resource: ``apps/v1`` ``Deployment`` is ``deployments``, namespaced."""

    group: str
    version: str
    kind: str
    name: str
    namespaced: bool
    verbs: frozenset[str]

    @property
    def api_version(self) -> str:
        """``group/version``, or just ``version`` for the core group."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def listable(self) -> bool:
        """Whether the cache can list and watch it."""
        return {"list", "watch"} <= self.verbs

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        """The REST path of the collection or of one object."""
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{self.name}"
        return f"{base}/{name}" if name else base


def split_api_version(api_version: str) -> tuple[str, str]:
    """``apps/v1`` -> (``apps``, ``v1``); ``v1`` -> (``""``, ``v1``)."""
    group, _, version = api_version.rpartition("/")
    return group, version


class Discovery:
    """A cached view of the server's discovery documents."""

    def __init__(self, fetch: Fetch) -> None:
        self._fetch = fetch
        self._by_gvk: dict[tuple[str, str, str], ResourceInfo] = {}
        self._preferred: dict[tuple[str, str], ResourceInfo] = {}
        self._loaded = False
        self._lock = asyncio.Lock()
        self.generation = 0

    def invalidate(self) -> None:
        """Forget everything; the next lookup fetches discovery again."""
        self._loaded = False

    async def refresh(self) -> None:
        """Fetch every group version now (concurrently)."""
        async with self._lock:
            core = await self._fetch("/api")
            groups = await self._fetch("/apis")
            paths: list[tuple[str, bool]] = [(f"/api/{v}", True) for v in core.get("versions", [])]
            for g in groups.get("groups", []):
                preferred = (g.get("preferredVersion") or {}).get("groupVersion")
                for v in g.get("versions", []):
                    gv = v["groupVersion"]
                    paths.append((f"/apis/{gv}", gv == preferred))
            docs = await asyncio.gather(*(self._fetch_optional(p) for p, _ in paths))
            by_gvk: dict[tuple[str, str, str], ResourceInfo] = {}
            preferred_map: dict[tuple[str, str], ResourceInfo] = {}
            for (_, is_preferred), doc in zip(paths, docs, strict=True):
                for info in _resources(doc):
                    by_gvk[(info.group, info.version, info.kind)] = info
                    if is_preferred or (info.group, info.kind) not in preferred_map:
                        preferred_map[(info.group, info.kind)] = info
            self._by_gvk, self._preferred = by_gvk, preferred_map
            self._loaded = True
            self.generation += 1

    async def _fetch_optional(self, path: str) -> dict[str, Any]:
        # A group version can vanish between /apis and its own document (CRD deleted).
        try:
            return await self._fetch(path)
        except NotFound:
            return {}

    async def _ensure(self) -> None:
        if not self._loaded:
            await self.refresh()

    async def resource(self, api_version: str, kind: str) -> ResourceInfo:
        """The resource serving ``kind`` in ``api_version``; refreshes once when unknown."""
        group, version = split_api_version(api_version)
        await self._ensure()
        info = self._by_gvk.get((group, version, kind))
        if info is None:
            await self.refresh()
            info = self._by_gvk.get((group, version, kind))
        if info is None:
            raise NotFound(
                404,
                {
                    "reason": "NotFound",
                    "message": f"the server does not serve {kind} in {api_version}",
                },
            )
        return info

    async def preferred(self) -> list[ResourceInfo]:
        """One entry per (group, kind), in its preferred version."""
        await self._ensure()
        return list(self._preferred.values())

    async def preferred_for(self, group: str, kind: str) -> ResourceInfo | None:
        """The preferred version of a group kind, if served."""
        await self._ensure()
        return self._preferred.get((group, kind))


def _resources(doc: dict[str, Any]) -> list[ResourceInfo]:
    group, version = split_api_version(str(doc.get("groupVersion", "")))
    out = []
    for r in doc.get("resources", []):
        if "/" in r.get("name", ""):
            continue  # subresources (status, scale, log...)
        out.append(
            ResourceInfo(
                group=group,
                version=version,
                kind=r["kind"],
                name=r["name"],
                namespaced=bool(r.get("namespaced")),
                verbs=frozenset(r.get("verbs") or ()),
            )
        )
    return out


__all__ = ["Discovery", "ResourceInfo", "split_api_version"]
