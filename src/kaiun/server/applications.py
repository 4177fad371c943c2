"""``/api/v1/applications``: Argo CD's application service over the Application resources.

Paths, query parameters, bodies and RBAC (resource ``applications``, object
``<project>/<name>``) follow Argo CD's ``ApplicationService``. Lists are filtered to what the
caller may ``get``, and can be paged (``limit``/``continue``) and trimmed (``fields``) so a
large fleet never produces one huge response.
"""

from __future__ import annotations

import base64
import copy
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Body, Cookie, Depends, Header, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from kaiun.kube import errors as kerrors
from kaiun.localcluster.selectors import SelectorError, label_matcher
from kaiun.server.appcache import resource_version
from kaiun.server.apppolicy import require_sync_window, validate_spec
from kaiun.server.context import ServerContext, context_of, translate
from kaiun.server.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    permission_denied,
)
from kaiun.server.fields import select_fields
from kaiun.server.security import Caller, identify, require

API_VERSION = "argoproj.io/v1alpha1"
KIND = "Application"
REFRESH_ANNOTATION = "argocd.argoproj.io/refresh"
FINALIZER = "resources-finalizer.argocd.argoproj.io"
RUNNING_PHASES = ("Running", "Terminating")

router = APIRouter(prefix="/api/v1", tags=["ApplicationService"])


async def caller_of(
    ctx: Annotated[ServerContext, Depends(context_of)],
    authorization: Annotated[str | None, Header()] = None,
    argocd_token: Annotated[str | None, Cookie(alias="argocd.token")] = None,
) -> Caller:
    """The authenticated caller (FastAPI dependency)."""
    return await identify(ctx.security, authorization, argocd_token)


Ctx = Annotated[ServerContext, Depends(context_of)]
Who = Annotated[Caller, Depends(caller_of)]


class SyncStrategy(BaseModel):
    """``syncStrategy``: ``apply`` or ``hook``, each with ``force``."""

    model_config = ConfigDict(extra="forbid")
    apply: dict[str, bool] | None = None
    hook: dict[str, bool] | None = None


class SyncResource(BaseModel):
    model_config = ConfigDict(extra="forbid")
    group: str = ""
    kind: str
    name: str
    namespace: str = ""


class SyncRequest(BaseModel):
    """Argo CD's ``ApplicationSyncRequest``."""

    model_config = ConfigDict(extra="ignore")
    name: str | None = None
    revision: str | None = None
    revisions: list[str] | None = None
    sourcePositions: list[int] | None = None
    dryRun: bool = False
    prune: bool = False
    strategy: SyncStrategy | None = None
    resources: list[SyncResource] | None = None
    syncOptions: dict[str, list[str]] | None = Field(
        default=None, description='{"items": ["CreateNamespace=true", ...]}'
    )
    retryStrategy: dict[str, Any] | None = None
    appNamespace: str | None = None
    project: str | None = None


class RollbackRequest(BaseModel):
    """Argo CD's ``ApplicationRollbackRequest``."""

    model_config = ConfigDict(extra="ignore")
    name: str | None = None
    id: int
    dryRun: bool = False
    prune: bool = False
    appNamespace: str | None = None


class PatchRequest(BaseModel):
    """Argo CD's ``ApplicationPatchRequest``: the patch is a JSON string."""

    model_config = ConfigDict(extra="ignore")
    name: str | None = None
    patch: str
    patchType: Literal["json", "merge"] = "merge"
    appNamespace: str | None = None


# -- helpers --------------------------------------------------------------------------------


def _namespace(ctx: ServerContext, app_namespace: str | None) -> str:
    if app_namespace and app_namespace != ctx.namespace:
        raise InvalidArgument(
            f"application namespace {app_namespace!r} is not permitted "
            f"(this server manages {ctx.namespace!r})"
        )
    return ctx.namespace


def rbac_object(app: dict[str, Any]) -> str:
    """``<project>/<name>``, the object Argo CD's RBAC checks for an Application."""
    project = (app.get("spec") or {}).get("project") or "default"
    return f"{project}/{app['metadata']['name']}"


