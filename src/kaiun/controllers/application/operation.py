"""The operation reconciler: run ``Application.operation`` (sync, rollback) to its end.

Picks up a requested operation (or resumes a ``Running`` / ``Terminating`` operationState
after a restart), renders the desired state at the operation's revision(s) and source(s),
runs the sync engine with ``status.operationState`` persisted at every step, then records
``status.history`` (trimmed to ``revisionHistoryLimit``), clears ``operation`` and asks for
a refresh. Terminating is honoured between steps (the CLI sets the phase).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from kaiun import diff
from kaiun.controllers.application import project as projects
from kaiun.controllers.application import status as st
from kaiun.controllers.application.clusters import DestinationError
from kaiun.controllers.application.context import Context
from kaiun.controllers.runtime import Done, Outcome, Requeue
from kaiun.engine import live_objects, prepare_targets, render_app, run_operation
from kaiun.kube import errors as kerrors
from kaiun.model.application import Application, ApplicationSpecError
from kaiun.model.appproject import AppProject
from kaiun.repo import RepoError

log = logging.getLogger(__name__)
WINDOW_RECHECK = 60.0


def _resumable(state: Mapping[str, Any], operation: Mapping[str, Any]) -> bool:
    return state.get("phase") in ("Running", "Terminating") and state.get("operation") == operation


class OperationReconciler:
    """Runs the pending operation of Applications by name."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def reconcile(self, key: str) -> Outcome:
        """Run (or resume) the operation of the app named ``key``."""
        try:
            app = self.ctx.app(key)
        except ApplicationSpecError:
            return Done()  # the refresh reconciler reports the spec error
        if app is None or app.operation is None or app.deleting:
            return Done()
        state = app.status.get("operationState") or {}
        if self.ctx.finished_ops.get(key) == app.operation and _resumable(state, app.operation):
            return Done()  # a late event from before our final write; the next one clears it
        self.ctx.running_operations.add(key)
        self.ctx.requested_ops.pop(key, None)
        ctx = self.ctx
        dry_run = bool((app.operation.get("sync") or {}).get("dryRun"))
        try:
            with ctx.metrics.requests_of(ctx.ident(app), ctx.server_of(app), dry_run=dry_run):
                return await self._run(app, dict(app.operation))
        finally:
            self.ctx.running_operations.discard(key)
            self.ctx.request_refresh(key)

    async def _run(self, app: Application, operation: dict[str, Any]) -> Outcome:
        ctx = self.ctx
        old = app.status.get("operationState") or {}
        state = dict(old) if _resumable(old, operation) else None
        started = state or {"operation": operation, "phase": "Running", "message": "",
                            "startedAt": st.timestamp(ctx.clock())}  # fmt: skip
        await ctx.clusters.ensure_known(app.destination)
        verdict = ctx.project_check(app)
        if verdict.problems:
            return await self._finish(app, _failed(started, "; ".join(verdict.problems), ctx))
        try:
            cluster = await ctx.clusters.get(app.destination)
        except DestinationError as exc:
            return await self._finish(app, _failed(started, str(exc), ctx))
        manual = not (operation.get("initiatedBy") or {}).get("automated")
        allowed, why = projects.window_allows(
            verdict.project, app, server=cluster.server, cluster_name=cluster.name,
            now=ctx.clock(), manual=manual,
        )  # fmt: skip
        # A sync that has begun (it has results) runs on; one still waiting for its window
        # (persisted as Running with the blocking message) keeps waiting.
        if not allowed and not (state or {}).get("syncResult"):
            blocked = {**started, "message": f"Sync operation blocked by sync window: {why}"}
            await self._persist(ctx.key(app), blocked)
            return Requeue(WINDOW_RECHECK)
        sync_op = operation.get("sync") or {}
        sources, revisions = _what_to_sync(app, sync_op)
        try:
            config = ctx.compare_config(app, verdict)
        except diff.IgnoreRuleError as exc:
            return await self._finish(app, _failed(started, str(exc), ctx))
        try:
            rendered = await render_app(app, ctx.repo, config, sources=sources, revisions=revisions)
        except RepoError as exc:
            return await self._finish(
                app, _failed(started, f"ComparisonError: Failed to load target state: {exc}", ctx)
            )
        sync_ctx = ctx.sync_context(app, cluster)
        desired = await prepare_targets(sync_ctx, rendered.manifests)
        refused = _unpermitted(verdict.project, desired)
        if refused:
            return await self._finish(app, _failed(started, refused, ctx))
        live = list(live_objects(cluster.cache, app.instance_name).values())

        async def persist(snapshot: dict[str, Any]) -> None:
            await self._persist(
                ctx.key(app), _with_sources(snapshot, app, sources, rendered.revisions)
            )

        final = await run_operation(
            sync_ctx,
            desired=desired,
            live=live,
            operation=operation,
            sync_policy=dict((app.raw.get("spec") or {}).get("syncPolicy") or {}),
            revision=rendered.revisions[0] if rendered.revisions else "",
            state=state,
            persist=persist,
            terminate_requested=lambda: self._terminating(ctx.key(app)),
            ignore_differences=[dict(i) for i in app.ignore_differences],
        )
        return await self._finish(app, _with_sources(final, app, sources, rendered.revisions))

    def _terminating(self, name: str) -> bool:
        obj = self.ctx.apps.get(name) or {}
        phase = ((obj.get("status") or {}).get("operationState") or {}).get("phase")
        return phase == "Terminating"

    async def _persist(self, name: str, snapshot: dict[str, Any]) -> None:
        if self._terminating(name) and snapshot.get("phase") == "Running":
            snapshot = {**snapshot, "phase": "Terminating"}
        try:
            await self.ctx.patch_app(name, {"status": {"operationState": snapshot}})
        except kerrors.KubeError as exc:
            log.warning("operation state write failed app=%s error=%s", name, exc)

    async def _finish(self, app: Application, final: dict[str, Any]) -> Outcome:
        """Record history for a successful sync and clear ``operation``."""
        ctx = self.ctx
        latest = ctx.app(ctx.key(app)) or app
        history = list(latest.status.get("history") or [])
        dry_run = bool(((final.get("operation") or {}).get("sync") or {}).get("dryRun"))
        if final.get("phase") == "Succeeded" and not dry_run:
            history.append(st.history_entry(final, history, multi_source=app.multi_source))
            history = st.trimmed(history, app.revision_history_limit)
        status: dict[str, Any] = {"operationState": final}
        if history:
            status["history"] = history
        try:
            await ctx.patch_app(ctx.key(app), {"operation": None, "status": status})
        except kerrors.NotFound:
            return Done()
        ctx.finished_ops[ctx.key(app)] = dict(final.get("operation") or {})
        ctx.metrics.sync_finished(ctx.ident(app), ctx.server_of(app), final)
        log.info(
            "operation finished app=%s phase=%s message=%s",
            app.name, final.get("phase"), final.get("message"),
        )  # fmt: skip
        return Done()


