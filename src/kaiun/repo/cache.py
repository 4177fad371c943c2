"""The manifest cache: rendered responses keyed by everything that changes a render.

The key covers the normalized repository URL, the resolved commit (and the commits of any
``ref`` sources), the source spec, the request fields renderers see and the settings.
Entries expire after 24 h (Argo CD's ``reposerver.repo.cache.expiration``) and the least
recently used go first. A failed render never touches the cache, so the last good
manifests of every commit stay available.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable

import orjson

from kaiun.repo.contract import ManifestRequest, ManifestResponse
from kaiun.repo.urls import normalize_repo_url

__all__ = [
    "ManifestCache",
    "ManifestStore",
    "SharedManifestStore",
    "manifest_cache_key",
    "manifest_cache_keys",
]

DEFAULT_TTL_SECONDS = 24 * 3600.0


def _material(
    request: ManifestRequest, ref_commits: Mapping[str, str], engine: str
) -> dict[str, Any]:
    # manifest_generate_paths, previous_revision and placeholder replacement (done after the
    # cache) only decide whether to render or what happens afterwards, not what is rendered.
    return {
        "repo": normalize_repo_url(request.source.repo_url),
        "refs": dict(sorted(ref_commits.items())),
        # Spellings of one repository URL share entries, as they share one mirror.
        "source": {**request.source.to_dict(), "repoURL": ""},
        "refSources": {k: v.to_dict() for k, v in request.ref_sources.items()},
        "app": [request.app_name, request.namespace, request.project],
        "kube": [request.kube_version, list(request.api_versions)],
        "settings": request.settings.to_dict(),
        "engine": engine,
    }


def _digest(material: dict[str, Any], commit: str) -> str:
    material["commit"] = commit
    return hashlib.sha256(orjson.dumps(material, option=orjson.OPT_SORT_KEYS)).hexdigest()


def manifest_cache_key(
    request: ManifestRequest, commit: str, ref_commits: Mapping[str, str], engine: str
) -> str:
    """A stable digest of everything that can change the rendered manifests."""
    return _digest(_material(request, ref_commits, engine), commit)


def manifest_cache_keys(
    request: ManifestRequest, commits: tuple[str, ...], ref_commits: Mapping[str, str], engine: str
) -> tuple[str, ...]:
    """``manifest_cache_key`` for each of ``commits``, describing the request only once."""
    material = _material(request, ref_commits, engine)
    return tuple(_digest(material, c) for c in commits)


class ManifestStore(Protocol):
    """Where rendered responses are kept: in-process (``ManifestCache``) or shared (Redis)."""

    async def get(self, key: str) -> ManifestResponse | None:
        """The stored response for ``key``, or None."""
        ...

    async def put(self, key: str, response: ManifestResponse) -> None:
        """Store ``response`` under ``key``."""
        ...

    async def clear(self) -> None:
        """Forget every stored response."""
        ...


@runtime_checkable
class SharedManifestStore(ManifestStore, Protocol):
    """A store shared by replicas that also lets them take turns rendering one key."""

    async def claim(self, key: str, seconds: float) -> str | None:
        """A token when the caller may render ``key`` now; None while another holds it."""
        ...

    async def release(self, key: str, token: str) -> None:
        """Give up the turn ``claim`` granted."""
        ...


class ManifestCache:
    """An in-process LRU of ``ManifestResponse`` with a time-to-live (embedded mode)."""

    def __init__(
        self,
        max_entries: int = 10_000,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_entries = max_entries
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, ManifestResponse]] = OrderedDict()

    async def get(self, key: str) -> ManifestResponse | None:
        """The cached response for ``key`` if present and not expired."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        stored, response = entry
        if self._clock() - stored > self.ttl_seconds:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return response

    async def put(self, key: str, response: ManifestResponse) -> None:
        """Store ``response``; the least recently used entry goes when full."""
        self._entries[key] = (self._clock(), response)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    async def clear(self) -> None:
        """Forget everything."""
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