async def load_app(
    ctx: ServerContext, caller: Caller, name: str, action: str, ns: str | None = None
) -> dict[str, Any]:
    """The Application if the caller may ``action`` it; the same 403 whether it is missing
    or forbidden, unless the caller could act on any app of that name (no enumeration)."""
    namespace = _namespace(ctx, ns)
    # Reads come from the server's cache; a write acts on the cluster's current copy.
    cache = await ctx.hub.ready_cache() if action == "get" else None
    try:
        if cache is None:
            app = await ctx.client.get(API_VERSION, KIND, name, namespace)
        elif (cached := cache.get(name)) is not None:
            app = cached
        else:
            raise _Missing
    except (kerrors.NotFound, _Missing):
        if ctx.security.enforce(caller, "applications", action, f"*/{name}"):
            raise NotFound(f'applications.argoproj.io "{name}" not found') from None
        raise permission_denied("applications", action, f"*/{name}") from None
    except kerrors.KubeError as exc:
        raise translate(exc, f"application {name!r}") from exc
    require(ctx.security, caller, "applications", action, rbac_object(app))
    return app


class _Missing(Exception):
    """Not in the cache."""


def written(ctx: ServerContext, app: dict[str, Any]) -> dict[str, Any]:
    """Record the server's own write in the cache (read-your-writes); returns ``app``."""
    ctx.hub.cache.observe(app)
    return app


def _clean_for_write(app: dict[str, Any], namespace: str) -> dict[str, Any]:
    """What a client may set: metadata (no server fields), spec; never status or operation
    (Argo CD strips ``operation`` on create: an advisory class)."""
    meta = dict(app.get("metadata") or {})
    for field in ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields"):
        meta.pop(field, None)
    meta["namespace"] = namespace
    return {"apiVersion": API_VERSION, "kind": KIND, "metadata": meta, "spec": app.get("spec")}


def _validate_shape(app: Any) -> dict[str, Any]:
    if not isinstance(app, dict):
        raise InvalidArgument("the body must be an Application object")
    meta = app.get("metadata")
    if not isinstance(meta, dict) or not isinstance(meta.get("name"), str) or not meta["name"]:
        raise InvalidArgument("application name is required (metadata.name)")
    spec = app.get("spec")
    if not isinstance(spec, dict):
        raise InvalidArgument("application spec is required")
    if not isinstance(spec.get("destination"), dict):
        raise InvalidArgument("spec.destination is required (server or name, and namespace)")
    if not spec.get("source") and not spec.get("sources"):
        raise InvalidArgument("spec.source or spec.sources is required")
    return app


# -- routes ---------------------------------------------------------------------------------


@router.get("/applications", response_model=dict[str, Any])
async def list_applications(
    ctx: Ctx,
    caller: Who,
    name: str | None = None,
    projects: Annotated[list[str] | None, Query()] = None,
    project: Annotated[list[str] | None, Query()] = None,
    selector: str | None = None,
    repo: str | None = None,
    appNamespace: str | None = None,
    fields: str | None = None,
    limit: Annotated[int, Query(ge=0, le=10000)] = 0,
    continue_: Annotated[str | None, Query(alias="continue")] = None,
) -> Response:
    """Applications the caller may see; ``limit``/``continue`` page, ``fields`` trims."""
    namespace = _namespace(ctx, appNamespace)
    try:
        matches = label_matcher(selector)
    except SelectorError as exc:
        raise InvalidArgument(f"applications: invalid selector {selector!r}: {exc}") from exc
    cache = await ctx.hub.ready_cache()
    if cache is not None:
        resource_version, every = cache.resource_version, cache.items()
    else:
        try:
            listed = await ctx.client.list(API_VERSION, KIND, namespace)
        except kerrors.KubeError as exc:
            raise translate(exc, "applications") from exc
        resource_version = listed.resource_version
        every = sorted(listed.items, key=lambda a: a["metadata"]["name"])
    wanted_projects = set(projects or ()) | set(project or ())
    items = []
    for app in every:
        spec = app.get("spec") or {}
        if matches and not matches((app.get("metadata") or {}).get("labels") or {}):
            continue
        if name and app["metadata"]["name"] != name:
            continue
        if wanted_projects and (spec.get("project") or "default") not in wanted_projects:
            continue
        if repo and repo not in _repos(spec):
            continue
        if ctx.security.enforce(caller, "applications", "get", rbac_object(app)):
            items.append(app)
    start = _decode_continue(continue_)
    page = items[start : start + limit] if limit else items[start:]
    meta: dict[str, Any] = {"resourceVersion": resource_version}
    if limit and start + limit < len(items):
        meta["continue"] = _encode_continue(start + limit)
        meta["remainingItemCount"] = len(items) - start - limit
    body = {"metadata": meta, "items": page}
    # Serialized here: the items are already plain JSON, and FastAPI's generic encoder walks
    # every value of every app (most of a large list's time).
    return Response(
        orjson.dumps(select_fields(body, fields) if fields else body),
        media_type="application/json",
    )


