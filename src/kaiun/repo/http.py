"""The repo server over HTTP: an ASGI app serving ``RepoService`` and a client with its API.

The distributed ``repo-server`` role runs ``repo_server_app(service)`` under uvicorn;
controllers use ``RemoteRepoService``, which has ``RepoService``'s two methods, so callers
cannot tell where rendering happens. Errors cross the wire as ``{"error", "type"}`` and are
raised again as the same ``RepoError`` subclass on the client side.
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kaiun.repo import errors
from kaiun.repo.contract import ApplicationSource, ManifestRequest, ManifestResponse
from kaiun.repo.service import RepoService

__all__ = ["RemoteRepoService", "repo_server_app"]

_MAX_BODY = 10 * 1024 * 1024
_STATUS: list[tuple[type[errors.RepoError], int]] = [
    (errors.AuthenticationError, 502),
    (errors.RevisionNotFoundError, 404),
    (errors.SourceError, 400),
    (errors.ManifestError, 422),
    (errors.RenderError, 422),
]


# Attributes some errors carry (file and line of a malformed manifest, the repository).
_ERROR_ATTRS = ("file", "line", "repo_url")


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def _error(exc: errors.RepoError) -> Response:
    status = next((code for cls, code in _STATUS if isinstance(exc, cls)), 500)
    body = {"error": str(exc), "type": type(exc).__name__}
    body.update({a: getattr(exc, a) for a in _ERROR_ATTRS if hasattr(exc, a)})
    return _json(body, status)


Handler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


def _endpoint(handler: Handler, token: str) -> Callable[[Request], Awaitable[Response]]:
    """A POST route: bearer check, size cap, JSON in, ``handler``, JSON or a typed error out."""

    async def route(request: Request) -> Response:
        if token and not hmac.compare_digest(
            request.headers.get("authorization", ""), f"Bearer {token}"
        ):
            return _json({"error": "unauthorized", "type": "Unauthorized"}, 401)
        body = await request.body()
        if len(body) > _MAX_BODY:
            return _json({"error": "request too large", "type": "SourceError"}, 413)
        try:
            return _json(await handler(orjson.loads(body)))
        except errors.RepoError as exc:
            return _error(exc)
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            return _json({"error": f"bad request: {exc}", "type": "SourceError"}, 400)

    return route


def repo_server_app(service: RepoService, *, token: str = "") -> Starlette:
    """The ASGI app of the ``repo-server`` role; ``token`` (if set) is required as a bearer."""

    async def manifests(body: dict[str, Any]) -> dict[str, Any]:
        return (await service.generate_manifest(ManifestRequest.from_dict(body))).to_dict()

    async def revision(body: dict[str, Any]) -> dict[str, Any]:
        source = ApplicationSource.from_dict(body["source"])
        return {
            "revision": await service.resolve_revision(source, refresh=bool(body.get("refresh")))
        }

    async def directories(body: dict[str, Any]) -> dict[str, Any]:
        rev = str(body.get("revision") or "HEAD")
        commit, dirs = await service.list_directories(str(body["repoURL"]), rev)
        return {"revision": commit, "directories": dirs}

    async def files(body: dict[str, Any]) -> dict[str, Any]:
        rev = str(body.get("revision") or "HEAD")
        commit, found = await service.read_files(str(body["repoURL"]), rev, str(body["pattern"]))
        return {
            "revision": commit,
            "files": {k: base64.b64encode(v).decode() for k, v in found.items()},
        }

    async def healthz(request: Request) -> Response:
        return Response("ok")

    routes = {
        "/api/v1/manifests": manifests,
        "/api/v1/revision": revision,
        "/api/v1/directories": directories,
        "/api/v1/files": files,
    }
    return Starlette(
        routes=[Route(path, _endpoint(h, token), methods=["POST"]) for path, h in routes.items()]
        + [Route("/healthz", healthz)]
    )


class RemoteRepoService:
    """``RepoService``'s API over HTTP, against a ``repo-server`` at ``base_url``."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str = "",
        timeout: float = 180.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.AsyncClient(
            base_url=base_url, headers=headers, timeout=timeout, transport=transport
        )

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = await self._client.post(path, content=orjson.dumps(body))
        except httpx.HTTPError as exc:
            raise errors.RepoError(f"repo server unreachable: {type(exc).__name__}") from None
        try:
            data: dict[str, Any] = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            data = {"error": f"HTTP {response.status_code}", "type": "RepoError"}
        if response.status_code != 200:
            raise _rebuild(data)
        return data

    async def generate_manifest(self, request: ManifestRequest) -> ManifestResponse:
        """Render remotely; the same errors as ``RepoService.generate_manifest``."""
        return ManifestResponse.from_dict(await self._post("/api/v1/manifests", request.to_dict()))

    async def resolve_revision(self, source: ApplicationSource, *, refresh: bool = False) -> str:
        """Resolve remotely; the same errors as ``RepoService.resolve_revision``."""
        body = {"source": source.to_dict(), "refresh": refresh}
        return str((await self._post("/api/v1/revision", body))["revision"])

    async def list_directories(self, repo_url: str, revision: str) -> tuple[str, list[str]]:
        """Remote ``RepoService.list_directories``."""
        data = await self._post("/api/v1/directories", {"repoURL": repo_url, "revision": revision})
        return str(data["revision"]), [str(d) for d in data["directories"]]

    async def read_files(
        self, repo_url: str, revision: str, pattern: str
    ) -> tuple[str, dict[str, bytes]]:
        """Remote ``RepoService.read_files``."""
        body = {"repoURL": repo_url, "revision": revision, "pattern": pattern}
        data = await self._post("/api/v1/files", body)
        files = {str(k): base64.b64decode(v) for k, v in data["files"].items()}
        return str(data["revision"]), files


def _rebuild(data: dict[str, Any]) -> errors.RepoError:
    cls = getattr(errors, str(data.get("type")), None)
    message = str(data.get("error", "repo server error"))
    if not (isinstance(cls, type) and issubclass(cls, errors.RepoError)):
        return errors.RepoError(message)
    exc = cls.__new__(cls)
    Exception.__init__(exc, message)  # the message is already final; skip re-formatting
    for attr in _ERROR_ATTRS:
        if attr in data:
            setattr(exc, attr, data[attr])
    return exc
