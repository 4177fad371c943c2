"""Hooks and waves: which phases an object runs in, its wave, and its hook delete policies.

Argo CD's ``argocd.argoproj.io/hook`` wins over Helm's ``helm.sh/hook``; Helm hooks are
mapped the way Argo CD maps them (pre-install/pre-upgrade -> PreSync, post-install/
post-upgrade -> PostSync, ``helm.sh/hook-weight`` as the wave, ``helm.sh/hook-delete-policy``
as delete policies). ``crd-install`` is not a hook. Values are comma-separated lists.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

HOOK_ANNOTATION = "argocd.argoproj.io/hook"
HOOK_DELETE_POLICY_ANNOTATION = "argocd.argoproj.io/hook-delete-policy"
SYNC_WAVE_ANNOTATION = "argocd.argoproj.io/sync-wave"
HELM_HOOK_ANNOTATION = "helm.sh/hook"
HELM_HOOK_WEIGHT_ANNOTATION = "helm.sh/hook-weight"
HELM_HOOK_DELETE_POLICY_ANNOTATION = "helm.sh/hook-delete-policy"
HOOK_FINALIZER = "argocd.argoproj.io/hook-finalizer"


class SyncPhase(StrEnum):
    """The phases of a sync, in the order they run (SyncFail only on failure)."""

    PRE_SYNC = "PreSync"
    SYNC = "Sync"
    POST_SYNC = "PostSync"
    SYNC_FAIL = "SyncFail"

    @property
    def rank(self) -> int:
        """Position in the run order."""
        return _PHASE_RANK[self]


_PHASE_RANK = {
    SyncPhase.PRE_SYNC: -1,
    SyncPhase.SYNC: 0,
    SyncPhase.POST_SYNC: 1,
    SyncPhase.SYNC_FAIL: 2,
}


class HookType(StrEnum):
    """Values of ``argocd.argoproj.io/hook``."""

    PRE_SYNC = "PreSync"
    SYNC = "Sync"
    POST_SYNC = "PostSync"
    SYNC_FAIL = "SyncFail"
    SKIP = "Skip"
    PRE_DELETE = "PreDelete"
    POST_DELETE = "PostDelete"


class DeletePolicy(StrEnum):
    """Values of ``argocd.argoproj.io/hook-delete-policy``."""

    HOOK_SUCCEEDED = "HookSucceeded"
    HOOK_FAILED = "HookFailed"
    BEFORE_HOOK_CREATION = "BeforeHookCreation"


_HOOK_VALUES = frozenset(t.value for t in HookType)
_PHASE_VALUES = frozenset(p.value for p in SyncPhase)
_POLICY_VALUES = frozenset(p.value for p in DeletePolicy)
_HELM_TYPES = {
    "pre-install": HookType.PRE_SYNC,
    "pre-upgrade": HookType.PRE_SYNC,
    "post-install": HookType.POST_SYNC,
    "post-upgrade": HookType.POST_SYNC,
}
_HELM_POLICIES = {
    "before-hook-creation": DeletePolicy.BEFORE_HOOK_CREATION,
    "hook-succeeded": DeletePolicy.HOOK_SUCCEEDED,
    "hook-failed": DeletePolicy.HOOK_FAILED,
}


def annotations_of(obj: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """The annotations of ``obj`` (empty when absent or malformed)."""
    if not obj:
        return {}
    meta = obj.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, Mapping) else None
    return annotations if isinstance(annotations, Mapping) else {}


def csv(obj: Mapping[str, Any] | None, annotation: str) -> list[str]:
    """The comma-separated values of an annotation, trimmed, empty ones dropped."""
    raw = annotations_of(obj).get(annotation)
    if not isinstance(raw, str):
        return []
    return [part.strip() for part in raw.split(",") if part.strip()]


def hook_types(obj: Mapping[str, Any]) -> list[HookType]:
    """The hook types of ``obj``: Argo CD's annotation, else the mapped Helm hook."""
    types = [HookType(v) for v in csv(obj, HOOK_ANNOTATION) if v in _HOOK_VALUES]
    if types:
        return types
    return [_HELM_TYPES[v] for v in csv(obj, HELM_HOOK_ANNOTATION) if v in _HELM_TYPES]


def is_skip(obj: Mapping[str, Any]) -> bool:
    """Whether ``obj`` is annotated ``hook: Skip`` alone (never applied)."""
    types = hook_types(obj)
    return HookType.SKIP in types and len(types) == 1


def is_hook(obj: Mapping[str, Any]) -> bool:
    """Whether ``obj`` is a hook (Skip and Helm's ``crd-install`` are not)."""
    annotations = annotations_of(obj)
    if HOOK_ANNOTATION in annotations:
        return not is_skip(obj)
    helm = annotations.get(HELM_HOOK_ANNOTATION)
    return helm is not None and helm != "crd-install"


def sync_phases(obj: Mapping[str, Any]) -> list[SyncPhase]:
    """The phases ``obj`` runs in: Sync for a plain resource, its hook phases for a hook."""
    if is_skip(obj):
        return []
    if not is_hook(obj):
        return [SyncPhase.SYNC]
    phases = {SyncPhase(t.value) for t in hook_types(obj) if t.value in _PHASE_VALUES}
    return sorted(phases, key=lambda p: p.rank)


def is_delete_hook(obj: Mapping[str, Any]) -> bool:
    """Whether ``obj`` is a PreDelete/PostDelete hook (run on application deletion only)."""
    return any(t in (HookType.PRE_DELETE, HookType.POST_DELETE) for t in hook_types(obj))


def delete_policies(obj: Mapping[str, Any]) -> frozenset[DeletePolicy]:
    """Delete policies of a hook; BeforeHookCreation when none is given."""
    found = {
        DeletePolicy(v) for v in csv(obj, HOOK_DELETE_POLICY_ANNOTATION) if v in _POLICY_VALUES
    }
    found |= {
        _HELM_POLICIES[v]
        for v in csv(obj, HELM_HOOK_DELETE_POLICY_ANNOTATION)
        if v in _HELM_POLICIES
    }
    return frozenset(found or {DeletePolicy.BEFORE_HOOK_CREATION})


def wave(obj: Mapping[str, Any]) -> int:
    """The sync wave: ``sync-wave`` if it is an integer, else ``helm.sh/hook-weight``, else 0."""
    annotations = annotations_of(obj)
    for name in (SYNC_WAVE_ANNOTATION, HELM_HOOK_WEIGHT_ANNOTATION):
        value = annotations.get(name)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                continue  # an unparsable wave falls back to the Helm weight, then 0
    return 0
