"""``/api/v1/clusters``: Argo CD's cluster service over cluster Secrets.

A cluster is a Secret labelled ``argocd.argoproj.io/secret-type: cluster`` (``server``,
``name``, ``config`` JSON, ``namespaces``, ``clusterResources``, ``project``); the in-cluster
entry (``https://kubernetes.default.svc``) is always listed, backed by the server's own
connection unless a Secret overrides it. Responses carry Argo CD's sanitized config: never a
token, password, key or exec environment. RBAC resource ``clusters``, object
``<project>/<server>`` for project-scoped clusters, else the server URL.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

import orjson
from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from kaiun.kube import KubeClient, from_cluster_secret
from kaiun.kube import errors as kerrors
from kaiun.model.appproject import IN_CLUSTER_NAME, IN_CLUSTER_SERVER
from kaiun.server.applications import Ctx, Who
from kaiun.server.context import ServerContext, translate
from kaiun.server.errors import FailedPrecondition, InvalidArgument, NotFound, permission_denied
from kaiun.server.security import Caller, require

router = APIRouter(prefix="/api/v1", tags=["ClusterService"])
LABEL = "argocd.argoproj.io/secret-type"
RESOURCE = "clusters"
PROBE_SECONDS = 10.0


class ClusterBody(BaseModel):
    """Argo CD's ``Cluster`` as a client sends it (``config`` secrets write-only)."""

    model_config = ConfigDict(extra="ignore")
    server: str = ""
    name: str = ""
    config: dict[str, Any] = Field(default_factory=dict)
    namespaces: list[str] = Field(default_factory=list)
    clusterResources: bool = False
    project: str = ""
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)


