"""The refresh reconciler: compare one Application, write its status, maybe start a sync.

Workflow per key: (1) skip paused apps, hand deleting ones to ``deletion``; (2) check the
project (InvalidSpecError stops here); (3) compare against the destination's cache; (4)
decide automated sync (sync windows, self-heal backoff); (5) always write status — in a
``finally`` — and drop the ``refresh`` annotation; (6) requeue for the next resync.
"""

from __future__ import annotations

import logging
import random
from typing import Any

from kaiun import diff, health
from kaiun.controllers.application import autosync, deletehooks, deletion
from kaiun.controllers.application import project as projects
from kaiun.controllers.application import status as st
from kaiun.controllers.application.clusters import DestinationError
from kaiun.controllers.application.context import Context
from kaiun.controllers.runtime import Done, Outcome, Requeue, Transient
from kaiun.engine import Comparison, Condition, compare_app, prepare_targets
from kaiun.engine.comparison import UNKNOWN
from kaiun.kube import errors as kerrors
from kaiun.model.application import (
    REFRESH_ANNOTATION,
    REFRESH_HARD,
    Application,
    ApplicationSpecError,
)

log = logging.getLogger(__name__)


def _blank(app: Application, message: str, kind: str) -> Comparison:
    """A comparison that never ran: sync Unknown and the reason as a condition."""
    return Comparison(
        sync_status=UNKNOWN,
        revisions=[],
        sources=[dict(s) for s in app.sources],
        multi_source=app.multi_source,
        destination=dict((app.raw.get("spec") or {}).get("destination") or {}),
        ignore_differences=[dict(i) for i in app.ignore_differences],
        resources=[],
        health=health.Health(health.HealthStatus.UNKNOWN),
        conditions=[Condition(kind, message)],
        rendered=False,
    )


