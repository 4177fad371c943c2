"""``/api/badge``: an SVG status badge of one application (health and sync status).

Off unless ``statusbadge.enabled: "true"`` in argocd-cm; unauthenticated when on, as in
Argo CD. Every text drawn is XML-escaped and no link is ever rendered, so an application
name or revision cannot inject markup or a ``javascript:`` URL.
"""

from __future__ import annotations

from html import escape
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from kaiun.kube import errors as kerrors
from kaiun.server.applications import API_VERSION, KIND
from kaiun.server.context import context_of

router = APIRouter(tags=["Badge"])

COLORS = {
    "Healthy": "#18be52",
    "Synced": "#18be52",
    "Progressing": "#0dadea",
    "Degraded": "#E96D76",
    "Missing": "#f4c030",
    "OutOfSync": "#f4c030",
    "Suspended": "#766f94",
}
GREY = "#CCD6DD"
CHAR_WIDTH = 7


def render(parts: list[tuple[str, str]]) -> str:
    """A flat SVG badge of ``(text, colour)`` segments, texts escaped."""
    x = 0
    rects, texts = [], []
    for text, color in parts:
        width = 10 + CHAR_WIDTH * len(text)
        rects.append(f'<rect x="{x}" width="{width}" height="20" fill="{escape(color)}"/>')
        texts.append(
            f'<text x="{x + width / 2:.1f}" y="14" text-anchor="middle">{escape(text)}</text>'
        )
        x += width
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{x}" height="20" role="img">'
        f"{''.join(rects)}"
        '<g fill="#fff" font-family="DejaVu Sans,Verdana,Geneva,sans-serif" font-size="11">'
        f"{''.join(texts)}</g></svg>"
    )


def _svg(body: str) -> Response:
    return Response(
        body,
        media_type="image/svg+xml",
        headers={"Cache-Control": "private, no-store", "Access-Control-Allow-Origin": "*"},
    )


@router.get("/api/badge")
async def badge(
    request: Request,
    name: Annotated[str, Query(max_length=253)] = "",
    revision: bool = False,
    showAppName: bool = False,
    keepFullRevision: bool = False,
) -> Response:
    """The badge of application ``name`` (``revision``: add the synced revision)."""
    ctx = context_of(request)
    try:
        cm = await ctx.client.get("v1", "ConfigMap", "argocd-cm", ctx.namespace)
        enabled = (cm.get("data") or {}).get("statusbadge.enabled") == "true"
    except kerrors.KubeError:
        enabled = False
    if not enabled:
        return _svg(render([("status badge", GREY), ("disabled", GREY)]))
    app = None
    if name:
        try:
            app = await ctx.client.get(API_VERSION, KIND, name, ctx.namespace)
        except kerrors.KubeError:
            app = None
    if app is None:
        return _svg(render([("application", GREY), ("Not Found", GREY)]))
    status = app.get("status") or {}
    health = str((status.get("health") or {}).get("status") or "Unknown")
    sync = status.get("sync") or {}
    sync_status = str(sync.get("status") or "Unknown")
    parts = [(health, COLORS.get(health, GREY)), (sync_status, COLORS.get(sync_status, GREY))]
    if showAppName:
        parts.insert(0, (name, "#5d5d5d"))
    rev = str(sync.get("revision") or "")
    if revision and rev:
        parts.append((rev if keepFullRevision else rev[:7], "#5d5d5d"))
    return _svg(render(parts))
