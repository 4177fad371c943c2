"""PreDelete/PostDelete hooks and ``Delete=confirm`` approval for an Application's deletion.

A phase renders the app, creates its hooks of that type (``generateName`` works: the names
the API server gave are what is tracked), waits for them to be Healthy (Jobs complete,
Pods succeed) and deletes them per ``hook-delete-policy``. Progress is kept in the
``deletion.kaiun.io/hooks`` annotation of the app, read fresh from the API server, so a
restarted controller neither re-runs a finished phase nor forgets the hooks it created.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from kaiun import health
from kaiun.controllers.application.clusters import Cluster
from kaiun.controllers.application.context import Context
from kaiun.engine import prepare_targets, render_app
from kaiun.kube import errors as kerrors
from kaiun.model.application import API_VERSION, KIND, PRE_DELETE_FINALIZER, Application
from kaiun.sync.hooks import DeletePolicy, HookType, delete_policies, hook_types

POST_DELETE_FINALIZER = "post-delete-finalizer.argocd.argoproj.io"
STATE_ANNOTATION = "deletion.kaiun.io/hooks"
DELETION_APPROVED = "argocd.argoproj.io/deletion-approved"
SYNC_OPTIONS = "argocd.argoproj.io/sync-options"
DONE = "done"
RUNNING = "running"


class HookFailed(Exception):
    """A delete hook ended Degraded; the message names it and says why."""


def needs_confirm(obj: dict[str, Any]) -> bool:
    """Whether ``obj`` carries ``sync-options: Delete=confirm``."""
    value = ((obj.get("metadata") or {}).get("annotations") or {}).get(SYNC_OPTIONS, "")
    return "Delete=confirm" in {o.strip() for o in str(value).split(",")}


def deletion_approved(raw: Mapping[str, Any]) -> bool:
    """Argo CD's rule: ``deletion-approved`` is an RFC 3339 time at or after the
    app's ``deletionTimestamp``."""
    meta = raw.get("metadata") or {}
    approved = _parse((meta.get("annotations") or {}).get(DELETION_APPROVED))
    since = _parse(meta.get("deletionTimestamp"))
    return approved is not None and since is not None and approved >= since


def _parse(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def finalizers_for(app: Application, manifests: list[dict[str, Any]]) -> list[str] | None:
    """The app's finalizers with the pre-/post-delete ones its hooks need, None if unchanged.

    Argo CD adds them while the app lives: Kubernetes refuses new finalizers on an object
    already being deleted, and they are what holds the app until its hooks have run.
    """
    wanted = []
    types = {t for m in manifests if isinstance(m, dict) for t in hook_types(m)}
    if HookType.PRE_DELETE in types:
        wanted.append(PRE_DELETE_FINALIZER)
    if HookType.POST_DELETE in types:
        wanted.append(POST_DELETE_FINALIZER)
    missing = [f for f in wanted if f not in app.finalizers]
    return [*app.finalizers, *missing] if missing else None


async def fresh_state(ctx: Context, app: Application) -> dict[str, Any]:
    """The phases' progress, read from the API server (the informer may lag our writes)."""
    try:
        raw = await ctx.client.get(API_VERSION, KIND, app.name, app.namespace)
    except kerrors.NotFound:
        return {}
    value = ((raw.get("metadata") or {}).get("annotations") or {}).get(STATE_ANNOTATION)
    try:
        state = json.loads(value) if isinstance(value, str) else {}
    except ValueError:
        return {}
    return state if isinstance(state, dict) else {}


async def run_phase(
    ctx: Context, app: Application, cluster: Cluster, kind: HookType, state: dict[str, Any]
) -> bool:
    """Advance the ``kind`` phase; True once its hooks all succeeded (or it has none).

    Raises HookFailed when a hook failed, KubeError/RepoError when the cluster or the
    repo cannot be reached.
    """
    entry = state.get(kind.value)
    if isinstance(entry, dict) and entry.get("state") == DONE:
        return True
    if not isinstance(entry, dict):
        refs = await _create(ctx, app, cluster, kind)
        await _save(ctx, app, state, kind, {"state": DONE if not refs else RUNNING, "hooks": refs})
        return not refs
    refs = [r for r in entry.get("hooks") or [] if isinstance(r, dict)]
    live: list[dict[str, Any]] = []
    for ref in refs:
        try:
            obj = await cluster.client.get(ref["apiVersion"], ref["kind"], ref["name"], ref["ns"])
        except kerrors.NotFound:
            # Someone deleted the hook: run the phase again, as Argo CD recreates a
            # missing hook (this is how a failed hook is retried).
            state.pop(kind.value, None)
            await _save(ctx, app, state, None, None)
            return False
        verdict = health.assess(obj)
        if verdict is not None and verdict.status == health.HealthStatus.DEGRADED:
            await _cleanup(cluster, [obj], DeletePolicy.HOOK_FAILED)
            raise HookFailed(
                f"{kind.value} hook {ref['kind']}/{ref['name']} failed: {verdict.message or ''}"
            )
        if verdict is not None and verdict.status != health.HealthStatus.HEALTHY:
            return False
        live.append(obj)
    await _cleanup(cluster, live, DeletePolicy.HOOK_SUCCEEDED)
    await _save(ctx, app, state, kind, {"state": DONE, "hooks": refs})
    return True


async def _create(
    ctx: Context, app: Application, cluster: Cluster, kind: HookType
) -> list[dict[str, str]]:
    verdict = ctx.project_check(app)
    rendered = await render_app(app, ctx.repo, ctx.compare_config(app, verdict))
    targets = await prepare_targets(ctx.sync_context(app, cluster), rendered.manifests)
    refs: list[dict[str, str]] = []
    for obj in targets:
        if kind not in hook_types(obj):
            continue
        meta = obj.get("metadata") or {}
        if meta.get("name") and DeletePolicy.BEFORE_HOOK_CREATION in delete_policies(obj):
            # A leftover from an earlier run is replaced, as Argo CD does before creating.
            with contextlib.suppress(kerrors.NotFound):
                await cluster.client.delete(
                    str(obj["apiVersion"]),
                    str(obj["kind"]),
                    str(meta["name"]),
                    namespace=meta.get("namespace") or None,
                    propagation="Foreground",
                )
        made = await cluster.client.create(obj)
        made_meta = made.get("metadata") or {}
        refs.append(
            {
                "apiVersion": str(made.get("apiVersion") or obj["apiVersion"]),
                "kind": str(made.get("kind") or obj["kind"]),
                "name": str(made_meta.get("name") or ""),
                "ns": str(made_meta.get("namespace") or ""),
            }
        )
    return refs


async def _cleanup(cluster: Cluster, objs: list[dict[str, Any]], when: DeletePolicy) -> None:
    for obj in objs:
        if when not in delete_policies(obj):
            continue
        meta = obj.get("metadata") or {}
        with contextlib.suppress(kerrors.NotFound):
            await cluster.client.delete(
                str(obj.get("apiVersion")),
                str(obj.get("kind")),
                str(meta.get("name")),
                namespace=meta.get("namespace") or None,
                propagation="Background",
            )


async def _save(
    ctx: Context,
    app: Application,
    state: dict[str, Any],
    kind: HookType | None,
    entry: dict[str, Any] | None,
) -> None:
    if kind is not None:
        state[kind.value] = entry
    patch = {"metadata": {"annotations": {STATE_ANNOTATION: json.dumps(state, sort_keys=True)}}}
    with contextlib.suppress(kerrors.NotFound):
        await ctx.patch_app(ctx.key(app), patch)
