"""Cascade deletion of an Application's resources (``resources-finalizer.argocd.argoproj.io``).

With the finalizer (foreground) or its ``/background`` variant, every object the app
tracks is deleted — except those marked ``argocd.argoproj.io/sync-options: Delete=false``
— and once none is left the finalizer is removed so Kubernetes can delete the app.
Without it, Kubernetes deletes the app at once and its resources stay.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from kaiun.controllers.application.clusters import DestinationError
from kaiun.controllers.application.context import Context
from kaiun.controllers.application.status import conditions as shape_conditions
from kaiun.controllers.runtime import Done, Outcome, Requeue, Transient
from kaiun.engine import Condition, live_objects
from kaiun.kube import errors as kerrors
from kaiun.model.application import BACKGROUND_FINALIZER, RESOURCES_FINALIZER, Application

log = logging.getLogger(__name__)
SYNC_OPTIONS = "argocd.argoproj.io/sync-options"
POLL = 0.5


def _kept(obj: dict[str, Any]) -> bool:
    value = ((obj.get("metadata") or {}).get("annotations") or {}).get(SYNC_OPTIONS, "")
    return "Delete=false" in {o.strip() for o in str(value).split(",")}


async def finalize(ctx: Context, app: Application) -> Outcome:
    """Delete the app's resources, then drop the resources finalizer."""
    cascade = app.cascade
    if cascade is None:
        return Done()
    try:
        cluster = await ctx.clusters.get(app.destination)
    except DestinationError as exc:
        await _condition(ctx, app, f"cannot delete resources: {exc}")
        return Requeue(10.0)
    live = {k: o for k, o in live_objects(cluster.cache, app.name).items() if not _kept(o)}
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
    finalizers = [f for f in app.finalizers if f not in (RESOURCES_FINALIZER, BACKGROUND_FINALIZER)]
    with contextlib.suppress(kerrors.NotFound):
        await ctx.patch_app(app.name, {"metadata": {"finalizers": finalizers or None}})
    log.info("deleted app=%s", app.name)
    return Done()


async def _condition(ctx: Context, app: Application, message: str) -> None:
    old = app.status.get("conditions") or []
    conds = shape_conditions([Condition("DeletionError", message)], old, ctx.clock())
    try:
        await ctx.patch_app(app.name, {"status": {"conditions": conds}})
    except kerrors.KubeError as exc:
        log.warning("status write failed app=%s error=%s", app.name, exc)
