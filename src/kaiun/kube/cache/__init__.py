"""Per-cluster cache of live objects (part of the kube room, IO).

Owns list+watch of every watched kind, the owner graph, the app index by tracking method,
``ignoreResourceUpdates`` and the "apps touched" subscription. Must not import
``kaiun.localcluster`` or rooms above L3; uses only ``kaiun.kube`` and ``kaiun.model``.
"""

from kaiun.kube.cache.cluster import CacheEvent, CacheStatus, ClusterCache
from kaiun.kube.cache.records import OwnerRef, Record, ResourceKey
from kaiun.kube.cache.settings import (
    DEFAULT_EXCLUSIONS,
    CacheSettings,
    ResourceRule,
)
from kaiun.kube.cache.watcher import Backoff

__all__ = [
    "DEFAULT_EXCLUSIONS",
    "Backoff",
    "CacheEvent",
    "CacheSettings",
    "CacheStatus",
    "ClusterCache",
    "OwnerRef",
    "Record",
    "ResourceKey",
    "ResourceRule",
]
