"""The API server's ASGI application: routers, Argo CD-shaped errors, version and health."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse

from kaiun.server import (
    account,
    applications,
    appresources,
    appsource,
    badge,
    certificates,
    clusters,
    dexproxy,
    metrics,
    projects,
    projroles,
    repocharts,
    repositories,
    session,
    settings,
    sso,
    stream,
    webhook,
)
from kaiun.server import imageupdater as imageupdater_api
from kaiun.server.context import ServerContext
from kaiun.server.errors import ApiError, InvalidArgument, UnsupportedMediaType

log = logging.getLogger(__name__)
_BODY_METHODS = ("POST", "PUT", "PATCH")


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
    app.include_router(projroles.router)
    app.include_router(session.router)
    app.include_router(account.router)
    app.include_router(settings.router)

    @app.middleware("http")
    async def _json_only(request: Request, call_next: Any) -> Any:
        # CSRF (GHSA-92mw-q256-5vwg): a cross-site form can send cookies with a text/plain
        # or form body, never with application/json; so writes must be JSON.
        # Webhooks are authenticated by their signatures, not cookies, and some providers
        # post forms.
        path = request.url.path
        if (
            request.method in _BODY_METHODS
            and path.startswith("/api/")
            and not path.startswith("/api/webhook")
            and not path.startswith("/api/dex/")  # Dex's own forms, with its own CSRF checks
        ):
            kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if kind != "application/json":
                err = UnsupportedMediaType("request body must be application/json")
                return JSONResponse(err.body(), status_code=err.status)
        return await call_next(request)

    app.include_router(repocharts.router)  # before the repository routes' {repo:path}
    app.include_router(repositories.router)
    app.include_router(webhook.router)
    app.include_router(clusters.router)
    app.include_router(certificates.router)
    app.include_router(appresources.router)
    app.include_router(appsource.router)
    app.include_router(badge.router)
    app.include_router(sso.router)
    app.include_router(dexproxy.router)
    sso.install(app)
    app.include_router(imageupdater_api.router)
    metrics.install(app)

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

    return app


def _describe_validation(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        parts.append(f"{where}: {err.get('msg', 'invalid')}" if where else str(err.get("msg")))
    return "invalid request: " + "; ".join(parts)
