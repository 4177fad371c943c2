"""``/api/v1/stream/applications``: live Application changes as Server-Sent Events.

Each event is Argo CD's ``ApplicationWatchEvent`` wrapped as its gateway streams it:
``data: {"result": {"type": "ADDED|MODIFIED|DELETED", "application": {...}}}``. Current
applications come first as ``ADDED``; every event is filtered by the caller's RBAC.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from kaiun.kube import errors as kerrors
from kaiun.server.applications import API_VERSION, KIND, Ctx, Who, rbac_object
from kaiun.server.context import ServerContext
from kaiun.server.security import Caller

router = APIRouter(prefix="/api/v1/stream", tags=["ApplicationService"])


@router.get("/applications")
async def watch_applications(
    ctx: Ctx,
    caller: Who,
    name: str | None = None,
    projects: Annotated[list[str] | None, Query()] = None,
) -> StreamingResponse:
    """Stream application changes the caller may see (SSE)."""
    wanted = AppFilter(name=name, projects=frozenset(projects or ()))
    return StreamingResponse(
        _events(ctx, caller, wanted),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


class AppFilter:
    """Which applications a subscriber asked for."""

    def __init__(self, *, name: str | None, projects: frozenset[str]) -> None:
        self.name = name
        self.projects = projects

    def matches(self, app: dict[str, Any]) -> bool:
        """Whether ``app`` is one the subscriber wants."""
        if self.name and app["metadata"]["name"] != self.name:
            return False
        project = (app.get("spec") or {}).get("project") or "default"
        return not self.projects or project in self.projects


def _event(kind: str, app: dict[str, Any]) -> bytes:
    body = orjson.dumps({"result": {"type": kind, "application": app}})
    return b"data: " + body + b"\n\n"


async def _events(ctx: ServerContext, caller: Caller, wanted: AppFilter) -> AsyncIterator[bytes]:
    def visible(app: dict[str, Any]) -> bool:
        return wanted.matches(app) and ctx.security.enforce(
            caller, "applications", "get", rbac_object(app)
        )

    try:
        listed = await ctx.client.list(API_VERSION, KIND, ctx.namespace)
    except kerrors.KubeError:
        yield b'data: {"error": {"message": "cluster API unavailable"}}\n\n'
        return
    for app in listed.items:
        if visible(app):
            yield _event("ADDED", app)
    info = await ctx.client.info(API_VERSION, KIND)
    rv = listed.resource_version
    while True:
        try:
            async for event in ctx.client.watch(info, namespace=ctx.namespace, resource_version=rv):
                obj = event.get("object") or {}
                rv = (obj.get("metadata") or {}).get("resourceVersion", rv)
                if event.get("type") == "BOOKMARK":
                    yield b": keep-alive\n\n"
                    continue
                if visible(obj):
                    yield _event(str(event.get("type")), obj)
        except kerrors.Gone:
            # Too far behind: start over from a fresh list, as a client would relist.
            listed = await ctx.client.list(API_VERSION, KIND, ctx.namespace)
            rv = listed.resource_version
            for app in listed.items:
                if visible(app):
                    yield _event("MODIFIED", app)
        except kerrors.KubeError:
            yield b'data: {"error": {"message": "cluster API unavailable"}}\n\n'
            return
