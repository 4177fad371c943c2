"""Orphaned resources: objects in an app's destination namespace that no Application tracks.

Argo CD reports them when the AppProject sets ``orphanedResources``; its ``ignore`` entries
(``group``, ``kind``, ``name`` globs) and a few objects every namespace has (the default
ServiceAccount, the ``kube-root-ca.crt`` ConfigMap) are left out, as Argo CD does. Objects
owned by another object are never orphans (their owner is).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from typing import Any

from kaiun.kube.cache import ClusterCache, ResourceKey

# Objects Kubernetes creates in every namespace.
ALWAYS_IGNORED = (
    ("", "ServiceAccount", "default"),
    ("", "ConfigMap", "kube-root-ca.crt"),
)


def _ignored(key: ResourceKey, rules: Iterable[Mapping[str, Any]]) -> bool:
    if (key.group, key.kind, key.name) in ALWAYS_IGNORED:
        return True
    for rule in rules:
        group = str(rule.get("group") or "*")
        kind = str(rule.get("kind") or "*")
        name = str(rule.get("name") or "*")
        if (
            fnmatch.fnmatchcase(key.group, group)
            and fnmatch.fnmatchcase(key.kind, kind)
            and fnmatch.fnmatchcase(key.name, name)
        ):
            return True
    return False


def orphaned_keys(
    cache: ClusterCache, namespace: str, ignore: Iterable[Mapping[str, Any]] = ()
) -> list[ResourceKey]:
    """Keys of untracked, unowned objects in ``namespace`` (minus the ignored ones)."""
    rules = list(ignore)
    out = []
    index = cache.index
    for group, kind in index.kinds():
        for key in index.keys_of_kind(group, kind):
            if key.namespace != namespace:
                continue
            rec = index.get(key)
            if rec is None or rec.owners or index.apps_of(rec):
                continue
            if not _ignored(key, rules):
                out.append(key)
    return sorted(out)
