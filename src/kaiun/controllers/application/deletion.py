"""Cascade deletion of an Application's resources (``resources-finalizer.argocd.argoproj.io``).

With the finalizer (foreground) or its ``/background`` variant, every object the app
tracks is deleted — except those marked ``argocd.argoproj.io/sync-options: Delete=false``
— and once none is left the finalizer is removed so Kubernetes can delete the app.
Without it, Kubernetes deletes the app at once and its resources stay. Resources marked
``Delete=confirm`` hold the deletion until ``argocd.argoproj.io/deletion-approved`` is set;
``pre-delete-finalizer`` / ``post-delete-finalizer`` (added by the refresh when the app has
such hooks) run PreDelete hooks before and PostDelete hooks after (see ``deletehooks``).
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from kaiun.controllers.application import deletehooks
from kaiun.controllers.application.clusters import Cluster, DestinationError
from kaiun.controllers.application.context import Context
from kaiun.controllers.application.status import conditions as shape_conditions
from kaiun.controllers.runtime import Done, Outcome, Requeue, Transient
from kaiun.engine import Condition, live_objects
from kaiun.kube import errors as kerrors
from kaiun.model.application import (
    BACKGROUND_FINALIZER,
    PRE_DELETE_FINALIZER,
    RESOURCES_FINALIZER,
    Application,
)
from kaiun.repo import RepoError
from kaiun.sync.hooks import HookType, hook_types

POST_DELETE_FINALIZER = deletehooks.POST_DELETE_FINALIZER

log = logging.getLogger(__name__)
SYNC_OPTIONS = "argocd.argoproj.io/sync-options"
POLL = 0.5


def _kept(obj: dict[str, Any]) -> bool:
    value = ((obj.get("metadata") or {}).get("annotations") or {}).get(SYNC_OPTIONS, "")
    return "Delete=false" in {o.strip() for o in str(value).split(",")}


async def finalize(ctx: Context, app: Application) -> Outcome:
    """PreDelete hooks, the app's resources, PostDelete hooks; then drop the finalizers."""
    ours = {RESOURCES_FINALIZER, BACKGROUND_FINALIZER, PRE_DELETE_FINALIZER, POST_DELETE_FINALIZER}
    ours |= {f"{f}/cleanup" for f in (PRE_DELETE_FINALIZER, POST_DELETE_FINALIZER)}
    if not ours & set(app.finalizers):
        return Done()
    try:
        cluster = await ctx.clusters.get(app.destination)
    except DestinationError as exc:
        await _condition(ctx, app, f"cannot delete resources: {exc}")
        return Requeue(10.0)
    try:
        state = await deletehooks.fresh_state(ctx, app)
        if PRE_DELETE_FINALIZER in app.finalizers and not await deletehooks.run_phase(
            ctx, app, cluster, HookType.PRE_DELETE, state
        ):
            log.info("deleting app=%s waiting for PreDelete hooks", app.name)
            return Requeue(POLL)
        if app.cascade is not None:
            waiting = await _delete_resources(ctx, app, cluster, app.cascade)
            if waiting is not None:
                return waiting
        if POST_DELETE_FINALIZER in app.finalizers and not await deletehooks.run_phase(
            ctx, app, cluster, HookType.POST_DELETE, state
        ):
            log.info("deleting app=%s waiting for PostDelete hooks", app.name)
            return Requeue(POLL)
    except deletehooks.HookFailed as exc:
        await _condition(ctx, app, str(exc))
        return Requeue(5.0)
    except RepoError as exc:
        await _condition(ctx, app, f"cannot render the delete hooks: {exc}")
        return Requeue(10.0)
    except kerrors.KubeError as exc:
        await _condition(ctx, app, f"delete hooks: {exc}")
        return Transient(str(exc))
    finalizers = [f for f in app.finalizers if f not in ours]
    with contextlib.suppress(kerrors.NotFound):
        await ctx.patch_app(ctx.key(app), {"metadata": {"finalizers": finalizers or None}})
    log.info("deleted app=%s", app.name)
    return Done()


async def _delete_resources(
    ctx: Context, app: Application, cluster: Cluster, cascade: str
) -> Outcome | None:
    """Delete the app's resources; an outcome while some remain, None once all are gone."""
    live = {
        k: o
        for k, o in live_objects(cluster.cache, app.instance_name).items()
        # PostDelete hooks are created after this step and outlive it (their own policy)
        if not _kept(o) and HookType.POST_DELETE not in hook_types(o)
    }
    confirm = sorted(str(k) for k, o in live.items() if deletehooks.needs_confirm(o))
    if confirm and not deletehooks.deletion_approved(app.raw):
        await _condition(
            ctx,
            app,
            f"waiting for deletion approval ({deletehooks.DELETION_APPROVED}) of: "
            + ", ".join(confirm),
        )
        return Requeue(2.0)
    propagation = "Foreground" if cascade == "foreground" else "Background"
    for key, obj in live.items():
        if (obj.get("metadata") or {}).get("deletionTimestamp"):
            continue
        try:
            await cluster.client.delete(
                str(obj.get("apiVersion")),
                key.kind,
                key.name,
                namespace=key.namespace or None,
                propagation=propagation,  # type: ignore[arg-type]
            )
        except kerrors.NotFound:
            continue
        except kerrors.KubeError as exc:
            await _condition(ctx, app, f"failed to delete {key}: {exc}")
            return Transient(str(exc))
    if live:
        log.info("deleting app=%s waiting for resources=%d", app.name, len(live))
        return Requeue(POLL)
    return None


async def _condition(ctx: Context, app: Application, message: str) -> None:
    old = app.status.get("conditions") or []
    conds = shape_conditions([Condition("DeletionError", message)], old, ctx.clock())
    try:
        await ctx.patch_app(ctx.key(app), {"status": {"conditions": conds}})
    except kerrors.KubeError as exc:
        log.warning("status write failed app=%s error=%s", app.name, exc)
