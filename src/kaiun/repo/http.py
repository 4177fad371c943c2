"""The repo server over HTTP: an ASGI app serving ``RepoService`` and a client with its API.

The distributed ``repo-server`` role runs ``repo_server_app(service)`` under uvicorn;
controllers use ``RemoteRepoService``, which has ``RepoService``'s two methods, so callers
cannot tell where rendering happens. Errors cross the wire as ``{"error", "type"}`` and are
raised again as the same ``RepoError`` subclass on the client side.
"""

from __future__ import annotations

import hmac
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


def repo_server_app(service: RepoService, *, token: str = "") -> Starlette:
    """The ASGI app of the ``repo-server`` role; ``token`` (if set) is required as a bearer."""

    async def read(request: Request) -> Any:
        if token:
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given, f"Bearer {token}"):
                return _json({"error": "unauthorized", "type": "Unauthorized"}, 401)
        body = await request.body()
        if len(body) > _MAX_BODY:
            return _json({"error": "request too large", "type": "SourceError"}, 413)
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            return _json({"error": "body is not JSON", "type": "SourceError"}, 400)

    async def manifests(request: Request) -> Response:
        body = await read(request)
        if isinstance(body, Response):
            return body
        try:
            req = ManifestRequest.from_dict(body)
            return _json((await service.generate_manifest(req)).to_dict())
        except errors.RepoError as exc:
            return _error(exc)
        except (KeyError, TypeError, ValueError) as exc:
            return _json({"error": f"bad request: {exc}", "type": "SourceError"}, 400)

    async def revision(request: Request) -> Response:
        body = await read(request)
        if isinstance(body, Response):
            return body
        try:
            source = ApplicationSource.from_dict(body["source"])
            sha = await service.resolve_revision(source, refresh=bool(body.get("refresh")))
            return _json({"revision": sha})
        except errors.RepoError as exc:
            return _error(exc)
        except (KeyError, TypeError, ValueError) as exc:
            return _json({"error": f"bad request: {exc}", "type": "SourceError"}, 400)

    async def healthz(request: Request) -> Response:
        return Response("ok")

    return Starlette(
        routes=[
            Route("/api/v1/manifests", manifests, methods=["POST"]),
            Route("/api/v1/revision", revision, methods=["POST"]),
            Route("/healthz", healthz),
        ]
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