def _decode(secret: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in (secret.get("data") or {}).items():
        with contextlib.suppress(ValueError, UnicodeDecodeError):
            out[str(key)] = base64.b64decode(value).decode()
    return out


def sanitized(fields: dict[str, str], secret: dict[str, Any] | None) -> dict[str, Any]:
    """Argo CD's sanitized ``Cluster`` from a Secret's fields."""
    try:
        conf = orjson.loads(fields.get("config") or "{}")
    except orjson.JSONDecodeError:
        conf = {}
    conf = conf if isinstance(conf, dict) else {}
    tls = conf.get("tlsClientConfig") if isinstance(conf.get("tlsClientConfig"), dict) else {}
    safe_conf: dict[str, Any] = {
        "tlsClientConfig": {k: v for k, v in (tls or {}).items() if k in ("insecure", "serverName")}
    }
    exec_conf = conf.get("execProviderConfig")
    if isinstance(exec_conf, dict):
        safe_conf["execProviderConfig"] = {
            k: v for k, v in exec_conf.items() if k in ("command", "apiVersion", "installHint")
        }
    meta = (secret or {}).get("metadata") or {}
    out: dict[str, Any] = {
        "server": fields.get("server", "").rstrip("/"),
        "name": fields.get("name") or fields.get("server", ""),
        "config": safe_conf,
    }
    namespaces = [n.strip() for n in fields.get("namespaces", "").split(",") if n.strip()]
    if namespaces:
        out["namespaces"] = namespaces
    if fields.get("clusterResources") == "true":
        out["clusterResources"] = True
    if fields.get("project"):
        out["project"] = fields["project"]
    labels = {k: v for k, v in (meta.get("labels") or {}).items() if k != LABEL}
    if labels:
        out["labels"] = labels
    annotations = {
        k: v
        for k, v in (meta.get("annotations") or {}).items()
        if k != "kubectl.kubernetes.io/last-applied-configuration"  # may hold the config
    }
    if annotations:
        out["annotations"] = annotations
    return out


IN_CLUSTER = {"server": IN_CLUSTER_SERVER, "name": IN_CLUSTER_NAME}


async def cluster_entries(ctx: ServerContext) -> list[tuple[dict[str, str], dict[str, Any] | None]]:
    """``(fields, secret)`` of every cluster, the in-cluster entry included (secret None)."""
    try:
        listed = await ctx.client.list(
            "v1", "Secret", ctx.namespace, label_selector=f"{LABEL}=cluster"
        )
    except kerrors.KubeError as exc:
        raise translate(exc, "cluster secrets") from exc
    entries: list[tuple[dict[str, str], dict[str, Any] | None]] = [
        (_decode(s), s) for s in listed.items if _decode(s).get("server")
    ]
    if not any(f["server"].rstrip("/") == IN_CLUSTER_SERVER for f, _ in entries):
        entries.insert(0, (dict(IN_CLUSTER), None))
    return entries


def rbac_object(fields: dict[str, str]) -> str:
    """``<project>/<server>`` for project-scoped clusters, else the server URL."""
    server = fields.get("server", "").rstrip("/")
    return f"{fields['project']}/{server}" if fields.get("project") else server


async def find(
    ctx: ServerContext, ident: str, by_name: bool = False
) -> tuple[dict[str, str], dict[str, Any] | None] | None:
    """The cluster a server URL (or name) identifies."""
    for fields, secret in await cluster_entries(ctx):
        server = fields["server"].rstrip("/")
        name = fields.get("name") or server
        if (not by_name and server == ident.rstrip("/")) or name == ident:
            return fields, secret
    return None


@contextlib.asynccontextmanager
async def client_for(
    ctx: ServerContext, fields: dict[str, str], secret: dict[str, Any] | None
) -> AsyncIterator[KubeClient]:
    """A client for a cluster (the server's own one for the in-cluster entry)."""
    if secret is None:
        yield ctx.client
        return
    try:
        config = from_cluster_secret(secret)
    except kerrors.ConfigError as exc:
        raise InvalidArgument(str(exc)) from None
    async with await KubeClient.connect(config, request_timeout=PROBE_SECONDS) as client:
        yield client


async def connection(
    ctx: ServerContext, fields: dict[str, str], secret: dict[str, Any] | None
) -> dict[str, Any]:
    """``{connectionState, serverVersion}`` probed with ``/version``."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        async with client_for(ctx, fields, secret) as client:
            version = await asyncio.wait_for(client.get_path("/version"), PROBE_SECONDS)
    except (kerrors.KubeError, InvalidArgument, TimeoutError, OSError) as exc:
        message = f"unable to connect to cluster: {type(exc).__name__}"
        state = {"status": "Failed", "message": message, "attemptedAt": now}
        return {"connectionState": state, "info": {"connectionState": state}}
    state = {"status": "Successful", "message": "", "attemptedAt": now}
    server_version = f"{version.get('major', '')}.{version.get('minor', '')}".strip(".")
    return {
        "connectionState": state,
        "serverVersion": server_version,
        "info": {"connectionState": state, "serverVersion": server_version},
    }


async def _load(
    ctx: ServerContext, caller: Caller, ident: str, action: str, by_name: bool = False
) -> tuple[dict[str, str], dict[str, Any] | None]:
    found = await find(ctx, ident, by_name)
    if found is None:
        if ctx.security.enforce(caller, RESOURCE, action, ident):
            raise NotFound(f'cluster "{ident}" not found')
        raise permission_denied(RESOURCE, action, ident)
    require(ctx.security, caller, RESOURCE, action, rbac_object(found[0]))
    return found


@router.get("/clusters")
async def list_clusters(
    ctx: Ctx, caller: Who, server: str | None = None, name: str | None = None
) -> dict[str, Any]:
    """Clusters the caller may ``get``, with connection state."""
    visible = [
        (f, s)
        for f, s in await cluster_entries(ctx)
        if (not server or f["server"].rstrip("/") == server.rstrip("/"))
        and (not name or (f.get("name") or f["server"]) == name)
        and ctx.security.enforce(caller, RESOURCE, "get", rbac_object(f))
    ]
    states = await asyncio.gather(*(connection(ctx, f, s) for f, s in visible))
    items = [{**sanitized(f, s), **st} for (f, s), st in zip(visible, states, strict=True)]
    return {"metadata": {}, "items": items}


@router.get("/clusters/{ident:path}")
async def get_cluster(
    ctx: Ctx, caller: Who, ident: str, id_type: Annotated[str | None, Query(alias="id.type")] = None
) -> dict[str, Any]:
    """One cluster by server URL (or by name with ``id.type=name``)."""
    fields, secret = await _load(ctx, caller, ident, "get", id_type == "name")
    return {**sanitized(fields, secret), **await connection(ctx, fields, secret)}


def _secret(ctx: ServerContext, body: ClusterBody, name: str | None = None) -> dict[str, Any]:
    server = body.server.strip().rstrip("/")
    scheme = urlsplit(server).scheme
    if scheme not in ("https", "http") or not urlsplit(server).hostname:
        raise InvalidArgument("server must be an http(s) URL of a Kubernetes API")
    data = {
        "server": server,
        "name": body.name or server,
        "config": orjson.dumps(body.config).decode(),
    }
    if body.namespaces:
        data["namespaces"] = ",".join(body.namespaces)
    if body.clusterResources:
        data["clusterResources"] = "true"
    if body.project:
        data["project"] = body.project
    digest = hashlib.sha256(server.encode()).hexdigest()[:10]
    host = (urlsplit(server).hostname or "cluster").replace(".", "-")[:40].strip("-")
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": name or f"cluster-{host}-{digest}",
            "namespace": ctx.namespace,
            "labels": {**body.labels, LABEL: "cluster"},
            "annotations": dict(body.annotations),
        },
        "type": "Opaque",
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
    }


@router.post("/clusters")
async def create_cluster(
    ctx: Ctx, caller: Who, body: ClusterBody, upsert: bool = False
) -> dict[str, Any]:
    """Store a cluster Secret (``upsert`` replaces an existing one)."""
    secret = _secret(ctx, body)
    fields = _decode(secret)
    require(ctx.security, caller, RESOURCE, "create", rbac_object(fields))
    try:
        from_cluster_secret(secret)
    except kerrors.ConfigError as exc:
        raise InvalidArgument(str(exc)) from None
    existing = await find(ctx, fields["server"])
    try:
        if existing is not None and existing[1] is not None:
            if _decode(existing[1]) == fields:
                return sanitized(fields, secret)
            if not upsert:
                raise InvalidArgument(
                    "existing cluster spec is different; use upsert flag to force update"
                )
            require(ctx.security, caller, RESOURCE, "update", rbac_object(existing[0]))
            await ctx.client.replace(_over(existing[1], secret))
        else:
            await ctx.client.create(secret)
    except kerrors.KubeError as exc:
        raise translate(exc, "cluster secret") from exc
    return sanitized(fields, secret)


def _over(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    meta = {**old["metadata"], "labels": new["metadata"]["labels"]}
    meta["annotations"] = new["metadata"]["annotations"]
    meta.pop("managedFields", None)
    return {**new, "metadata": meta}


@router.put("/clusters/{ident:path}")
async def update_cluster(ctx: Ctx, caller: Who, ident: str, body: ClusterBody) -> dict[str, Any]:
    """Replace a cluster's Secret; an omitted ``config`` keeps the stored credentials.

    Authorized on the stored cluster *and* the new one (GHSA-3jfq-742w-xg8j)."""
    fields, old = await _load(ctx, caller, ident, "update")
    if not body.server:
        body.server = fields["server"]
    if body.server.rstrip("/") != fields["server"].rstrip("/"):
        raise InvalidArgument("the server URL of a cluster cannot change; create a new one")
    if not body.config and fields.get("config"):
        body.config = orjson.loads(fields["config"])
    secret = _secret(ctx, body, name=(old or {}).get("metadata", {}).get("name"))
    require(ctx.security, caller, RESOURCE, "update", rbac_object(_decode(secret)))
    try:
        if old is None:
            await ctx.client.create(secret)
        else:
            await ctx.client.replace(_over(old, secret))
    except kerrors.KubeError as exc:
        raise translate(exc, "cluster secret") from exc
    return sanitized(_decode(secret), secret)


@router.delete("/clusters/{ident:path}")
async def delete_cluster(
    ctx: Ctx, caller: Who, ident: str, id_type: Annotated[str | None, Query(alias="id.type")] = None
) -> dict[str, Any]:
    """Remove a cluster Secret (the built-in in-cluster entry stays)."""
    _, secret = await _load(ctx, caller, ident, "delete", id_type == "name")
    if secret is None:
        raise FailedPrecondition("the in-cluster entry is built in and cannot be deleted")
    try:
        await ctx.client.delete("v1", "Secret", secret["metadata"]["name"], namespace=ctx.namespace)
    except kerrors.KubeError as exc:
        raise translate(exc, "cluster secret") from exc
    return {}
