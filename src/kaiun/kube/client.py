"""The Kubernetes API client: every verb on any kind, objects as plain dicts.

Async core over ``httpx.AsyncClient`` (see ``transport``); JSON through orjson. Every write
takes ``dry_run`` (server-side ``dryRun=All``). Failures raise ``kaiun.kube.errors`` types.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal

import httpx
import orjson

from kaiun.kube import errors, threeway
from kaiun.kube.config import ClusterConfig
from kaiun.kube.discovery import Discovery, ResourceInfo
from kaiun.kube.transport import open_client
from kaiun.model.tracking import LAST_APPLIED_ANNOTATION

# Called after every request with (method, path, status code or 0, query parameters): the
# controller sets it around the work it does for one app (argocd_app_k8s_request_total).
RequestObserver = Callable[[str, str, int, "dict[str, Any] | None"], None]
REQUEST_OBSERVER: ContextVar[RequestObserver | None] = ContextVar(
    "kaiun_kube_request_observer", default=None
)
PatchType = Literal["merge", "json", "strategic"]
Propagation = Literal["Background", "Foreground", "Orphan"]
_PATCH_CONTENT = {
    "merge": "application/merge-patch+json",
    "json": "application/json-patch+json",
    "strategic": "application/strategic-merge-patch+json",
    "apply": "application/apply-patch+yaml",
}


@dataclass(frozen=True, slots=True)
class ListResult:
    """A complete (all pages) list: items plus the list's resourceVersion to watch from."""

    items: list[dict[str, Any]]
    resource_version: str


