"""``/api/v1/stream/applications``: live Application changes as Server-Sent Events.

Each event is Argo CD's ``ApplicationWatchEvent`` wrapped as its gateway streams it:
``data: {"result": {"type": "ADDED|MODIFIED|DELETED", "application": {...}}}``. Current
applications come first as ``ADDED``; every event is filtered by the caller's RBAC.
All subscribers share one cluster watch (``kaiun.server.watchhub``); a stream ends once its
caller's token stops being valid (logout, revocation, expiry).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Cookie, Header, Query
from fastapi.responses import StreamingResponse

from kaiun.kube import errors as kerrors
from kaiun.server.applications import API_VERSION, KIND, Ctx, Who, rbac_object
from kaiun.server.context import ServerContext
from kaiun.server.fields import select_fields
from kaiun.server.security import Caller, bearer_token
from kaiun.server.watchhub import CLOSED, WatchHub

router = APIRouter(prefix="/api/v1/stream", tags=["ApplicationService"])
RECHECK_SECONDS = 5.0
_ENDED = b'data: {"error": {"code": 16, "message": "session ended: log in again"}}\n\n'


@router.get("/applications")
async def watch_applications(
    ctx: Ctx,
    caller: Who,
    name: str | None = None,
    projects: Annotated[list[str] | None, Query()] = None,
    fields: str | None = None,
    authorization: Annotated[str | None, Header()] = None,
    argocd_token: Annotated[str | None, Cookie(alias="argocd.token")] = None,
) -> StreamingResponse:
    """Stream application changes the caller may see (SSE) while its token stays valid;
    ``fields`` (e.g. ``result.type,result.application.metadata.name``) trims each event."""
    wanted = AppFilter(name=name, projects=frozenset(projects or ()))
    session = Session(ctx, caller, bearer_token(authorization, argocd_token))
    return StreamingResponse(
        _events(ctx, session, wanted, ctx.hub, fields),
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


class Session:
    """The subscriber's identity, re-checked at most every ``RECHECK_SECONDS`` while events
    flow, so a revoked or expired token stops receiving them (the class of
    GHSA-c8xw-vjgf-94hr: a long-lived connection outliving its token)."""

    def __init__(self, ctx: ServerContext, caller: Caller, token: str) -> None:
        self.ctx = ctx
        self.initial = caller
        self.caller: Caller | None = caller
        self.token = token
        self._checked = time.monotonic()

    async def current(self) -> Caller | None:
        """The caller now, or None once its token is no longer accepted."""
        if self.caller is not None and time.monotonic() - self._checked >= RECHECK_SECONDS:
            self._checked = time.monotonic()
            self.caller = await self.ctx.security.authenticate(self.token)
        return self.caller


def _event(kind: str, app: dict[str, Any], fields: str | None = None) -> bytes:
    event: dict[str, Any] = {"result": {"type": kind, "application": app}}
    if fields:
        # The type is always kept: a trimmed event must still say what happened.
        event = select_fields(event, fields)
        event.setdefault("result", {})["type"] = kind
    return b"data: " + orjson.dumps(event) + b"\n\n"


async def _events(
    ctx: ServerContext,
    session: Session,
    wanted: AppFilter,
    hub: WatchHub,
    fields: str | None = None,
) -> AsyncIterator[bytes]:
    caller = session.initial

    def visible(app: dict[str, Any]) -> bool:
        return wanted.matches(app) and ctx.security.enforce(
            caller, "applications", "get", rbac_object(app)
        )

    # The snapshot comes from the cache the hub's watch keeps; subscribing and reading it
    # happen with no await between, so every later change arrives as an event, none twice.
    cache = await hub.ready_cache()
    if cache is not None:
        queue = hub.subscribe()
        snapshot = cache.items()
    else:
        # The first list has not completed in time: list here, as before the cache.
        queue = hub.subscribe()
        try:
            snapshot = (await ctx.client.list(API_VERSION, KIND, ctx.namespace)).items
        except kerrors.KubeError:
            hub.unsubscribe(queue)
            yield b'data: {"error": {"message": "cluster API unavailable"}}\n\n'
            return
    try:
        for app in snapshot:
            if visible(app):
                yield _event("ADDED", app, fields)
        while True:
            event = await queue.get()
            if event is CLOSED:
                return
            current = await session.current()
            if current is None:
                yield _ENDED
                return
            caller = current
            obj = event.get("object") or {}
            if visible(obj):
                yield _event(str(event.get("type")), obj, fields)
    finally:
        hub.unsubscribe(queue)
