"""The AppProject checks Argo CD's API server makes before it writes an Application: the
spec must fit its project (sources, destination, app namespace) on create and update, and a
manual sync or rollback must be allowed by the project's sync windows. The rules are the
controller's (``kaiun.controllers.application.project``); this module only fetches what they
need through the server's Kubernetes client.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from kaiun.controllers.application import project as projects
from kaiun.controllers.application.clusters import cluster_names
from kaiun.kube import errors as kerrors
from kaiun.model.application import Application
from kaiun.server.context import ServerContext
from kaiun.server.errors import InvalidArgument, PermissionDenied

__all__ = ["require_sync_window", "validate_spec"]

_API = "argoproj.io/v1alpha1"


async def _cluster_names(ctx: ServerContext) -> dict[str, str]:
    return await cluster_names(ctx.client, ctx.namespace)


async def _project(ctx: ServerContext, name: str) -> dict[str, Any] | None:
    try:
        return await ctx.client.get(_API, "AppProject", name, ctx.namespace)
    except kerrors.NotFound:
        return None


async def validate_spec(ctx: ServerContext, app_obj: dict[str, Any]) -> None:
    """Refuse (400) a spec its project does not permit, with the project's own messages."""
    try:
        app = Application.from_dict(app_obj)
    except ValueError as exc:
        raise InvalidArgument(f"application spec is invalid: {exc}") from None
    verdict = projects.check(
        app,
        await _project(ctx, app.project),
        cluster_names=await _cluster_names(ctx),
        control_namespace=ctx.namespace,
    )
    if verdict.problems:
        raise InvalidArgument(
            f"application spec for {app.name} is invalid: InvalidSpecError: "
            + "; ".join(verdict.problems)
        )


async def require_sync_window(ctx: ServerContext, app_obj: dict[str, Any]) -> None:
    """Refuse (403, as Argo CD) a manual sync or rollback that a sync window blocks now."""
    app = Application.from_dict(app_obj)
    project_obj = await _project(ctx, app.project)
    if project_obj is None:
        return  # the controller reports the missing project as InvalidSpecError
    verdict = projects.check(app, project_obj, cluster_names={}, control_namespace=ctx.namespace)
    if verdict.project is None or not verdict.project.sync_windows:
        return
    names = await _cluster_names(ctx)
    server = app.destination.server or names.get(app.destination.name, "")
    cluster = next((n for n, s in names.items() if s == server), server)
    allowed, why = projects.window_allows(
        verdict.project, app, server=server, cluster_name=cluster, now=datetime.now(UTC),
        manual=True,
    )  # fmt: skip
    if not allowed:
        raise PermissionDenied(f"cannot sync: {why or 'blocked by sync window'}")
