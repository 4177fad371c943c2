"""``/api/v1/session``: Argo CD's session service — log in with a username and password
(a JWT in the body and the ``argocd.token`` cookie), log out (the token's id is revoked
until it would expire), and who the caller is.

Every refused login is the same 401 "Invalid username or password", whatever the reason,
so a caller cannot tell which accounts exist or are locked out.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Cookie, Depends, Header, Request, Response
from pydantic import BaseModel, ConfigDict

from kaiun import auth
from kaiun.server.applications import Ctx, Who
from kaiun.server.authn import AuthSecurity
from kaiun.server.context import ServerContext, context_of
from kaiun.server.errors import Unauthenticated, Unavailable
from kaiun.server.security import Caller, bearer_token

COOKIE = "argocd.token"
router = APIRouter(prefix="/api/v1/session", tags=["SessionService"])


def auth_of(ctx: ServerContext) -> AuthSecurity:
    """The server's AuthSecurity; 503 when it runs with another Security (tests)."""
    if not isinstance(ctx.security, AuthSecurity):
        raise Unavailable("accounts and sessions need kaiun.auth security on this server")
    return ctx.security


class SessionCreateRequest(BaseModel):
    """Argo CD's ``SessionCreateRequest``: a username and password, or an SSO ``token``."""

    model_config = ConfigDict(extra="ignore")
    username: str = ""
    password: str = ""
    token: str | None = None


def _set_cookie(response: Response, request: Request, token: str, max_age: int | None) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


@router.post("")
async def create_session(
    ctx: Ctx, request: Request, response: Response, body: SessionCreateRequest
) -> dict[str, str]:
    """Log in with a local account: ``{"token": JWT}``, also set as the session cookie."""
    security = auth_of(ctx)
    if body.token:
        # As Argo CD: an SSO ID token (or a session token) is verified in full and becomes
        # the session cookie as it is.
        caller = await security.authenticate(body.token)
        if caller is None or caller.anonymous:
            raise Unauthenticated("invalid session token")
        exp = caller.claims.get("exp")
        left = int(exp - security.now()) if isinstance(exp, int | float) else None
        _set_cookie(response, request, body.token, left)
        return {"token": body.token}
    if not body.username or not body.password:
        raise Unauthenticated("Invalid username or password")
    await security.refresh()
    seconds = security.session_seconds()
    try:
        token = await security.store.login(
            body.username, body.password, throttle=security.throttle, expires_in=seconds
        )
    except auth.LoginThrottled as exc:
        raise Unauthenticated(str(exc)) from exc
    except auth.InvalidLogin as exc:
        raise Unauthenticated("Invalid username or password") from exc
    _set_cookie(response, request, token, seconds)
    return {"token": token}


async def optional_caller(
    ctx: Annotated[ServerContext, Depends(context_of)],
    authorization: Annotated[str | None, Header()] = None,
    argocd_token: Annotated[str | None, Cookie(alias=COOKIE)] = None,
) -> Caller | None:
    """The caller, anonymous or None when no valid token is presented (FastAPI dependency)."""
    token = bearer_token(authorization, argocd_token)
    return await ctx.security.authenticate(token)


@router.delete("")
async def delete_session(
    ctx: Ctx, caller: Who, request: Request, response: Response
) -> dict[str, str]:
    """Log out: the presented session token stops working and the cookie is cleared."""
    security = auth_of(ctx)
    token_id = caller.claims.get("jti")
    if isinstance(token_id, str) and token_id:
        exp = caller.claims.get("exp")
        await security.revoke(token_id, float(exp) if isinstance(exp, int) else None)
    # An SSO token may be split over argocd.token-1, -2... (see kaiun.server.sso).
    for name in [COOKIE, *(k for k in request.cookies if k.startswith(COOKIE + "-"))]:
        response.delete_cookie(
            name, path="/", httponly=True, samesite="lax", secure=request.url.scheme == "https"
        )
    return {"token": ""}


@router.get("/userinfo")
async def user_info(
    caller: Annotated[Caller | None, Depends(optional_caller)],
) -> dict[str, Any]:
    """Argo CD's ``GetUserInfoResponse``: ``loggedIn``, ``username``, ``iss``, ``groups``."""
    if caller is None or caller.anonymous:
        return {"loggedIn": False}
    return {
        "loggedIn": True,
        "username": caller.subject,
        "iss": str(caller.claims.get("iss", "")),
        "groups": list(caller.groups),
    }