class RefreshReconciler:
    """Reconciles ``status`` of Applications by name."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def _next(self) -> Outcome:
        cs = self.ctx.settings.controller
        if cs.resync_seconds <= 0:
            return Done()
        return Requeue(cs.resync_seconds + random.uniform(0, cs.resync_jitter_seconds))

    async def reconcile(self, key: str) -> Outcome:
        """Refresh the app named ``key``."""
        try:
            app = self.ctx.app(key)
        except ApplicationSpecError as exc:
            await self._invalid(key, str(exc))
            return Done()
        if app is None or app.skip_reconcile:
            return Done()
        if app.deleting:
            return await deletion.finalize(self.ctx, app)
        metrics, server = self.ctx.metrics, self.ctx.server_of(app)
        with (
            metrics.reconciling(app.namespace, lambda: server),
            metrics.requests_of(self.ctx.ident(app), server),
        ):
            return await self._refresh(key, app)

    async def _refresh(self, key: str, app: Application) -> Outcome:
        comparison: Comparison | None = None
        extra: list[Condition] = []
        outcome: Outcome = self._next()
        full = self.ctx.take_full(key, self.ctx.clock().timestamp())
        try:
            comparison, extra, outcome = await self._compare_and_decide(app, outcome, full)
        except (DestinationError, diff.IgnoreRuleError) as exc:
            comparison = _blank(app, str(exc), "InvalidSpecError")
        except kerrors.KubeError as exc:
            comparison = _blank(app, f"cannot reach the destination: {exc}", "ComparisonError")
            outcome = Transient(str(exc))
        finally:
            await self._write(app, comparison, extra, full)
            if comparison is not None:
                self.ctx.metrics.orphans.labels(*self.ctx.ident(app)).set(comparison.orphaned)
        return outcome

    async def _compare_and_decide(
        self, app: Application, outcome: Outcome, full: bool
    ) -> tuple[Comparison, list[Condition], Outcome]:
        ctx = self.ctx
        await ctx.clusters.ensure_known(app.destination)
        verdict = ctx.project_check(app)
        if verdict.problems:
            return _blank(app, "; ".join(verdict.problems), "InvalidSpecError"), [], outcome
        cluster = await ctx.clusters.get(app.destination)
        sync_ctx = ctx.sync_context(app, cluster)

        async def prepare(manifests: list[dict[str, Any]]) -> list[dict[str, Any]]:
            finalizers = deletehooks.finalizers_for(app, manifests)
            if finalizers is not None:
                await ctx.patch_app(ctx.key(app), {"metadata": {"finalizers": finalizers}})
            return await prepare_targets(sync_ctx, manifests)

        comparison = await compare_app(
            app,
            repo=ctx.repo,
            cache=cluster.cache,
            prepare=prepare,
            config=ctx.compare_config(app, verdict),
            hard_refresh=app.refresh == REFRESH_HARD,
            force_resolve=full and app.refresh is not None,
        )
        extra: list[Condition] = []
        if autosync.superseded(app, comparison):
            log.info("retrying sync superseded by a new commit app=%s", app.name)
            await ctx.patch_app(
                ctx.key(app), {"status": {"operationState": {"phase": "Terminating"}}}
            )
        decision = autosync.decide(
            app, comparison, settings=ctx.settings.controller, now=ctx.clock()
        )
        if decision.condition is not None:
            extra.append(decision.condition)
        if decision.operation is not None and ctx.operation_pending(
            ctx.key(app), ctx.clock().timestamp()
        ):
            log.info("auto-sync skipped app=%s: an operation is already pending", app.name)
        elif decision.operation is not None:
            allowed, why = projects.window_allows(
                verdict.project,
                app,
                server=cluster.server,
                cluster_name=cluster.name,
                now=ctx.clock(),
                manual=False,
            )
            if allowed:
                log.info("auto-sync app=%s revisions=%s", app.name, comparison.revisions)
                ctx.requested_ops[ctx.key(app)] = ctx.clock().timestamp()
                await ctx.patch_app(ctx.key(app), {"operation": decision.operation})
            else:
                log.info("auto-sync blocked app=%s reason=%s", app.name, why)
        elif decision.requeue_after is not None:
            outcome = Requeue(decision.requeue_after)
        return comparison, extra, outcome

    async def _invalid(self, name: str, message: str) -> None:
        """An Application whose spec cannot be read: say so in its conditions."""
        obj = self.ctx.apps.get(name) or {}
        old = (obj.get("status") or {}).get("conditions") or []
        conds = st.conditions([Condition("InvalidSpecError", message)], old, self.ctx.clock())
        try:
            await self.ctx.patch_app(name, {"status": {"conditions": conds}})
        except kerrors.KubeError as exc:
            log.warning("status write failed app=%s error=%s", name, exc)

    async def _write(
        self, app: Application, comparison: Comparison | None, extra: list[Condition], full: bool
    ) -> None:
        """Write the refresh part of status (and drop the refresh annotation).

        Only a full refresh moves ``reconciledAt``; an event-driven one that changed
        nothing writes nothing.
        """
        ctx = self.ctx
        if comparison is None:
            comparison = _blank(app, "the comparison did not complete", "ComparisonError")
        latest = ctx.apps.get(ctx.key(app)) or app.raw
        old = latest.get("status") or {}
        new = st.refresh_status(
            comparison,
            old=old,
            now=ctx.clock(),
            namespace=ctx.namespace,
            with_health=ctx.settings.controller.persist_resource_health,
            extra_conditions=extra,
        )
        if not full and old.get("reconciledAt"):
            new["reconciledAt"] = old["reconciledAt"]
        patch: dict[str, Any] = {}
        status_patch = st.refresh_patch(old, new)
        if status_patch:
            patch["status"] = status_patch
        if app.refresh is not None:
            patch["metadata"] = {"annotations": {REFRESH_ANNOTATION: None}}
        if not patch:
            return
        try:
            await ctx.patch_app(ctx.key(app), patch)
        except kerrors.NotFound:
            pass  # deleted meanwhile
        except kerrors.KubeError as exc:
            log.warning("status write failed app=%s error=%s", app.name, exc)