def _repos(spec: dict[str, Any]) -> set[str]:
    sources = spec.get("sources") or ([spec["source"]] if spec.get("source") else [])
    return {str(s.get("repoURL", "")) for s in sources if isinstance(s, dict)}


def _encode_continue(offset: int) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"o": offset})).decode()


def _decode_continue(token: str | None) -> int:
    if not token:
        return 0
    try:
        offset = orjson.loads(base64.urlsafe_b64decode(token.encode()))["o"]
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidArgument("invalid continue token") from exc
    if not isinstance(offset, int) or offset < 0:
        raise InvalidArgument("invalid continue token")
    return offset


@router.get("/applications/{name}")
async def get_application(
    ctx: Ctx,
    caller: Who,
    name: str,
    refresh: Literal["normal", "hard"] | None = None,
    appNamespace: str | None = None,
) -> dict[str, Any]:
    """One Application; ``refresh`` asks the controller to refresh it (Argo CD's way)."""
    app = await load_app(ctx, caller, name, "get", appNamespace)
    if refresh:
        patch = {"metadata": {"annotations": {REFRESH_ANNOTATION: refresh}}}
        app = await _patch(ctx, app, patch)
    return app


@router.post("/applications")
async def create_application(
    ctx: Ctx,
    caller: Who,
    application: Annotated[dict[str, Any], Body()],
    upsert: bool = False,
) -> dict[str, Any]:
    """Create an Application (``upsert`` replaces the spec of an existing one)."""
    app = _clean_for_write(_validate_shape(application), ctx.namespace)
    require(ctx.security, caller, "applications", "create", rbac_object(app))
    await validate_spec(ctx, app)
    try:
        return written(ctx, await ctx.client.create(app))
    except kerrors.AlreadyExists:
        if not upsert:
            existing = await load_app(ctx, caller, app["metadata"]["name"], "get")
            if existing.get("spec") == app["spec"]:
                return existing
            raise InvalidArgument(
                "existing application spec is different, use upsert flag to force update"
            ) from None
    except kerrors.KubeError as exc:
        raise translate(exc, f"application {app['metadata']['name']!r}") from exc
    existing = await load_app(ctx, caller, app["metadata"]["name"], "update")
    return await _patch(ctx, existing, {"spec": app["spec"]}, replace_spec=True)


