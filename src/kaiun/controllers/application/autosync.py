"""Whether to start an automated sync after a comparison, as Argo CD decides it.

Rules (Argo CD's ``autoSync``): only when automation is enabled, no operation is pending,
the app is not being deleted, the comparison succeeded and is OutOfSync; never prune-only
without ``prune``; never wipe out every resource unless ``allowEmpty``; never a second
automated sync to the same revision(s) and source(s) — except self-heal, which waits
``controller.self.heal.backoff`` (2 s, times 3 per attempt, capped at 300 s) after the
last sync and then syncs only the out-of-sync resources. Sync windows are checked by the caller.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kaiun.engine.comparison import OUT_OF_SYNC, Comparison, Condition
from kaiun.model.application import Application
from kaiun.settings.controller import ControllerSettings

SUCCESSFUL = ("Succeeded",)
COMPLETED = ("Succeeded", "Failed", "Error")


@dataclass(frozen=True)
class Decision:
    """Start ``operation``, or wait ``requeue_after`` seconds, or skip (``reason``)."""

    operation: dict[str, Any] | None = None
    requeue_after: float | None = None
    reason: str = ""
    condition: Condition | None = None


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _last_attempt(app: Application) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    state = app.status.get("operationState") or {}
    return state, (state.get("syncResult") or {})


def already_attempted(app: Application, revisions: Sequence[str]) -> bool:
    """Whether the last operation synced these revisions of the app's current sources."""
    state, result = _last_attempt(app)
    if not state:
        return False
    if app.multi_source:
        return list(result.get("revisions") or []) == list(revisions) and list(
            result.get("sources") or []
        ) == [dict(s) for s in app.sources]
    return (
        bool(revisions)
        and result.get("revision") == revisions[0]
        and (result.get("source") or None) == (dict(app.sources[0]) if app.sources else None)
    )


def _operation(
    app: Application, revisions: Sequence[str], attempts: int, resources: list[dict[str, Any]]
) -> dict[str, Any]:
    automated = app.sync_policy.automated
    sync: dict[str, Any] = {"prune": bool(automated and automated.prune)}
    if app.multi_source:
        sync["revisions"] = list(revisions)
    elif revisions:
        sync["revision"] = revisions[0]
    if app.sync_policy.sync_options:
        sync["syncOptions"] = list(app.sync_policy.sync_options)
    if attempts:
        sync["autoHealAttemptsCount"] = attempts
    if resources:
        sync["resources"] = resources
    op: dict[str, Any] = {"sync": sync, "initiatedBy": {"automated": True}}
    retry = (app.raw.get("spec", {}).get("syncPolicy") or {}).get("retry")
    if retry:
        op["retry"] = dict(retry)
    return op


def _out_of_sync_resources(comparison: Comparison) -> list[dict[str, Any]]:
    return [
        {"group": r.group, "kind": r.kind, "name": r.name, "namespace": r.namespace}
        for r in comparison.resources
        if r.status == OUT_OF_SYNC and not r.hook
    ]


def decide(
    app: Application,
    comparison: Comparison,
    *,
    settings: ControllerSettings,
    now: datetime,
) -> Decision:
    """The automated-sync decision for ``app`` after ``comparison``."""
    automated = app.sync_policy.automated
    if automated is None or not automated.enabled:
        return Decision(reason="automated sync is off")
    if app.operation is not None or app.deleting:
        return Decision(reason="an operation is pending or the app is being deleted")
    if not comparison.rendered or any(c.is_error for c in comparison.conditions):
        return Decision(reason="the comparison has errors")
    if comparison.sync_status != OUT_OF_SYNC:
        return Decision(reason=f"application status is {comparison.sync_status}")
    live = [r for r in comparison.resources if not r.hook]
    out = [r for r in live if r.status == OUT_OF_SYNC]
    if not automated.prune and out and all(r.requires_pruning for r in out):
        return Decision(reason="only pruning is needed but automated prune is disabled")
    if (
        automated.prune
        and not automated.allow_empty
        and live
        and all(r.requires_pruning for r in live)
    ):
        message = "auto-sync will wipe out all resources; set allowEmpty to allow it"
        return Decision(reason=message, condition=Condition("SyncError", message))
    revisions = comparison.revisions
    if not already_attempted(app, revisions):
        return Decision(operation=_operation(app, revisions, 0, []))
    state, _ = _last_attempt(app)
    if state.get("phase") not in SUCCESSFUL:
        if state.get("phase") not in COMPLETED:
            return Decision(reason="the last sync is still running")
        message = f"Failed last sync attempt to {revisions}: {state.get('message', '')}"
        return Decision(reason=message, condition=Condition("SyncError", message))
    if not automated.self_heal:
        return Decision(reason=f"already attempted sync to {revisions} (selfHeal is off)")
    return _self_heal(app, comparison, state, settings, now)


def _self_heal(
    app: Application,
    comparison: Comparison,
    state: Mapping[str, Any],
    settings: ControllerSettings,
    now: datetime,
) -> Decision:
    last_sync = (state.get("operation") or {}).get("sync") or {}
    attempts = int(last_sync.get("autoHealAttemptsCount") or 0)
    if settings.self_heal_timeout > 0:
        delay = settings.self_heal_timeout
    else:
        delay = settings.self_heal.delay(attempts)
    finished = _parse_time(state.get("finishedAt"))
    waited = (now - finished).total_seconds() if finished is not None else 0.0
    if delay - waited > 0:
        return Decision(requeue_after=delay - waited, reason="self-heal backoff")
    return Decision(
        operation=_operation(
            app, comparison.revisions, attempts + 1, _out_of_sync_resources(comparison)
        )
    )


def superseded(app: Application, comparison: Comparison) -> bool:
    """Whether a retrying automated sync should give way to a newer commit.

    With ``retry.refresh`` (Argo CD 3.2+), a failing automated sync that is waiting to retry
    is ended once the target revision has moved on; the next automated sync takes the
    newer commit.
    """
    retry = app.sync_policy.retry
    op = app.operation
    if retry is None or not retry.refresh or op is None or not comparison.rendered:
        return False
    if not (op.get("initiatedBy") or {}).get("automated"):
        return False
    state = app.status.get("operationState") or {}
    if state.get("phase") != "Running" or not state.get("retryCount"):
        return False
    sync = op.get("sync") or {}
    wanted = list(sync.get("revisions") or ([sync["revision"]] if sync.get("revision") else []))
    return bool(wanted) and wanted != list(comparison.revisions)