def _failed(started: Mapping[str, Any], message: str, ctx: Context) -> dict[str, Any]:
    return {**started, "phase": "Failed", "message": message,
            "finishedAt": st.timestamp(ctx.clock())}  # fmt: skip


def _unpermitted(project: AppProject | None, desired: list[dict[str, Any]]) -> str:
    """Argo CD's refusal for the first desired object the project does not permit."""
    if project is None:
        return ""
    for obj in desired:
        meta = obj.get("metadata") or {}
        group = str(obj.get("apiVersion", "")).rpartition("/")[0]
        kind = str(obj.get("kind", ""))
        namespaced = bool(meta.get("namespace"))
        if not project.resource_permitted(
            group, kind, namespaced=namespaced, name=str(meta.get("name") or "")
        ):
            return project.resource_message(group, kind)
    return ""


def _what_to_sync(
    app: Application, sync_op: Mapping[str, Any]
) -> tuple[list[dict[str, Any]], list[str] | None]:
    """The sources (a rollback names its own) and revisions an operation asks for."""
    if sync_op.get("sources"):
        sources = [dict(s) for s in sync_op["sources"]]
    elif sync_op.get("source"):
        sources = [dict(sync_op["source"])]
    else:
        sources = [dict(s) for s in app.sources]
    if sync_op.get("revisions"):
        return sources, [str(r) for r in sync_op["revisions"]]
    if sync_op.get("revision"):
        return sources, [str(sync_op["revision"])]
    return sources, None


def _with_sources(
    snapshot: dict[str, Any],
    app: Application,
    sources: list[dict[str, Any]],
    revisions: list[str],
) -> dict[str, Any]:
    """``syncResult`` names the source(s) and revision(s) synced, as in Argo CD."""
    result = dict(snapshot.get("syncResult") or {})
    if app.multi_source:
        result["sources"] = sources
        result["revisions"] = revisions
        result.pop("revision", None)
    elif sources:
        result["source"] = sources[0]
        if revisions:
            result["revision"] = revisions[0]
    return {**snapshot, "syncResult": result}
