"""Reading an Application's ``operation`` and writing ``status.operationState``.

``SyncRequest`` gathers what one sync operation asks for (``operation.sync``: prune, dryRun,
syncStrategy, resources, syncOptions; ``operation.retry`` or ``syncPolicy.retry``) together
with the app's ``syncPolicy``; ``operation_state`` renders the state as Argo CD stores it.
Timestamps come from the caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kaiun.sync import options as opt
from kaiun.sync.options import SyncOptions
from kaiun.sync.retry import RetryPolicy
from kaiun.sync.state import SyncState
from kaiun.sync.tasks import Selection


@dataclass(frozen=True)
class SyncRequest:
    """One sync operation's settings, app-level options with the operation's on top."""

    options: SyncOptions = field(default_factory=SyncOptions)
    prune: bool = False
    dry_run: bool = False
    force: bool = False
    selection: Selection | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    managed_namespace_metadata: Mapping[str, Any] | None = None

    @classmethod
    def parse(
        cls, operation: Mapping[str, Any], sync_policy: Mapping[str, Any] | None
    ) -> SyncRequest:
        """From ``Application.operation`` and ``spec.syncPolicy``."""
        policy = sync_policy or {}
        sync = operation.get("sync") or {}
        options = SyncOptions.parse(policy.get("syncOptions"))
        if sync.get("syncOptions"):
            options = options.merged(SyncOptions.parse(sync.get("syncOptions")).values)
        strategy = sync.get("syncStrategy") or {}
        force = any(bool((strategy.get(k) or {}).get("force")) for k in ("apply", "hook"))
        if force:
            options = options.merged({opt.FORCE: "true"})
        retry_spec = operation.get("retry") or policy.get("retry")
        return cls(
            options=options,
            prune=bool(sync.get("prune")),
            dry_run=bool(sync.get("dryRun")),
            force=force,
            selection=Selection.parse(sync.get("resources")),
            retry=RetryPolicy.parse(retry_spec),
            managed_namespace_metadata=policy.get("managedNamespaceMetadata") or None,
        )


def operation_state(
    state: SyncState,
    *,
    operation: Mapping[str, Any],
    revision: str,
    started_at: str,
    finished_at: str | None,
    retry_count: int,
    managed_namespace_metadata: Mapping[str, Any] | None = None,
    source: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """``status.operationState`` in Argo CD's JSON shape."""
    sync_result: dict[str, Any] = {"resources": state.resources_json(), "revision": revision}
    if source:
        sync_result["source"] = dict(source)
    if managed_namespace_metadata:
        sync_result["managedNamespaceMetadata"] = dict(managed_namespace_metadata)
    out: dict[str, Any] = {
        "operation": dict(operation),
        "phase": state.phase.value,
        "message": state.message,
        "syncResult": sync_result,
        "startedAt": started_at,
    }
    if finished_at:
        out["finishedAt"] = finished_at
    if retry_count:
        out["retryCount"] = retry_count
    return out
