"""An application's live resources: resource tree, managed resources, events, one resource.

Only objects the application tracks (``kaiun.model.tracking``, the method argocd-cm names)
and their children by ``ownerReferences`` are reachable, so a caller with rights on an app
cannot read or change anything else on its cluster (GHSA-2f5v-8r3f-8pww). Secrets are
always masked (``kaiun.diff.redact_secrets``). RBAC as Argo CD 3.x: ``applications, get``
to read, ``update/<group>/<kind>/<ns>/<name>`` and ``delete/...`` to change a resource.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Body, Request

from kaiun import diff as kdiff
from kaiun.diff import redact_secrets
from kaiun.health import assess
from kaiun.kube import KubeClient
from kaiun.kube import errors as kerrors
from kaiun.model.tracking import (
    DEFAULT_INSTANCE_LABEL,
    TRACKING_ID_ANNOTATION,
    TrackingMethod,
    owning_app,
    tracking_id_for,
)
from kaiun.server import resactions
from kaiun.server.applications import Ctx, Who, load_app, rbac_object
from kaiun.server.appsource import target_objects
from kaiun.server.clusters import client_for, find
from kaiun.server.context import ServerContext, translate
from kaiun.server.errors import InvalidArgument, NotFound
from kaiun.server.networking import networking_info
from kaiun.server.security import require
from kaiun.settings.resource_customizations import normalizer as cm_normalizer

router = APIRouter(prefix="/api/v1", tags=["ApplicationService"])
# Kinds whose children (by ownerReferences) the tree follows, and the kinds of children.
CHILD_KINDS = (
    ("apps/v1", "ReplicaSet"),
    ("v1", "Pod"),
    ("batch/v1", "Job"),
    ("discovery.k8s.io/v1", "EndpointSlice"),
)


def _gv(group: str, version: str) -> str:
    return f"{group}/{version}" if group else version


async def _tracking(ctx: ServerContext) -> tuple[TrackingMethod, str]:
    try:
        cm = await ctx.client.get("v1", "ConfigMap", "argocd-cm", ctx.namespace)
    except kerrors.KubeError:
        return TrackingMethod.ANNOTATION, DEFAULT_INSTANCE_LABEL
    data = cm.get("data") or {}
    try:
        method = TrackingMethod.parse(data.get("application.resourceTrackingMethod"))
    except ValueError:
        method = TrackingMethod.ANNOTATION
    return method, data.get("application.instanceLabelKey") or DEFAULT_INSTANCE_LABEL


async def destination(ctx: ServerContext, app: dict[str, Any]) -> tuple[dict[str, str], Any]:
    """The cluster entry (fields, secret) of the app's destination."""
    dest = (app.get("spec") or {}).get("destination") or {}
    ident, by_name = (dest["name"], True) if dest.get("name") else (dest.get("server", ""), False)
    found = await find(ctx, str(ident), by_name)
    if found is None:
        raise InvalidArgument(f"destination cluster {ident!r} is not known to this server")
    return found


def _tracked(obj: dict[str, Any], app: str, method: TrackingMethod, label: str) -> bool:
    methods = (
        [TrackingMethod.ANNOTATION, TrackingMethod.LABEL]
        if method is TrackingMethod.ANNOTATION_AND_LABEL
        else [method]
    )
    return any(owning_app(obj, m, label) == app for m in methods)


async def live_objects(
    ctx: ServerContext, client: KubeClient, app: dict[str, Any]
) -> list[dict[str, Any]]:
    """The app's tracked live objects (from status.resources) and their owned children."""
    method, label = await _tracking(ctx)
    name = app["metadata"]["name"]
    top: list[dict[str, Any]] = []
    for res in (app.get("status") or {}).get("resources") or []:
        try:
            obj = await client.get(
                _gv(res.get("group", ""), res.get("version", "v1")), res["kind"],
                res["name"], res.get("namespace") or None,
            )  # fmt: skip
        except (kerrors.KubeError, KeyError):
            continue
        if _tracked(obj, name, method, label):
            top.append(obj)
    return top + await _children(client, top)