class KubeClient:
    """One connection to one cluster. Use ``await KubeClient.connect(config)``."""

    def __init__(self, config: ClusterConfig, http: httpx.AsyncClient) -> None:
        self.config = config
        self.http = http
        self.discovery = Discovery(self.get_path)
        # tls-server-name / tlsClientConfig.serverName: the name to expect on the certificate.
        self._extensions = (
            {"sni_hostname": config.tls_server_name} if config.tls_server_name else {}
        )

    @classmethod
    async def connect(
        cls,
        config: ClusterConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        request_timeout: float = 30.0,
    ) -> KubeClient:
        """Build a client for ``config`` (no request is made yet)."""
        return cls(
            config, await open_client(config, transport=transport, request_timeout=request_timeout)
        )

    def __repr__(self) -> str:
        return f"KubeClient(server={self.config.server!r}, name={self.config.name!r})"

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self.http.aclose()

    async def __aenter__(self) -> KubeClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- raw requests -------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        content_type: str = "application/json",
    ) -> dict[str, Any]:
        """Send one request; return the decoded JSON body or raise a typed error."""
        content = None if body is None else orjson.dumps(body)
        headers = {"Content-Type": content_type} if content is not None else None
        try:
            resp = await self.http.request(
                method,
                path,
                params=params,
                content=content,
                headers=headers,
                extensions=self._extensions,
            )
        except httpx.TransportError as exc:
            _observe(method, path, 0, params)
            raise errors.Unreachable(self.config.server, _describe(exc)) from exc
        except httpx.InvalidURL:
            # A name with characters no URL can carry (control characters...): the API
            # server would refuse it too, so answer as it would rather than crash the caller.
            status = {"reason": "BadRequest", "message": "invalid characters in resource name"}
            raise errors.BadRequest(400, status, where=f"{method} request") from None
        _observe(method, path, resp.status_code, params)
        if resp.status_code >= 400:
            raise _status_error(resp, f"{method} {path}")
        return orjson.loads(resp.content) if resp.content else {}

    async def get_path(self, path: str) -> dict[str, Any]:
        """GET a raw API path (discovery, ``/version``...)."""
        return await self.request("GET", path)

    async def info(self, api_version: str, kind: str) -> ResourceInfo:
        """Discovery entry for a kind."""
        return await self.discovery.resource(api_version, kind)

    # -- reads --------------------------------------------------------------------------

    async def get(
        self, api_version: str, kind: str, name: str, namespace: str | None = None
    ) -> dict[str, Any]:
        """One object."""
        info = await self.info(api_version, kind)
        return await self.request("GET", info.path(namespace, name))

    async def list_pages(
        self,
        info: ResourceInfo,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        page_size: int = 500,
    ) -> AsyncIterator[dict[str, Any]]:
        """Yield each page (a ``*List`` dict) of a paginated list."""
        params: dict[str, Any] = {"limit": page_size} if page_size else {}
        if label_selector:
            params["labelSelector"] = label_selector
        if field_selector:
            params["fieldSelector"] = field_selector
        while True:
            page = await self.request("GET", info.path(namespace), params=params)
            yield page
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return
            params = {**params, "continue": token}

    async def list(
        self,
        api_version: str,
        kind: str,
        namespace: str | None = None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        page_size: int = 500,
    ) -> ListResult:
        """Every object of a kind (all pages)."""
        info = await self.info(api_version, kind)
        items: list[dict[str, Any]] = []
        rv = ""
        async for page in self.list_pages(
            info,
            namespace=namespace,
            label_selector=label_selector,
            field_selector=field_selector,
            page_size=page_size,
        ):
            items.extend(page.get("items") or [])
            rv = (page.get("metadata") or {}).get("resourceVersion", rv)
        return ListResult(items, rv)

    async def watch(
        self,
        info: ResourceInfo,
        *,
        resource_version: str | None = None,
        namespace: str | None = None,
        timeout_seconds: int = 300,
        bookmarks: bool = True,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        """Yield watch events (``{"type", "object"}``) until the server ends the stream.

        An ``ERROR`` event is raised as its ``APIError`` (``Gone`` for 410).
        """
        params: dict[str, Any] = {"watch": "true", "timeoutSeconds": timeout_seconds}
        if resource_version:
            params["resourceVersion"] = resource_version
        if bookmarks:
            params["allowWatchBookmarks"] = "true"
        if label_selector:
            params["labelSelector"] = label_selector
        if field_selector:
            params["fieldSelector"] = field_selector
        where = f"watch {info.path(namespace)}"
        # The server closes the stream after timeoutSeconds; allow a margin before giving up.
        timeout = httpx.Timeout(10.0, read=timeout_seconds + 30.0)
        try:
            async with self.http.stream(
                "GET",
                info.path(namespace),
                params=params,
                timeout=timeout,
                extensions=self._extensions,
            ) as resp:
                if resp.status_code >= 400:
                    await resp.aread()
                    raise _status_error(resp, where)
                async for line in resp.aiter_lines():
                    if not line:
                        continue
                    event = orjson.loads(line)
                    if event.get("type") == "ERROR":
                        status = event.get("object") or {}
                        raise errors.api_error(int(status.get("code") or 500), status, where=where)
                    yield event
        except httpx.TransportError as exc:
            raise errors.Unreachable(self.config.server, _describe(exc)) from exc

    # -- writes -------------------------------------------------------------------------

    async def _target(self, obj: dict[str, Any]) -> tuple[ResourceInfo, str | None, str]:
        info = await self.info(str(obj.get("apiVersion", "")), str(obj.get("kind", "")))
        meta = obj.get("metadata") or {}
        ns = meta.get("namespace") or (self.config.namespace if info.namespaced else None)
        return info, ns, str(meta.get("name", ""))

    async def create(
        self, obj: dict[str, Any], *, dry_run: bool = False, field_manager: str | None = None
    ) -> dict[str, Any]:
        """POST a new object."""
        info, ns, _ = await self._target(obj)
        return await self.request(
            "POST", info.path(ns), params=_write_params(dry_run, field_manager), body=obj
        )

    async def replace(
        self, obj: dict[str, Any], *, dry_run: bool = False, field_manager: str | None = None
    ) -> dict[str, Any]:
        """PUT an object (its ``metadata.resourceVersion``, if set, guards the update)."""
        info, ns, name = await self._target(obj)
        return await self.request(
            "PUT", info.path(ns, name), params=_write_params(dry_run, field_manager), body=obj
        )

    async def patch(
        self,
        api_version: str,
        kind: str,
        name: str,
        patch: Any,
        *,
        namespace: str | None = None,
        patch_type: PatchType = "merge",
        dry_run: bool = False,
        field_manager: str | None = None,
    ) -> dict[str, Any]:
        """PATCH with a JSON merge, JSON (RFC 6902) or strategic merge patch."""
        info = await self.info(api_version, kind)
        return await self.request(
            "PATCH",
            info.path(namespace, name),
            params=_write_params(dry_run, field_manager),
            body=patch,
            content_type=_PATCH_CONTENT[patch_type],
        )

    async def apply(
        self,
        obj: dict[str, Any],
        *,
        field_manager: str,
        force: bool = False,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        """Server-side apply ``obj`` as ``field_manager`` (``force`` takes over conflicts)."""
        info, ns, name = await self._target(obj)
        params = _write_params(dry_run, field_manager)
        if force:
            params["force"] = "true"
        return await self.request(
            "PATCH",
            info.path(ns, name),
            params=params,
            body=obj,
            content_type=_PATCH_CONTENT["apply"],
        )

    async def apply_client_side(
        self, obj: dict[str, Any], *, dry_run: bool = False, field_manager: str = "kaiun"
    ) -> dict[str, Any]:
        """``kubectl apply`` without ``--server-side``: three-way patch from last-applied."""
        info, ns, name = await self._target(obj)
        modified = with_last_applied(obj)
        params = _write_params(dry_run, field_manager)
        try:
            live = await self.request("GET", info.path(ns, name))
        except errors.NotFound:
            return await self.request("POST", info.path(ns), params=params, body=modified)
        annotations = (live.get("metadata") or {}).get("annotations") or {}
        raw = annotations.get(LAST_APPLIED_ANNOTATION)
        original = orjson.loads(raw) if raw else {}
        strategic = threeway.is_builtin(info.api_version)
        patch = threeway.three_way_patch(original, modified, live, strategic=strategic)
        if not patch:
            return live
        return await self.request(
            "PATCH",
            info.path(ns, name),
            params=params,
            body=patch,
            content_type=_PATCH_CONTENT["strategic" if strategic else "merge"],
        )

    async def delete(
        self,
        api_version: str,
        kind: str,
        name: str,
        *,
        namespace: str | None = None,
        propagation: Propagation = "Background",
        dry_run: bool = False,
    ) -> dict[str, Any]:
        """DELETE one object; returns the server's answer (the object or a Status)."""
        info = await self.info(api_version, kind)
        body: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "DeleteOptions",
            "propagationPolicy": propagation,
        }
        if dry_run:
            body["dryRun"] = ["All"]
        return await self.request("DELETE", info.path(namespace, name), body=body)


def _observe(method: str, path: str, status: int, params: dict[str, Any] | None) -> None:
    observer = REQUEST_OBSERVER.get()
    if observer is not None:
        observer(method, path, status, params)


def with_last_applied(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` with ``last-applied-configuration`` set to itself, byte for byte as kubectl.

    kubectl serializes with Go's encoding/json (sorted keys, HTML-escaped, trailing newline)
    and keeps an empty ``annotations`` map, so its next ``apply`` sees no change.
    """
    clean = copy.deepcopy(obj)
    meta = clean.setdefault("metadata", {})
    annotations = dict(meta.get("annotations") or {})
    annotations.pop(LAST_APPLIED_ANNOTATION, None)
    meta["annotations"] = annotations
    text = orjson.dumps(clean, option=orjson.OPT_SORT_KEYS).decode()
    for char, escaped in _GO_ESCAPES:
        text = text.replace(char, escaped)
    out = copy.deepcopy(clean)
    out["metadata"]["annotations"][LAST_APPLIED_ANNOTATION] = text + "\n"
    return out


_GO_ESCAPES = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)


def _write_params(dry_run: bool, field_manager: str | None) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if dry_run:
        params["dryRun"] = "All"
    if field_manager:
        params["fieldManager"] = field_manager
    return params


def _status_error(resp: httpx.Response, where: str) -> errors.APIError:
    try:
        status = orjson.loads(resp.content)
        if not isinstance(status, dict):
            status = {}
    except orjson.JSONDecodeError:
        status = {"message": resp.text[:200]}
    return errors.api_error(resp.status_code, status, where=where)


def _describe(exc: httpx.TransportError) -> str:
    # The exception text may include the URL but never headers; keep it short.
    text = str(exc) or type(exc).__name__
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return "TLS certificate verification failed (wrong or missing CA certificate)"
    if isinstance(exc, httpx.ConnectError):
        return f"connection failed ({text})"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    return text
