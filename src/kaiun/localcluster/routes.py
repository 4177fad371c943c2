"""The HTTP face of the local cluster: a raw ASGI app speaking the Kubernetes REST API.

URL shapes handled (``{prefix}`` is ``/api/v1`` or ``/apis/{group}/{version}``)::

    {prefix}/{plural}[/{name}[/{subresource}]]
    {prefix}/namespaces/{ns}/{plural}[/{name}[/{subresource}]]
    {prefix}/watch/...                       (legacy watch paths)

plus discovery, ``/version``, health and OpenAPI. Bodies over 3 MiB get 413.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import orjson

from kaiun import __version__
from kaiun.localcluster import admission, discovery, openapi, protobuf, tables
from kaiun.localcluster.cluster import Cluster, WriteOptions
from kaiun.localcluster.errors import (
    APIError,
    BadRequest,
    MethodNotAllowed,
    NotFound,
    RequestTooLarge,
    UnsupportedMediaType,
)
from kaiun.localcluster.patcherrors import WriteError
from kaiun.localcluster.resources import ResourceType
from kaiun.localcluster.watch import stream_watch

log = logging.getLogger("kaiun.localcluster")

MAX_BODY = 3 * 1024 * 1024
PATCH_TYPES = {
    "application/merge-patch+json": "merge",
    "application/json-patch+json": "json",
    "application/strategic-merge-patch+json": "strategic",
    "application/apply-patch+yaml": "apply",
    "application/apply-patch+cbor": "apply-cbor",
}
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(slots=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    receive: Receive

    def flag(self, name: str) -> bool:
        return self.query.get(name, "").lower() in ("true", "1")

    def write_options(self) -> WriteOptions:
        dry = self.query.get("dryRun", "")
        if dry and dry != "All":
            raise BadRequest(f'Invalid dry run value: "{dry}"; supported values: "All"')
        manager = self.query.get("fieldManager", "")
        # Like Kubernetes, a write without fieldManager is attributed to the user agent's
        # program name; apply is the exception and must name its manager.
        is_apply = "apply-patch" in self.headers.get("content-type", "")
        if not manager and not (self.method == "PATCH" and is_apply):
            manager = self.headers.get("user-agent", "unknown").split("/")[0] or "unknown"
        return WriteOptions(
            dry_run=bool(dry),
            field_manager=manager,
            force=self.flag("force"),
            field_validation=self.query.get("fieldValidation", ""),
        )


@dataclass(slots=True)
class Target:
    """What a resource URL points at."""

    rt: ResourceType
    namespace: str | None
    name: str
    subresource: str
    legacy_watch: bool


class KubeAPI:
    """ASGI application serving ``cluster`` to clients holding ``token``."""

    def __init__(self, cluster: Cluster, *, token: str, address: str = "") -> None:
        self.cluster = cluster
        self.token = token
        self.address = address
        self.stopping = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        auth = headers.get("authorization", "")
        if not hmac.compare_digest(auth.encode(), f"Bearer {self.token}".encode()):
            await _send_json(
                send,
                401,
                {
                    "kind": "Status",
                    "apiVersion": "v1",
                    "metadata": {},
                    "status": "Failure",
                    "message": "Unauthorized",
                    "reason": "Unauthorized",
                    "code": 401,
                },
            )
            return
        try:
            ctype = headers.get("content-type", "")
            if "cbor" in ctype:
                # Clients (kubectl's typed paths) retry with JSON on 415.
                raise UnsupportedMediaType(
                    "the body of the request was in an unknown format - accepted media types "
                    "include: application/json, application/yaml",
                    reason="UnsupportedMediaType",
                )
            body = await _read_body(receive, headers)
            if "protobuf" in ctype:
                # kubectl's typed commands never fall back to JSON: decode and carry on as JSON.
                body = protobuf.json_body(body)
                headers["content-type"] = "application/json"
            qs = parse_qs(scope.get("query_string", b"").decode(), keep_blank_values=True)
            req = Request(
                scope["method"],
                scope["path"],
                {k: v[-1] for k, v in qs.items()},
                headers,
                body,
                receive,
            )
            await self._route(req, send)
        except (APIError, WriteError) as exc:
            await _send_json(send, exc.code, exc.status())
        except Exception as exc:  # a bug must answer 500, not drop the connection
            log.exception("internal error path=%s", scope.get("path"))
            await _send_json(
                send,
                500,
                {
                    "kind": "Status",
                    "apiVersion": "v1",
                    "metadata": {},
                    "status": "Failure",
                    "message": f"internal error: {type(exc).__name__}",
                    "reason": "InternalError",
                    "code": 500,
                },
            )

    async def _route(self, req: Request, send: Send) -> None:
        path = req.path.rstrip("/") or "/"
        parts = [p for p in path.split("/") if p]
        static = self._static(path, parts)
        if static is not None:
            await _send_json(send, 200, static)
            return
        if parts[:1] == ["openapi"]:
            doc = openapi.document(self.cluster.registry, parts[1:])
            if doc is None:
                raise NotFound("the server could not find the requested resource")
            await _send_raw(send, 200, doc)
            return
        target = self._target(parts)
        await self._dispatch(req, target, send)

    def _static(self, path: str, parts: list[str]) -> Any:
        reg = self.cluster.registry
        if path in ("/healthz", "/livez", "/readyz"):
            return "ok"
        if path == "/version":
            return {
                "major": "1",
                "minor": "32",
                "gitVersion": "v1.32.0-kaiun",
                "gitCommit": "kaiun",
                "gitTreeState": "clean",
                "buildDate": "",
                "goVersion": "",
                "compiler": "kaiun",
                "platform": "linux/amd64",
                "kaiunVersion": __version__,
            }
        if path == "/api":
            return discovery.api_versions(self.address)
        if path == "/apis":
            return discovery.api_group_list(reg)
        if parts == ["api", "v1"]:
            return discovery.resource_list(reg, "", "v1")
        if len(parts) == 2 and parts[0] == "apis":
            doc = discovery.api_group(reg, parts[1])
            if doc is None:
                raise NotFound("the server could not find the requested resource")
            return doc
        if len(parts) == 3 and parts[0] == "apis":
            doc = discovery.resource_list(reg, parts[1], parts[2])
            if doc is None:
                raise NotFound("the server could not find the requested resource")
            return doc
        return None

    def _target(self, parts: list[str]) -> Target:
        if parts[:2] == ["api", "v1"]:
            group, version, rest = "", "v1", parts[2:]
        elif parts[:1] == ["apis"] and len(parts) >= 3:
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            raise NotFound("the server could not find the requested resource")
        legacy_watch = rest[:1] == ["watch"]
        if legacy_watch:
            rest = rest[1:]
        ns: str | None = None
        if (
            rest[:1] == ["namespaces"]
            and len(rest) >= 3
            and not (len(rest) == 3 and rest[2] in ("status", "finalize"))
        ):
            ns, rest = rest[1], rest[2:]
        if not rest or len(rest) > 3:
            raise NotFound("the server could not find the requested resource")
        rt = self.cluster.registry.get(group, version, rest[0])
        if rt is None:
            raise NotFound("the server could not find the requested resource")
        if ns is not None and not rt.namespaced:
            raise NotFound("the server could not find the requested resource")
        name = rest[1] if len(rest) > 1 else ""
        sub = rest[2] if len(rest) > 2 else ""
        if sub and not (
            (sub == "status" and rt.status)
            or (sub == "scale" and rt.scale)
            or (sub == "finalize" and rt.kind == "Namespace" and not rt.group)
            or (sub == "log" and rt.kind == "Pod" and not rt.group)
        ):
            raise NotFound("the server could not find the requested resource")
        return Target(rt, ns, name, sub, legacy_watch)

    async def _dispatch(self, req: Request, t: Target, send: Send) -> None:
        c, rt, ns = self.cluster, t.rt, t.namespace or ""
        m = req.method
        if not t.name:
            if m == "GET":
                if t.legacy_watch or req.flag("watch"):
                    await stream_watch(self, req, rt, t.namespace, send)
                    return
                await self._list(req, rt, t.namespace, send)
                return
            if m == "POST":
                obj = admission.parse_body(req.body, req.headers.get("content-type", "json"))
                created = c.create(rt, ns, obj, req.write_options())
                await _send_json(send, 201, created)
                return
            if m == "DELETE":
                opts = _delete_options(req)
                items = c.delete_collection(
                    rt,
                    t.namespace,
                    label_selector=req.query.get("labelSelector"),
                    field_selector=req.query.get("fieldSelector"),
                    propagation=opts.get("propagationPolicy"),
                    dry_run="dryRun" in req.query,
                )
                await _send_raw(send, 200, _list_bytes(rt, items, c.store.rv, "", 0))
                return
            raise MethodNotAllowed(f"the server does not allow this method on {rt.qualified}")
        if t.legacy_watch:
            req.query["fieldSelector"] = f"metadata.name={t.name}"
            await stream_watch(self, req, rt, t.namespace, send)
            return
        await self._object(req, t, send)

    async def _object(self, req: Request, t: Target, send: Send) -> None:
        c, rt, ns, name, sub = self.cluster, t.rt, t.namespace or "", t.name, t.subresource
        m = req.method
        if sub == "scale":
            from kaiun.localcluster import scale

            await _send_json(send, 200, scale.handle(c, rt, ns, name, req))
            return
        if sub == "log":
            obj = c.get(rt, ns, name)
            await _send_raw(send, 200, _pod_log(obj), content_type=b"text/plain")
            return
        if m == "GET":
            if _wants_table(req):
                obj = c.get(rt, ns, name)
                await _send_json(
                    send,
                    200,
                    tables.table(
                        rt, [obj], c.store.rv, include=req.query.get("includeObject", "Metadata")
                    ),
                )
                return
            await _send_raw(send, 200, c.get_raw(rt, ns, name))
            return
        if m == "PUT":
            obj = admission.parse_body(req.body, req.headers.get("content-type", "json"))
            if sub == "finalize":
                result = c.update(rt, ns, name, obj, req.write_options(), subresource="")
            else:
                result = c.update(rt, ns, name, obj, req.write_options(), subresource=sub)
            await _send_json(send, 200, result)
            return
        if m == "PATCH":
            ctype = req.headers.get("content-type", "").split(";")[0].strip()
            ptype = PATCH_TYPES.get(ctype)
            if ptype is None or ptype == "apply-cbor":
                raise UnsupportedMediaType(
                    f"the body of the request was in an unknown format - accepted media types "
                    f"include: {', '.join(k for k in PATCH_TYPES if 'cbor' not in k)}"
                )
            existed = c.store.get(rt.storage_key, ns if rt.namespaced else "", name) is not None
            result = c.patch(rt, ns, name, ptype, req.body, req.write_options(), subresource=sub)
            await _send_json(send, 200 if existed or ptype != "apply" else 201, result)
            return
        if m == "DELETE":
            opts = _delete_options(req)
            result = c.delete(
                rt,
                ns,
                name,
                propagation=opts.get("propagationPolicy"),
                preconditions=opts.get("preconditions"),
                dry_run="dryRun" in req.query or bool(opts.get("dryRun")),
            )
            await _send_json(send, 200, result)
            return
        raise MethodNotAllowed(f"the server does not allow this method on {rt.qualified}")

    async def _list(self, req: Request, rt: ResourceType, ns: str | None, send: Send) -> None:
        c = self.cluster
        try:
            limit = int(req.query.get("limit", "0") or 0)
        except ValueError as exc:
            raise BadRequest("limit must be an integer") from exc
        result = c.list_objects(
            rt,
            ns,
            label_selector=req.query.get("labelSelector"),
            field_selector=req.query.get("fieldSelector"),
            limit=limit,
            continue_token=req.query.get("continue", ""),
        )
        if _wants_table(req):
            objs = [orjson.loads(raw) for raw in result.items]
            await _send_json(
                send,
                200,
                tables.table(
                    rt,
                    objs,
                    result.rv,
                    include=req.query.get("includeObject", "Metadata"),
                    continue_token=result.continue_token,
                ),
            )
            return
        await _send_raw(
            send,
            200,
            _list_bytes(rt, result.items, result.rv, result.continue_token, result.remaining),
        )


def _wants_table(req: Request) -> bool:
    return "as=Table" in req.headers.get("accept", "")


def _delete_options(req: Request) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    if req.body.strip():
        parsed = admission.parse_body(req.body, "json")
        if isinstance(parsed, dict):
            opts = parsed
    if "propagationPolicy" in req.query:
        opts["propagationPolicy"] = req.query["propagationPolicy"]
    if "dryRun" in req.query:
        opts["dryRun"] = [req.query["dryRun"]]
    if opts.get("orphanDependents") is True and "propagationPolicy" not in opts:
        opts["propagationPolicy"] = "Orphan"
    return opts


def _pod_log(pod: dict[str, Any]) -> bytes:
    containers = [c.get("name", "") for c in (pod.get("spec") or {}).get("containers", [])]
    lines = [f"[kaiun local cluster] simulated container {name} started" for name in containers]
    return ("\n".join(lines) + "\n").encode()


def _list_bytes(rt: ResourceType, items: list[bytes], rv: int, cont: str, remaining: int) -> bytes:
    meta: dict[str, Any] = {"resourceVersion": str(rv)}
    if cont:
        meta["continue"] = cont
        meta["remainingItemCount"] = remaining
    head = orjson.dumps({"kind": f"{rt.kind}List", "apiVersion": rt.api_version, "metadata": meta})
    return head[:-1] + b',"items":[' + b",".join(items) + b"]}"


async def _read_body(receive: Receive, headers: dict[str, str]) -> bytes:
    declared = headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY:
        raise RequestTooLarge("the request body is too large (limit 3MiB)")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise RequestTooLarge("the request body is too large (limit 3MiB)")
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def _send_raw(
    send: Send, code: int, body: bytes, content_type: bytes = b"application/json"
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": code,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-cache, private"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _send_json(send: Send, code: int, obj: Any) -> None:
    await _send_raw(send, code, orjson.dumps(obj))


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


__all__ = ["KubeAPI", "Request"]