async def _children(client: KubeClient, parents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    uids = {p["metadata"].get("uid") for p in parents}
    namespaces = {p["metadata"].get("namespace") for p in parents if p["metadata"].get("namespace")}
    found: list[dict[str, Any]] = []
    candidates: list[dict[str, Any]] = []
    for ns in sorted(namespaces):
        for api_version, kind in CHILD_KINDS:
            try:
                candidates.extend((await client.list(api_version, kind, ns)).items)
            except kerrors.KubeError:
                continue
    # Two levels cover Deployment -> ReplicaSet -> Pod and CronJob -> Job -> Pod.
    for _ in range(3):
        new = [
            c
            for c in candidates
            if c["metadata"].get("uid") not in uids
            and any(o.get("uid") in uids for o in c["metadata"].get("ownerReferences") or [])
        ]
        if not new:
            break
        found.extend(new)
        uids.update(c["metadata"].get("uid") for c in new)
    return found


def node(obj: dict[str, Any], by_uid: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Argo CD's ``ResourceNode`` for one live object."""
    meta = obj.get("metadata") or {}
    group, _, version = str(obj.get("apiVersion", "")).rpartition("/")
    parents = []
    for ref in meta.get("ownerReferences") or []:
        parent = by_uid.get(ref.get("uid"))
        if parent is not None:
            pgroup = str(parent.get("apiVersion", "")).rpartition("/")[0]
            pmeta = parent["metadata"]
            parents.append(
                {
                    "group": pgroup,
                    "kind": parent.get("kind"),
                    "namespace": pmeta.get("namespace", ""),
                    "name": pmeta.get("name"),
                    "uid": pmeta.get("uid"),
                }
            )
    out: dict[str, Any] = {
        "group": group,
        "version": version,
        "kind": obj.get("kind"),
        "namespace": meta.get("namespace", ""),
        "name": meta.get("name"),
        "uid": meta.get("uid"),
        "resourceVersion": meta.get("resourceVersion"),
        "createdAt": meta.get("creationTimestamp"),
        "parentRefs": parents,
        "info": _info(obj),
        "images": _images(obj),
    }
    health = assess(obj)
    if health is not None:
        out["health"] = {"status": str(health.status), "message": health.message}
    networking = networking_info(obj)
    if networking is not None:
        out["networkingInfo"] = networking
    return out


def _images(obj: dict[str, Any]) -> list[str]:
    spec = obj.get("spec") or {}
    pod = spec if obj.get("kind") == "Pod" else ((spec.get("template") or {}).get("spec") or {})
    containers = [*(pod.get("initContainers") or []), *(pod.get("containers") or [])]
    return sorted(
        {str(c.get("image")) for c in containers if isinstance(c, dict) and c.get("image")}
    )


def _info(obj: dict[str, Any]) -> list[dict[str, str]]:
    if obj.get("kind") == "Pod":
        status = obj.get("status") or {}
        statuses = status.get("containerStatuses") or []
        ready = sum(1 for s in statuses if s.get("ready"))
        return [
            {"name": "Status Reason", "value": str(status.get("phase") or "Unknown")},
            {"name": "Containers", "value": f"{ready}/{len(statuses)}"},
        ]
    if obj.get("kind") == "ReplicaSet":
        return [{"name": "Revision", "value": str(
            (obj["metadata"].get("annotations") or {}).get("deployment.kubernetes.io/revision", "")
        )}]  # fmt: skip
    return []


async def _app_client(ctx: ServerContext, app: dict[str, Any]) -> Any:
    fields, secret = await destination(ctx, app)
    return client_for(ctx, fields, secret)


@router.get("/applications/{applicationName}/resource-tree")
async def resource_tree(
    ctx: Ctx, caller: Who, applicationName: str, appNamespace: str | None = None
) -> dict[str, Any]:
    """Argo CD's ``ApplicationTree``: tracked objects and their owned children."""
    app = await load_app(ctx, caller, applicationName, "get", appNamespace)
    async with await _app_client(ctx, app) as client:
        objects = await live_objects(ctx, client, app)
    by_uid = {o["metadata"].get("uid"): o for o in objects}
    nodes = [node(o, by_uid) for o in objects]
    nodes.sort(key=lambda n: (n["group"], n["kind"], n["namespace"], n["name"]))
    return {"nodes": nodes, "orphanedNodes": [], "hosts": []}


@router.get("/applications/{applicationName}/managed-resources")
async def managed_resources(
    request: Request, ctx: Ctx, caller: Who, applicationName: str,
    appNamespace: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Each resource of ``status.resources`` with its live and target state (JSON strings)."""
    app = await load_app(ctx, caller, applicationName, "get", appNamespace)
    targets = await target_objects(request, ctx, app)
    norm = await _normalizer(ctx, app)
    tracking = await _tracking(ctx)
    async with await _app_client(ctx, app) as client:
        items = []
        for res in (app.get("status") or {}).get("resources") or []:
            key = (res.get("group", ""), res.get("kind"), res.get("namespace", ""), res.get("name"))
            try:
                live: Any = await client.get(
                    _gv(res.get("group", ""), res.get("version", "v1")), str(res.get("kind")),
                    str(res.get("name")), res.get("namespace") or None,
                )  # fmt: skip
            except kerrors.KubeError:
                live = None
            target = targets.get(key)
            item = {"group": key[0], "kind": key[1], "namespace": key[2], "name": key[3]}
            applied = _as_applied(target, key[2], live, app["metadata"]["name"], tracking)
            item.update(_compared(applied, live, norm))
            masked_live, masked_target = redact_secrets(live, target)
            item["liveState"] = orjson.dumps(masked_live).decode()
            item["targetState"] = orjson.dumps(masked_target).decode()
            item["hook"] = bool(res.get("hook"))
            items.append(item)
    return {"items": items}


async def _normalizer(ctx: ServerContext, app: dict[str, Any]) -> kdiff.Normalizer | None:
    """argocd-cm's resource overrides plus the app's ignoreDifferences (None if invalid)."""
    try:
        cm = await ctx.client.get("v1", "ConfigMap", "argocd-cm", ctx.namespace)
    except kerrors.KubeError:
        cm = {}
    specs = (app.get("spec") or {}).get("ignoreDifferences") or []
    try:
        rules = tuple(kdiff.IgnoreRule.from_spec(s) for s in specs)
        return cm_normalizer(cm.get("data") or {}, rules)
    except (kdiff.IgnoreRuleError, ValueError):
        return None


def _as_applied(
    target: Any, namespace: str, live: Any, app: str, tracking: tuple[TrackingMethod, str]
) -> Any:
    """``target`` as a sync applies it (namespace and tracking set), so the predicted live
    state keeps what the last apply wrote."""
    if not isinstance(target, dict):
        return target
    obj = dict(target)
    meta = dict(obj.get("metadata") or {})
    live_meta = (live.get("metadata") or {}) if isinstance(live, dict) else {}
    live_ns = live_meta.get("namespace")
    if not meta.get("namespace") and (live_ns or (live is None and namespace)):
        meta["namespace"] = live_ns or namespace
    obj["metadata"] = meta
    method, label = tracking
    if method in (TrackingMethod.ANNOTATION, TrackingMethod.ANNOTATION_AND_LABEL):
        tid = tracking_id_for(app, obj).format()
        meta["annotations"] = {**(meta.get("annotations") or {}), TRACKING_ID_ANNOTATION: tid}
    if method in (TrackingMethod.LABEL, TrackingMethod.ANNOTATION_AND_LABEL):
        meta["labels"] = {**(meta.get("labels") or {}), label: app}
    return obj


def _compared(target: Any, live: Any, norm: kdiff.Normalizer | None) -> dict[str, str]:
    """Argo CD's ``normalizedLiveState``/``predictedLiveState`` (masked), when computable."""
    if norm is None or (target is None and live is None):
        return {}
    try:
        result = kdiff.diff(target, live, normalizer=norm)
        pair = (result.normalized_live, result.predicted_live)
    except kdiff.DiffError:
        return {}
    return {
        "normalizedLiveState": orjson.dumps(pair[0]).decode(),
        "predictedLiveState": orjson.dumps(pair[1]).decode(),
    }


@router.get("/applications/{name}/events")
async def events(
    ctx: Ctx, caller: Who, name: str, resourceNamespace: str | None = None,
    resourceName: str | None = None, resourceUID: str | None = None,
    appNamespace: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Events of the application, or of one of its resources (``resourceUID``...)."""
    app = await load_app(ctx, caller, name, "get", appNamespace)
    if not resourceUID and not resourceName:
        return await _events(ctx.client, ctx.namespace, app["metadata"].get("uid"))
    async with await _app_client(ctx, app) as client:
        objects = await live_objects(ctx, client, app)
        match = next(
            (o for o in objects
             if (not resourceUID or o["metadata"].get("uid") == resourceUID)
             and (not resourceName or o["metadata"].get("name") == resourceName)
             and (not resourceNamespace or o["metadata"].get("namespace") == resourceNamespace)),
            None,
        )  # fmt: skip
        if match is None:
            raise NotFound("resource is not part of the application")
        return await _events(client, match["metadata"].get("namespace"), match["metadata"]["uid"])


async def _events(client: KubeClient, namespace: str | None, uid: str | None) -> dict[str, Any]:
    try:
        listed = await client.list("v1", "Event", namespace or None)
    except kerrors.KubeError as exc:
        raise translate(exc, "events") from exc
    items = [e for e in listed.items if (e.get("involvedObject") or {}).get("uid") == uid]
    return {"metadata": {"resourceVersion": listed.resource_version}, "items": items}


async def _find_resource(
    ctx: ServerContext, client: KubeClient, app: dict[str, Any], q: dict[str, str]
) -> dict[str, Any]:
    for obj in await live_objects(ctx, client, app):
        group, _, _ = str(obj.get("apiVersion", "")).rpartition("/")
        meta = obj["metadata"]
        if (
            group == q["group"] and obj.get("kind") == q["kind"] and meta.get("name") == q["name"]
            and (meta.get("namespace") or "") == q["namespace"]
        ):  # fmt: skip
            return obj
    raise NotFound(f"{q['kind']} {q['namespace']}/{q['name']} is not part of the application")


def _query(namespace: str, resourceName: str, kind: str, group: str) -> dict[str, str]:
    return {"namespace": namespace, "name": resourceName, "kind": kind, "group": group}


def _action(verb: str, q: dict[str, str]) -> str:
    return f"{verb}/{q['group']}/{q['kind']}/{q['namespace']}/{q['name']}"


@router.get("/applications/{name}/resource")
async def get_resource(
    ctx: Ctx, caller: Who, name: str, resourceName: str, kind: str, namespace: str = "",
    group: str = "", version: str = "", appNamespace: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """One live resource of the app as ``{"manifest": "<json>"}`` (Secrets masked)."""
    app = await load_app(ctx, caller, name, "get", appNamespace)
    q = _query(namespace, resourceName, kind, group)
    async with await _app_client(ctx, app) as client:
        obj = await _find_resource(ctx, client, app, q)
    (masked,) = redact_secrets(obj)
    return {"manifest": orjson.dumps(masked).decode()}


@router.post("/applications/{name}/resource")
@router.patch("/applications/{name}/resource")
async def patch_resource(
    ctx: Ctx, caller: Who, name: str, resourceName: str, kind: str,
    patch: Annotated[str, Body()], namespace: str = "", group: str = "", version: str = "",
    patchType: Literal["application/merge-patch+json", "application/json-patch+json",
                       "merge", "json"] = "application/merge-patch+json",
    appNamespace: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Patch one resource of the app (``update/<group>/<kind>/<ns>/<name>`` needed)."""
    app = await load_app(ctx, caller, name, "get", appNamespace)
    q = _query(namespace, resourceName, kind, group)
    require(ctx.security, caller, "applications", _action("update", q), rbac_object(app))
    try:
        body = orjson.loads(patch)
    except orjson.JSONDecodeError:
        raise InvalidArgument("patch is not valid JSON") from None
    as_json = "json-patch" in patchType or patchType == "json"
    kind_of_patch: Literal["json", "merge"] = "json" if as_json else "merge"
    async with await _app_client(ctx, app) as client:
        obj = await _find_resource(ctx, client, app, q)
        try:
            result = await client.patch(
                obj["apiVersion"], kind, resourceName, body,
                namespace=namespace or None, patch_type=kind_of_patch,
            )  # fmt: skip
        except kerrors.KubeError as exc:
            raise translate(exc, f"{kind} {resourceName}") from exc
    (masked,) = redact_secrets(result)
    return {"manifest": orjson.dumps(masked).decode()}


@router.delete("/applications/{name}/resource")
async def delete_resource(
    ctx: Ctx, caller: Who, name: str, resourceName: str, kind: str, namespace: str = "",
    group: str = "", version: str = "", force: bool = False, orphan: bool = False,
    appNamespace: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Delete one resource of the app (``delete/<group>/<kind>/<ns>/<name>`` needed)."""
    app = await load_app(ctx, caller, name, "get", appNamespace)
    q = _query(namespace, resourceName, kind, group)
    require(ctx.security, caller, "applications", _action("delete", q), rbac_object(app))
    async with await _app_client(ctx, app) as client:
        obj = await _find_resource(ctx, client, app, q)
        try:
            await client.delete(
                obj["apiVersion"], kind, resourceName, namespace=namespace or None,
                propagation="Orphan" if orphan else "Background",
            )  # fmt: skip
        except kerrors.KubeError as exc:
            raise translate(exc, f"{kind} {resourceName}") from exc
    return {}


@router.get("/applications/{name}/resource/actions")
async def list_resource_actions(
    ctx: Ctx, caller: Who, name: str, resourceName: str, kind: str, namespace: str = "",
    group: str = "", version: str = "", appNamespace: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Argo CD's ``ResourceActionsListResponse``: the built-in actions of one resource."""
    app = await load_app(ctx, caller, name, "get", appNamespace)
    async with await _app_client(ctx, app) as client:
        obj = await _find_resource(ctx, client, app, _query(namespace, resourceName, kind, group))
    return {"actions": resactions.available(obj)}


@router.post("/applications/{name}/resource/actions")
async def run_resource_action(
    ctx: Ctx, caller: Who, name: str, resourceName: str, kind: str,
    action: Annotated[str, Body()], namespace: str = "", group: str = "", version: str = "",
    appNamespace: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Run an action (``action/<group>/<kind>/<action>`` needed); the body is its name."""
    return await _run_action(ctx, caller, name, _query(namespace, resourceName, kind, group),
                             action, appNamespace)  # fmt: skip


@router.post("/applications/{name}/resource/actions/v2")
async def run_resource_action_v2(
    ctx: Ctx, caller: Who, name: str, body: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    """Argo CD 3's ``ResourceActionRunRequestV2`` (fields in the body)."""
    q = _query(str(body.get("namespace") or ""), str(body.get("resourceName") or ""),
               str(body.get("kind") or ""), str(body.get("group") or ""))  # fmt: skip
    return await _run_action(ctx, caller, name, q, str(body.get("action") or ""),
                             body.get("appNamespace") or None)  # fmt: skip


async def _run_action(
    ctx: ServerContext, caller: Any, name: str, q: dict[str, str], action: str,
    app_namespace: str | None,
) -> dict[str, Any]:  # fmt: skip
    app = await load_app(ctx, caller, name, "get", app_namespace)
    verb = f"action/{q['group']}/{q['kind']}/{action}"
    require(ctx.security, caller, "applications", verb, rbac_object(app))
    async with await _app_client(ctx, app) as client:
        obj = await _find_resource(ctx, client, app, q)
        found = resactions.find(obj, action)
        if found is None:
            raise InvalidArgument(f"{q['kind']} has no action {action!r}")
        if found.disabled(obj):
            raise InvalidArgument(f"action {action!r} is not available for {q['name']} now")
        try:
            await client.patch(obj["apiVersion"], q["kind"], q["name"], found.patch(obj),
                               namespace=q["namespace"] or None, patch_type="merge")  # fmt: skip
        except kerrors.KubeError as exc:
            raise translate(exc, f"{q['kind']} {q['name']}") from exc
    return {}
