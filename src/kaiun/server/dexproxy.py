"""``/api/dex/*``: the reverse proxy to an external Dex (``kaiun server --dex-server URL``),
as Argo CD's server proxies its bundled Dex, so that Dex's issuer is ``URL/api/dex`` on this
server's own address and browsers reach Dex's login pages and callback through it.

Dex authenticates its own requests (forms with its CSRF protection, client secrets), so the
JSON-only rule for ``/api/`` writes does not apply here. Hop-by-hop headers are dropped;
redirects are passed back to the browser, not followed.
"""

from __future__ import annotations

import logging

import httpx
from fastapi import APIRouter, Request, Response

from kaiun.server.applications import Ctx
from kaiun.server.errors import NotFound, Unavailable
from kaiun.server.session import auth_of
from kaiun.settings.oidc import DEX_PATH

log = logging.getLogger(__name__)
router = APIRouter(tags=["Dex"])

_HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
    "transfer-encoding", "upgrade", "host", "content-length", "content-encoding",
}  # fmt: skip
_MAX_BODY = 1 << 20


@router.api_route(
    DEX_PATH + "/{path:path}", methods=["GET", "POST", "HEAD"], include_in_schema=False
)
async def dex(ctx: Ctx, request: Request, path: str) -> Response:
    """Forward the request to the Dex server; 404 when this server has none."""
    security = auth_of(ctx)
    if not security.dex_server:
        raise NotFound("no Dex server is configured (kaiun server --dex-server)")
    body = await request.body()
    if len(body) > _MAX_BODY:
        raise NotFound("request too large for Dex")
    url = f"{security.dex_server.rstrip('/')}{DEX_PATH}/{path}"
    headers = {
        k: v
        for k, v in request.headers.items()
        if k.lower() not in _HOP_BY_HOP and k.lower() not in ("cookie", "authorization")
    }
    # Dex gets its own cookies, never this server's session token.
    cookies = [c for c in request.headers.get("cookie", "").split(";") if c.strip()]
    kept = [c.strip() for c in cookies if not c.strip().startswith("argocd.")]
    if kept:
        headers["Cookie"] = "; ".join(kept)
    headers["X-Forwarded-Host"] = request.headers.get("host", "")
    headers["X-Forwarded-Proto"] = request.url.scheme
    try:
        async with httpx.AsyncClient(timeout=30, follow_redirects=False) as client:
            upstream = await client.request(
                request.method, url, params=request.query_params, content=body, headers=headers
            )
    except httpx.HTTPError as exc:
        log.warning("Dex server unreachable: %s", type(exc).__name__)
        raise Unavailable("the Dex server cannot be reached") from exc
    response = Response(upstream.content, status_code=upstream.status_code)
    for key, value in upstream.headers.multi_items():
        if key.lower() not in _HOP_BY_HOP:
            response.headers.append(key, value)
    return response
