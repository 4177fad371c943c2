"""Mount the UI on an API server's FastAPI app: ``/assets/*`` and the HTML shell routes.

The shell of ``/applications`` (and of one application's page) is rendered with the
caller's ``argocd.token`` cookie from the same Kubernetes read and RBAC the API uses; both
come from the app's ``state.ctx`` (the server's context), so ui never imports the server.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Protocol

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from kaiun.kube import KubeClient
from kaiun.kube import errors as kerrors
from kaiun.ui import shell
from kaiun.ui.security import SecurityHeaders

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
TOKEN_COOKIE = "argocd.token"
API_VERSION = "argoproj.io/v1alpha1"
KIND = "Application"

# Served types: anything else under static/ is not served (no guessing, nosniff).
CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".json": "application/json",
}


class _Security(Protocol):
    async def authenticate(self, token: str) -> Any | None: ...

    def enforce(self, caller: Any, resource: str, action: str, obj: str) -> bool: ...


class _Apps(Protocol):
    def items(self) -> list[dict[str, Any]]: ...

    def get(self, name: str) -> dict[str, Any] | None: ...


class _Hub(Protocol):
    async def ready_cache(self) -> _Apps | None: ...


class _Context(Protocol):
    """The part of the API server's context the UI reads (structurally typed)."""

    @property
    def client(self) -> KubeClient: ...

    @property
    def namespace(self) -> str: ...

    @property
    def security(self) -> _Security: ...


def stylesheets(static: Path = STATIC) -> list[str]:
    """``base.css`` first, then every other ``css/*.css`` sorted by name."""
    names = sorted(p.name for p in (static / "css").glob("*.css"))
    ordered = (["base.css"] if "base.css" in names else []) + [n for n in names if n != "base.css"]
    return [f"/assets/css/{n}" for n in ordered]


router = APIRouter(include_in_schema=False)


def mount(app: FastAPI) -> None:
    """Add the UI's routes and security headers to ``app`` (whose ``state.ctx`` is the
    API server's context)."""
    app.state.ui_stylesheets = stylesheets()
    app.add_middleware(SecurityHeaders)
    app.include_router(router)


@router.get("/assets/{path:path}")
async def asset(path: str) -> Response:
    target = _static_file(path)
    if target is None:
        return Response("not found", status_code=404, media_type="text/plain")
    return Response(
        target.read_bytes(),
        media_type=CONTENT_TYPES[target.suffix],
        headers={"Cache-Control": "no-cache"},
    )


async def _render(request: Request, title: str, content: str | None = None) -> HTMLResponse:
    caller = await _caller(request)
    body = content or ""
    if caller is None and not body and request.url.path != "/login":
        body = shell.login_hint()
    html = shell.page(
        title=title,
        stylesheets=request.app.state.ui_stylesheets,
        content=body,
        logged_in=caller is not None,
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


async def _caller(request: Request) -> Any | None:
    token = request.cookies.get(TOKEN_COOKIE, "")
    if not token:
        return None
    return await _ctx(request).security.authenticate(token)


@router.get("/")
async def home(request: Request) -> HTMLResponse:
    return await _render(request, "Applications", await _ssr_list(request))


@router.get("/login")
async def login(request: Request) -> HTMLResponse:
    return await _render(request, "Log in", "<h1>Log in</h1>")


@router.get("/applications")
async def applications(request: Request) -> HTMLResponse:
    return await _render(request, "Applications", await _ssr_list(request))


@router.get("/applications/{ns}/{name}")
async def application(request: Request, ns: str, name: str) -> HTMLResponse:
    return await _render(request, name, await _ssr_app(request, ns, name))


@router.get("/applications/{rest:path}")
async def applications_other(request: Request, rest: str) -> HTMLResponse:
    return await _render(request, "Applications")


@router.get("/settings")
async def settings(request: Request) -> HTMLResponse:
    return await _render(request, "Settings")


@router.get("/settings/{rest:path}")
async def settings_other(request: Request, rest: str) -> HTMLResponse:
    return await _render(request, "Settings")


@router.get("/user-info")
async def user_info(request: Request) -> HTMLResponse:
    return await _render(request, "User info")


async def _ssr_list(request: Request) -> str | None:
    """The caller's applications (those RBAC lets it get) as a plain table."""
    ctx = _ctx(request)
    caller = await _caller(request)
    if caller is None:
        return None
    cache = await _cache(ctx)
    if cache is not None:
        every = cache.items()
    else:
        try:
            listed = await ctx.client.list(API_VERSION, KIND, ctx.namespace)
        except kerrors.KubeError:
            return '<p class="error-banner">The cluster API is unavailable.</p>'
        every = sorted(listed.items, key=lambda a: a["metadata"]["name"])
    rows = [
        shell.AppRow.of(a)
        for a in every
        if ctx.security.enforce(caller, "applications", "get", _rbac_object(a))
    ]
    return "<h1>Applications</h1>" + shell.app_list(rows[: shell.SSR_LIMIT], len(rows))


async def _ssr_app(request: Request, ns: str, name: str) -> str | None:
    """One application's header, the same answer whether missing or forbidden."""
    ctx = _ctx(request)
    caller = await _caller(request)
    if caller is None:
        return None
    found = None
    cache = await _cache(ctx) if ns == ctx.namespace else None
    if cache is not None:
        found = cache.get(name)
    elif ns == ctx.namespace:
        try:
            found = await ctx.client.get(API_VERSION, KIND, name, ctx.namespace)
        except kerrors.KubeError:
            found = None
    if found is None or not ctx.security.enforce(
        caller, "applications", "get", _rbac_object(found)
    ):
        return '<p class="error-banner">Application not found or not permitted.</p>'
    return shell.app_summary(shell.AppRow.of(found))


async def _cache(ctx: _Context) -> _Apps | None:
    """The API server's Application cache (kaiun.server.appcache) once filled, if it has one."""
    hub: _Hub | None = getattr(ctx, "hub", None)
    return await hub.ready_cache() if hub is not None else None


def _ctx(request: Request) -> _Context:
    ctx: _Context = request.app.state.ctx
    return ctx


def _rbac_object(app: dict[str, Any]) -> str:
    project = (app.get("spec") or {}).get("project") or "default"
    return f"{project}/{app['metadata']['name']}"


def _static_file(path: str) -> Path | None:
    """The file under ``static/`` for ``path``; None for traversal, hidden files, folders
    and types that are not served."""
    parts = path.split("/")
    if not path or any(p in ("", ".", "..") or p.startswith(".") for p in parts):
        return None
    target = STATIC.joinpath(*parts)
    try:
        resolved = target.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not resolved.is_file() or STATIC.resolve() not in resolved.parents:
        return None
    if resolved.suffix not in CONTENT_TYPES:
        return None
    return resolved
