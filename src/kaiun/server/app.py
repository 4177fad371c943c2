"""The API server's ASGI application: routers, Argo CD-shaped errors, version and health."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse

from kaiun.server import applications, projects, stream
from kaiun.server.context import ServerContext
from kaiun.server.errors import ApiError, InvalidArgument

log = logging.getLogger(__name__)


def create_app(ctx: ServerContext) -> FastAPI:
    """The API server for ``ctx`` (mount it in uvicorn or call it in-process)."""
    app = FastAPI(
        title="kaiun API",
        version=ctx.version,
        description="Argo CD-compatible REST API served by kaiun.",
        openapi_url="/swagger.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.ctx = ctx
    app.include_router(applications.router)
    app.include_router(stream.router)
    app.include_router(projects.router)

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        err = InvalidArgument(_describe_validation(exc))
        return JSONResponse(err.body(), status_code=err.status)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Log the type and route, not the message: it could quote request data.
        log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
        body = {"error": "internal error", "code": 13, "message": "internal error"}
        return JSONResponse(body, status_code=500)

    @app.get("/healthz", response_class=PlainTextResponse, tags=["health"])
    async def healthz() -> str:
        return "ok"

    @app.get("/api/version", tags=["VersionService"])
    async def version() -> dict[str, str]:
        return {"Version": ctx.version}

    return app


def _describe_validation(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        parts.append(f"{where}: {err.get('msg', 'invalid')}" if where else str(err.get("msg")))
    return "invalid request: " + "; ".join(parts)
