"""``/api/v1/projects``: Argo CD's project service over AppProject resources.

RBAC resource ``projects`` with the project name as object; a project still used by
applications cannot be deleted (Argo CD refuses the same way).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel, ConfigDict

from kaiun.kube import errors as kerrors
from kaiun.server.applications import API_VERSION, Ctx, Who
from kaiun.server.context import ServerContext, translate
from kaiun.server.errors import FailedPrecondition, InvalidArgument, NotFound, permission_denied
from kaiun.server.security import Caller, require

KIND = "AppProject"
router = APIRouter(prefix="/api/v1", tags=["ProjectService"])


class ProjectCreateRequest(BaseModel):
    """Argo CD's ``ProjectCreateRequest``."""

    model_config = ConfigDict(extra="ignore")
    project: dict[str, Any]
    upsert: bool = False


class ProjectUpdateRequest(BaseModel):
    """Argo CD's ``ProjectUpdateRequest``."""

    model_config = ConfigDict(extra="ignore")
    project: dict[str, Any]


def _shape(project: dict[str, Any], namespace: str) -> dict[str, Any]:
    meta = project.get("metadata")
    if not isinstance(meta, dict) or not isinstance(meta.get("name"), str) or not meta["name"]:
        raise InvalidArgument("project name is required (metadata.name)")
    spec = project.get("spec") or {}
    if not isinstance(spec, dict):
        raise InvalidArgument("project spec must be an object")
    clean_meta = {k: v for k, v in meta.items() if k in ("name", "labels", "annotations")}
    clean_meta["namespace"] = namespace
    return {"apiVersion": API_VERSION, "kind": KIND, "metadata": clean_meta, "spec": spec}


async def _load(ctx: ServerContext, caller: Caller, name: str, action: str) -> dict[str, Any]:
    if not ctx.security.enforce(caller, "projects", action, name):
        raise permission_denied("projects", action, name)
    try:
        return await ctx.client.get(API_VERSION, KIND, name, ctx.namespace)
    except kerrors.NotFound:
        raise NotFound(f'appprojects.argoproj.io "{name}" not found') from None
    except kerrors.KubeError as exc:
        raise translate(exc, f"project {name!r}") from exc


@router.get("/projects")
async def list_projects(ctx: Ctx, caller: Who, name: str | None = None) -> dict[str, Any]:
    """Projects the caller may see."""
    try:
        listed = await ctx.client.list(API_VERSION, KIND, ctx.namespace)
    except kerrors.KubeError as exc:
        raise translate(exc, "projects") from exc
    items = [
        p
        for p in sorted(listed.items, key=lambda p: p["metadata"]["name"])
        if (not name or p["metadata"]["name"] == name)
        and ctx.security.enforce(caller, "projects", "get", p["metadata"]["name"])
    ]
    return {"metadata": {"resourceVersion": listed.resource_version}, "items": items}


@router.get("/projects/{name}")
async def get_project(ctx: Ctx, caller: Who, name: str) -> dict[str, Any]:
    """One project."""
    return await _load(ctx, caller, name, "get")


@router.get("/projects/{name}/syncwindows")
async def get_sync_windows(ctx: Ctx, caller: Who, name: str) -> dict[str, Any]:
    """The project's sync windows (``{"windows": [...]}``)."""
    project = await _load(ctx, caller, name, "get")
    return {"windows": (project.get("spec") or {}).get("syncWindows") or []}


@router.post("/projects")
async def create_project(ctx: Ctx, caller: Who, request: ProjectCreateRequest) -> dict[str, Any]:
    """Create a project (``upsert`` replaces the spec of an existing one)."""
    project = _shape(request.project, ctx.namespace)
    name = project["metadata"]["name"]
    require(ctx.security, caller, "projects", "create", name)
    try:
        return await ctx.client.create(project)
    except kerrors.AlreadyExists:
        existing = await _load(ctx, caller, name, "get")
        if existing.get("spec") == project["spec"]:
            return existing
        if not request.upsert:
            raise InvalidArgument(
                "existing project spec is different, use upsert flag to force update"
            ) from None
        require(ctx.security, caller, "projects", "update", name)
        return await _replace(ctx, {**existing, "spec": project["spec"]})
    except kerrors.KubeError as exc:
        raise translate(exc, f"project {name!r}") from exc


@router.put("/projects/{name}")
async def update_project(
    ctx: Ctx, caller: Who, name: str, request: ProjectUpdateRequest
) -> dict[str, Any]:
    """Replace a project's spec, labels and annotations."""
    project = _shape(request.project, ctx.namespace)
    if project["metadata"]["name"] != name:
        raise InvalidArgument("metadata.name does not match the name in the path")
    existing = await _load(ctx, caller, name, "update")
    merged = {**existing, "spec": project["spec"]}
    merged["metadata"] = {**existing["metadata"]}
    for key in ("labels", "annotations"):
        if key in project["metadata"]:
            merged["metadata"][key] = project["metadata"][key]
    return await _replace(ctx, merged)


@router.delete("/projects/{name}")
async def delete_project(
    ctx: Ctx, caller: Who, name: str, _body: Annotated[Any, Body()] = None
) -> dict[str, Any]:
    """Delete a project no application uses."""
    await _load(ctx, caller, name, "delete")
    try:
        apps = await ctx.client.list(API_VERSION, "Application", ctx.namespace)
    except kerrors.KubeError as exc:
        raise translate(exc, "applications") from exc
    users = [
        a["metadata"]["name"]
        for a in apps.items
        if ((a.get("spec") or {}).get("project") or "default") == name
    ]
    if users:
        raise FailedPrecondition(
            f"project is referenced by {len(users)} applications: {', '.join(sorted(users)[:10])}"
        )
    try:
        await ctx.client.delete(API_VERSION, KIND, name, namespace=ctx.namespace)
    except kerrors.KubeError as exc:
        raise translate(exc, f"project {name!r}") from exc
    return {}


async def _replace(ctx: ServerContext, obj: dict[str, Any]) -> dict[str, Any]:
    try:
        return await ctx.client.replace(obj)
    except kerrors.KubeError as exc:
        raise translate(exc, f"project {obj['metadata']['name']!r}") from exc
