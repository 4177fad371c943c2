"""The AppProject checks Argo CD's API makes for the CLI: an app spec must fit its project
(sources, destination, app namespace), and ``app get`` shows whether a sync window allows
syncing now. The rules are the controller's (``kaiun.controllers.application.project``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from kaiun.cli.app.core import APP_API, PROJECT_KIND, AppError
from kaiun.controllers.application import project as projects
from kaiun.controllers.application.clusters import cluster_names
from kaiun.kube import KubeClient
from kaiun.kube import errors as kerrors
from kaiun.model.application import Application


async def _project(client: KubeClient, control_ns: str, name: str) -> dict[str, Any] | None:
    try:
        return await client.get(APP_API, PROJECT_KIND, name, control_ns)
    except kerrors.NotFound:
        return None


async def validate(client: KubeClient, control_ns: str, app_obj: dict[str, Any]) -> None:
    """Refuse a spec its project does not permit, with the project's messages."""
    app = Application.from_dict(app_obj)
    verdict = projects.check(
        app,
        await _project(client, control_ns, app.project),
        cluster_names=await cluster_names(client, control_ns),
        control_namespace=control_ns,
    )
    if verdict.problems:
        raise AppError(
            f"application spec for {app.name} is invalid: InvalidSpecError: "
            + "; ".join(verdict.problems)
        )


async def window_allows(
    client: KubeClient, control_ns: str, app_obj: dict[str, Any], *, manual: bool
) -> tuple[bool, str]:
    """Whether the project's sync windows let the app sync now, and why not."""
    app = Application.from_dict(app_obj)
    proj_obj = await _project(client, control_ns, app.project)
    if proj_obj is None:
        return True, ""
    verdict = projects.check(app, proj_obj, cluster_names={}, control_namespace=control_ns)
    if verdict.project is None:
        return True, ""
    names = await cluster_names(client, control_ns)
    server = app.destination.server or names.get(app.destination.name, "")
    name = next((n for n, s in names.items() if s == server), server)
    return projects.window_allows(
        verdict.project, app, server=server, cluster_name=name, now=datetime.now(UTC), manual=manual
    )


async def sync_window_status(client: KubeClient, control_ns: str, app_obj: dict[str, Any]) -> str:
    """``Sync Allowed`` or ``Sync Denied`` (automated syncs, now), as ``argocd app get``."""
    allowed, _ = await window_allows(client, control_ns, app_obj, manual=False)
    return "Sync Allowed" if allowed else "Sync Denied"


async def require_manual_sync(client: KubeClient, control_ns: str, app_obj: dict[str, Any]) -> None:
    """Refuse a manual sync or rollback a sync window blocks (Argo CD's API does)."""
    allowed, why = await window_allows(client, control_ns, app_obj, manual=True)
    if not allowed:
        raise AppError(f"Cannot sync: {why or 'Blocked by sync window'}")