@router.put("/applications/{name}")
async def update_application(
    ctx: Ctx, caller: Who, name: str, application: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    """Replace an Application's spec, labels and annotations."""
    app = _validate_shape(application)
    if app["metadata"]["name"] != name:
        raise InvalidArgument("metadata.name does not match the name in the path")
    existing = await load_app(ctx, caller, name, "update")
    new = _clean_for_write(app, ctx.namespace)
    # Moving an app to another project needs update rights in the new one too.
    require(ctx.security, caller, "applications", "update", rbac_object(new))
    await validate_spec(ctx, new)
    merged = copy.deepcopy(existing)
    merged["spec"] = new["spec"]
    for key in ("labels", "annotations", "finalizers"):
        if key in new["metadata"]:
            merged["metadata"][key] = new["metadata"][key]
    return await _replace(ctx, merged)


@router.put("/applications/{name}/spec")
async def update_application_spec(
    ctx: Ctx, caller: Who, name: str, spec: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    """Replace only the spec; returns the new spec, as Argo CD does."""
    existing = await load_app(ctx, caller, name, "update")
    candidate = {**existing, "spec": spec}
    _validate_shape(candidate)
    require(ctx.security, caller, "applications", "update", rbac_object(candidate))
    await validate_spec(ctx, candidate)
    return (await _replace(ctx, candidate))["spec"]  # type: ignore[no-any-return]


def _touches_status(op: Any) -> bool:
    """Whether one JSON-patch operation reads or writes ``status`` or ``operation``; the
    paths are checked rather than a before/after comparison, which the controller's own
    status writes would trip."""
    if not isinstance(op, dict):
        raise InvalidArgument("a json patch must be a list of operations")
    paths = (
        [op.get("path"), op.get("from")] if op.get("op") in ("move", "copy") else [op.get("path")]
    )
    for path in paths:
        if not isinstance(path, str):
            raise InvalidArgument("every json patch operation needs a string path")
        top = path.split("/")[1] if path.startswith("/") else path
        if top.replace("~1", "/").replace("~0", "~") in ("status", "operation", ""):
            return True
    return False


@router.patch("/applications/{name}")
async def patch_application(
    ctx: Ctx, caller: Who, name: str, request: PatchRequest
) -> dict[str, Any]:
    """Apply a JSON or merge patch (given as a string) to the Application."""
    await load_app(ctx, caller, name, "update", request.appNamespace)
    try:
        patch = orjson.loads(request.patch)
    except orjson.JSONDecodeError as exc:
        raise InvalidArgument(f"patch is not valid JSON: {exc}") from exc
    patch_type: Literal["json", "merge"] = request.patchType
    if patch_type == "json" and not isinstance(patch, list):
        raise InvalidArgument("a json patch must be a list of operations")
    if patch_type == "merge" and not isinstance(patch, dict):
        raise InvalidArgument("a merge patch must be an object")
    if patch_type == "merge" and ("status" in patch or "operation" in patch):
        raise InvalidArgument("only metadata and spec may be patched")
    if patch_type == "json" and any(_touches_status(op) for op in patch):
        raise InvalidArgument("only metadata and spec may be patched")
    try:
        # Dry-run first: a patch that moves the app to another project needs rights there.
        preview = await ctx.client.patch(
            API_VERSION, KIND, name, patch, namespace=ctx.namespace, patch_type=patch_type,
            dry_run=True,
        )  # fmt: skip
        require(ctx.security, caller, "applications", "update", rbac_object(preview))
        await validate_spec(ctx, preview)
        result = await ctx.client.patch(
            API_VERSION, KIND, name, patch, namespace=ctx.namespace, patch_type=patch_type
        )
    except kerrors.KubeError as exc:
        raise translate(exc, f"application {name!r}") from exc
    return written(ctx, result)


@router.delete("/applications/{name}")
async def delete_application(
    ctx: Ctx,
    caller: Who,
    name: str,
    cascade: bool | None = None,
    propagationPolicy: Literal["foreground", "background", "orphan"] | None = None,
    appNamespace: str | None = None,
) -> dict[str, Any]:
    """Delete an Application; ``cascade`` (default true) deletes its resources too."""
    app = await load_app(ctx, caller, name, "delete", appNamespace)
    finalizers = list((app.get("metadata") or {}).get("finalizers") or [])
    ours = [f for f in finalizers if f.startswith(FINALIZER)]
    others = [f for f in finalizers if not f.startswith(FINALIZER)]
    wanted = others
    if cascade is not False and propagationPolicy != "orphan":
        suffix = "/background" if propagationPolicy == "background" else ""
        wanted = [*others, FINALIZER + suffix]
    if cascade is None and propagationPolicy is None:
        wanted = finalizers  # the app's own finalizer decides, as in Argo CD
    if wanted != finalizers or (ours and cascade is False):
        await _patch(ctx, app, {"metadata": {"finalizers": wanted}})
    try:
        gone = await ctx.client.delete(API_VERSION, KIND, name, namespace=ctx.namespace)
    except kerrors.KubeError as exc:
        raise translate(exc, f"application {name!r}") from exc
    _deleted(ctx, name, gone)
    return {}


def _deleted(ctx: ServerContext, name: str, answer: dict[str, Any]) -> None:
    """Reflect a delete in the cache: an app held by finalizers stays (with its
    deletionTimestamp); otherwise it is gone."""
    meta = answer.get("metadata") or {}
    if answer.get("kind") == KIND and meta.get("deletionTimestamp") and meta.get("finalizers"):
        written(ctx, answer)
    else:
        ctx.hub.cache.forget(name, resource_version(answer) if answer.get("kind") == KIND else None)


@router.post("/applications/{name}/sync")
async def sync_application(
    ctx: Ctx, caller: Who, name: str, request: SyncRequest
) -> dict[str, Any]:
    """Request a sync: the controller runs the operation written here."""
    app = await load_app(ctx, caller, name, "sync", request.appNamespace)
    _refuse_if_running(app)
    await require_sync_window(ctx, app)
    sync: dict[str, Any] = {"prune": request.prune, "dryRun": request.dryRun}
    if request.revision:
        sync["revision"] = request.revision
    if request.revisions:
        sync["revisions"] = request.revisions
    if request.strategy:
        sync["syncStrategy"] = request.strategy.model_dump(exclude_none=True)
    if request.resources:
        sync["resources"] = [r.model_dump() for r in request.resources]
    if request.syncOptions and request.syncOptions.get("items"):
        sync["syncOptions"] = list(request.syncOptions["items"])
    operation: dict[str, Any] = {"sync": sync, "initiatedBy": {"username": caller.subject}}
    if request.retryStrategy:
        operation["retry"] = request.retryStrategy
    return await _patch(ctx, app, {"operation": operation})


@router.post("/applications/{name}/rollback")
async def rollback_application(
    ctx: Ctx, caller: Who, name: str, request: RollbackRequest
) -> dict[str, Any]:
    """Sync to a history entry's revision and turn automated sync off (as Argo CD does)."""
    app = await load_app(ctx, caller, name, "sync", request.appNamespace)
    _refuse_if_running(app)
    history = (app.get("status") or {}).get("history") or []
    entry = next((h for h in history if h.get("id") == request.id), None)
    if entry is None:
        raise NotFound(f"application {name!r} has no history entry with id {request.id}")
    await require_sync_window(ctx, app)
    sync: dict[str, Any] = {"prune": request.prune, "dryRun": request.dryRun}
    if entry.get("revisions"):
        sync["revisions"], sync["sources"] = entry["revisions"], entry.get("sources")
    else:
        sync["revision"], sync["source"] = entry.get("revision"), entry.get("source")
    patch: dict[str, Any] = {
        "operation": {"sync": sync, "initiatedBy": {"username": caller.subject}}
    }
    if ((app.get("spec") or {}).get("syncPolicy") or {}).get("automated") is not None:
        patch["spec"] = {"syncPolicy": {"automated": None}}
    return await _patch(ctx, app, patch)


@router.delete("/applications/{name}/operation")
async def terminate_operation(
    ctx: Ctx, caller: Who, name: str, appNamespace: str | None = None
) -> dict[str, Any]:
    """Ask the controller to terminate the running operation."""
    app = await load_app(ctx, caller, name, "sync", appNamespace)
    state = (app.get("status") or {}).get("operationState") or {}
    if state.get("phase") not in RUNNING_PHASES:
        raise FailedPrecondition("Unable to terminate operation. No operation is in progress")
    await _patch(ctx, app, {"status": {"operationState": {"phase": "Terminating"}}})
    return {}


def _refuse_if_running(app: dict[str, Any]) -> None:
    state = (app.get("status") or {}).get("operationState") or {}
    if app.get("operation") or state.get("phase") in RUNNING_PHASES:
        raise FailedPrecondition("another operation is already in progress")


async def _patch(
    ctx: ServerContext, app: dict[str, Any], patch: dict[str, Any], *, replace_spec: bool = False
) -> dict[str, Any]:
    name = app["metadata"]["name"]
    try:
        if replace_spec:
            return await _replace(ctx, {**app, "spec": patch["spec"]})
        return written(
            ctx,
            await ctx.client.patch(
                API_VERSION, KIND, name, patch, namespace=ctx.namespace, patch_type="merge"
            ),
        )
    except kerrors.KubeError as exc:
        raise translate(exc, f"application {name!r}") from exc


async def _replace(ctx: ServerContext, app: dict[str, Any]) -> dict[str, Any]:
    try:
        return written(ctx, await ctx.client.replace(app))
    except kerrors.KubeError as exc:
        raise translate(exc, f"application {app['metadata']['name']!r}") from exc
