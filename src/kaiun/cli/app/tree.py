"""The resource tree of ``app get -o tree``: each managed resource with the objects it owns
(ReplicaSets, Pods, ...), read from the owner graph of the destination cluster's cache."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kaiun import health
from kaiun.cli.app.destination import open_destination
from kaiun.kube import KubeClient
from kaiun.kube.cache import ClusterCache, ResourceKey
from kaiun.model.application import Application

MAX_DEPTH = 8  # owner chains are short; a cycle in broken ownerReferences must not hang us

Key = tuple[str, str, str, str]


@dataclass(frozen=True)
class TreeNode:
    """One owned object: its kind, name, health and the objects it owns in turn."""

    kind: str
    name: str
    health: str
    children: tuple[TreeNode, ...]


def _children(
    cache: ClusterCache, key: ResourceKey, overrides: Any, depth: int
) -> tuple[TreeNode, ...]:
    if depth >= MAX_DEPTH:
        return ()
    nodes = []
    for rec in sorted(cache.index.children(key), key=lambda r: r.key):
        verdict = health.assess(rec.obj, overrides=overrides) if rec.obj is not None else None
        nodes.append(
            TreeNode(
                kind=rec.key.kind,
                name=rec.key.name,
                health=str(verdict.status) if verdict is not None else "",
                children=_children(cache, rec.key, overrides, depth + 1),
            )
        )
    return tuple(nodes)


async def resource_tree(
    client: KubeClient, app_obj: dict[str, Any], control_ns: str
) -> dict[Key, tuple[TreeNode, ...]]:
    """The children of every managed resource of the app, by (group, kind, namespace, name)."""
    app = Application.from_dict(app_obj)
    async with open_destination(client, control_ns, app) as dest:
        cache = dest.cluster.cache
        overrides = dest.settings.overrides or None
        out: dict[Key, tuple[TreeNode, ...]] = {}
        for res in (app_obj.get("status") or {}).get("resources") or []:
            key = ResourceKey(
                str(res.get("group", "")),
                str(res.get("kind", "")),
                str(res.get("namespace", "")),
                str(res.get("name", "")),
            )
            out[key] = _children(cache, key, overrides, 0)
        return out
