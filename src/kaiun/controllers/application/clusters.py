"""Destination clusters: a client and a live-object cache per cluster, started on first use.

``https://kubernetes.default.svc`` (name ``in-cluster``) is the cluster the controller runs
against; other clusters come from Argo CD cluster Secrets (label
``argocd.argoproj.io/secret-type: cluster``) in the control-plane namespace.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kaiun.kube import KubeClient, errors, from_cluster_secret
from kaiun.kube.cache import CacheEvent, CacheSettings, ClusterCache
from kaiun.model.application import IN_CLUSTER_NAME, IN_CLUSTER_SERVER, Destination

log = logging.getLogger(__name__)
CLUSTER_SECRET_SELECTOR = "argocd.argoproj.io/secret-type=cluster"
SYNC_WAIT = 120.0


async def cluster_names(client: KubeClient, namespace: str) -> dict[str, str]:
    """Cluster name -> server URL: ``in-cluster`` plus the namespace's cluster Secrets (a
    Secret that cannot be read is skipped; the clusters API reports it)."""
    names = {IN_CLUSTER_NAME: IN_CLUSTER_SERVER}
    try:
        listed = await client.list(
            "v1", "Secret", namespace, label_selector=CLUSTER_SECRET_SELECTOR
        )
    except (errors.Forbidden, errors.NotFound):
        return names
    for secret in listed.items:
        try:
            config = from_cluster_secret(secret)
        except errors.ConfigError:
            continue
        names[config.name] = config.server
    return names


class DestinationError(Exception):
    """An Application's destination names no known cluster, or it cannot be reached."""


@dataclass
class Cluster:
    """One destination cluster's client and cache."""

    server: str
    name: str
    client: KubeClient
    cache: ClusterCache
    owned: bool  # whether this registry opened the client (and closes it)
    version: str = ""  # the API server's gitVersion, for the cluster metrics
    opened_at: float = field(default_factory=time.time)


class Clusters:
    """The clusters Applications deploy to, by server URL."""

    def __init__(
        self,
        client: KubeClient,
        namespace: str,
        cache_settings: CacheSettings,
        on_event: Callable[[CacheEvent], None],
        *,
        health: Callable[[dict[str, Any]], object] | None = None,
    ) -> None:
        self.client = client
        self.namespace = namespace
        self.cache_settings = cache_settings
        self._on_event = on_event
        self._health = health
        self._clusters: dict[str, Cluster] = {}
        self._names: dict[str, str] = {IN_CLUSTER_NAME: IN_CLUSTER_SERVER}
        self._secrets: dict[str, dict[str, Any]] = {}
        self._lock = asyncio.Lock()
        # Told (server, event) of every cache event: the cluster-events metric.
        self.on_cluster_event: Callable[[str, CacheEvent], None] | None = None

    @property
    def names(self) -> dict[str, str]:
        """Cluster name → server URL (for AppProject destination checks)."""
        return dict(self._names)

    async def load_secrets(self) -> None:
        """Read cluster Secrets (names and servers); clients open lazily."""
        try:
            listed = await self.client.list(
                "v1", "Secret", namespace=self.namespace, label_selector=CLUSTER_SECRET_SELECTOR
            )
        except errors.KubeError as exc:
            log.warning("cannot list cluster secrets error=%s", exc)
            return
        for secret in listed.items:
            try:
                config = from_cluster_secret(secret)
            except errors.ConfigError as exc:
                log.warning("skipping cluster secret error=%s", exc)
                continue
            self._names[config.name] = config.server
            self._secrets[config.server] = secret

    async def ensure_known(self, dest: Destination) -> None:
        """Re-read cluster Secrets when a destination names a cluster not seen yet."""
        unknown_name = dest.name and dest.name not in self._names
        unknown_server = (
            dest.server and dest.server != IN_CLUSTER_SERVER and dest.server not in self._secrets
        )
        if unknown_name or unknown_server:
            await self.load_secrets()

    def server_of(self, dest: Destination) -> str:
        """The server URL a destination means; ``DestinationError`` when unknown."""
        if dest.server:
            return dest.server
        if dest.name in self._names:
            return self._names[dest.name]
        raise DestinationError(
            f"there are no clusters with this name: {dest.name!r}; add a cluster Secret for it"
        )

    def name_of(self, server: str) -> str:
        """The cluster name of a server URL (the URL itself when it has no name)."""
        return next((n for n, s in self._names.items() if s == server), server)

    async def get(self, dest: Destination) -> Cluster:
        """The started, synced cluster a destination points to."""
        server = self.server_of(dest)
        async with self._lock:
            cluster = self._clusters.get(server)
            if cluster is None:
                cluster = await self._open(server)
                self._clusters[server] = cluster
        if not cluster.cache.status().synced:
            try:
                await cluster.cache.wait_synced(SYNC_WAIT)
            except TimeoutError as exc:
                raise DestinationError(
                    f"cluster {server} is not synced yet: {cluster.cache.status().error}"
                ) from exc
        return cluster

    async def _open(self, server: str) -> Cluster:
        if server == IN_CLUSTER_SERVER:
            client, owned = self.client, False
        else:
            if server not in self._secrets:
                await self.load_secrets()
            secret = self._secrets.get(server)
            if secret is None:
                raise DestinationError(
                    f"cluster {server} is not configured; add an Argo CD cluster Secret for it"
                )
            client, owned = await KubeClient.connect(from_cluster_secret(secret)), True
        cache = ClusterCache(client, self.cache_settings, health=self._health)
        cache.subscribe(self._on_event)
        if self.on_cluster_event is not None:
            count = self.on_cluster_event
            cache.subscribe(lambda event: count(server, event))
        await cache.start()
        try:
            version = str((await client.get_path("/version")).get("gitVersion") or "")
        except errors.KubeError:
            version = ""
        return Cluster(server, self.name_of(server), client, cache, owned, version)

    async def reset(
        self, cache_settings: CacheSettings, health: Callable[[dict[str, Any]], object] | None
    ) -> None:
        """New cache settings (argocd-cm changed): stop every cache; the next use of a
        cluster opens it again with them."""
        async with self._lock:
            old = list(self._clusters.values())
            self._clusters.clear()
            self.cache_settings = cache_settings
            self._health = health
        for cluster in old:
            await cluster.cache.stop()
            if cluster.owned:
                await cluster.client.aclose()

    def opened(self) -> list[Cluster]:
        """Clusters whose caches have started."""
        return list(self._clusters.values())

    def caches(self) -> list[ClusterCache]:
        """Caches started so far."""
        return [c.cache for c in self._clusters.values()]

    async def close(self) -> None:
        """Stop every cache and close the clients this registry opened."""
        for cluster in self._clusters.values():
            await cluster.cache.stop()
            if cluster.owned:
                await cluster.client.aclose()
        self._clusters.clear()
