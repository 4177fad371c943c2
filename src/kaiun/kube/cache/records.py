"""What the cache keeps per live object: identity, owners, tracking, and (sometimes) the body.

Objects some Application manages, and their descendants (what health needs), keep the full
body; every other object keeps only identity, owner references and tracking info.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson

from kaiun import diff

log = logging.getLogger(__name__)


class ResourceKey(NamedTuple):
    """(group, kind, namespace, name); namespace is ``""`` for cluster-scoped objects."""

    group: str
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        ns = f"{self.namespace}/" if self.namespace else ""
        return f"{self.group}/{self.kind}:{ns}{self.name}"


class OwnerRef(NamedTuple):
    """One ``metadata.ownerReferences`` entry."""

    uid: str
    group: str
    kind: str
    name: str
    controller: bool


@dataclass(slots=True)
class Record:
    """The cache's entry for one live object."""

    key: ResourceKey
    uid: str
    resource_version: str
    owners: tuple[OwnerRef, ...]
    app: str | None
    fingerprint: int
    obj: dict[str, Any] | None

    @property
    def full(self) -> bool:
        """Whether the whole object is kept."""
        return self.obj is not None


def key_of(obj: dict[str, Any], group: str, kind: str) -> ResourceKey:
    """The key of ``obj`` (group and kind come from the watched resource)."""
    meta = obj.get("metadata") or {}
    return ResourceKey(group, kind, meta.get("namespace") or "", meta.get("name") or "")


def owners_of(obj: dict[str, Any]) -> tuple[OwnerRef, ...]:
    """The owner references of ``obj``."""
    refs = (obj.get("metadata") or {}).get("ownerReferences") or ()
    return tuple(
        OwnerRef(
            uid=str(r.get("uid", "")),
            group=str(r.get("apiVersion", "")).rpartition("/")[0],
            kind=str(r.get("kind", "")),
            name=str(r.get("name", "")),
            controller=bool(r.get("controller")),
        )
        for r in refs
    )


def fingerprint(
    obj: dict[str, Any], pointers: tuple[str, ...], rules: tuple[diff.IgnoreRule, ...] = ()
) -> int:
    """A hash of ``obj`` without the fields ``pointers`` and the rules' jq expressions select.

    A jq expression that fails on this object is skipped, so the change counts (Argo CD
    likewise computes no hash and refreshes).
    """
    pruned = obj
    for pointer in pointers:
        pruned = _without(pruned, [_unescape(p) for p in pointer.strip("/").split("/") if p])
    for rule in rules:
        try:
            # jq builds a new object: the cached one is never mutated.
            pruned = diff.remove_ignored(pruned, [rule])
        except diff.IgnoreRuleError as exc:
            log.debug("ignoreResourceUpdates rule skipped: %s", exc)
    return hash(orjson.dumps(pruned, option=orjson.OPT_SORT_KEYS))


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _without(obj: Any, path: list[str]) -> Any:
    # Copy only along the path so the cached object is never mutated.
    if not path or not isinstance(obj, dict) or path[0] not in obj:
        return obj
    out = dict(obj)
    if len(path) == 1:
        del out[path[0]]
    else:
        out[path[0]] = _without(obj[path[0]], path[1:])
    return out
