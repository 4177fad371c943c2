"""``/auth/login``, ``/auth/callback`` and ``/auth/logout``: SSO in the browser, as Argo CD's
server does it (authorization code + PKCE, the ID token becomes the ``argocd.token`` cookie).

``/auth/login`` seals a fresh state, nonce and PKCE verifier into the ``argocd.oauthstate``
cookie and redirects to the provider. ``/auth/callback`` accepts the code only with that
cookie and the matching state, exchanges it with the verifier (and the client secret),
verifies the ID token (JWKS signature, issuer, audience, expiry, nonce) and sets it as the
session cookie. ``return_url`` must be on this server (argocd-cm ``url`` or
``additionalUrls``); anything else is refused (no open redirect). Errors are JSON with a
fixed message: nothing from the query string is echoed back (GHSA-pmjg-52h9-72qv).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import urljoin, urlsplit

import yaml
from fastapi import APIRouter, Cookie, FastAPI, Query, Request
from fastapi.responses import RedirectResponse

from kaiun import auth
from kaiun.auth.loginstate import LOGIN_STATE_SECONDS, LoginStateError
from kaiun.auth.oidc import OIDCError, new_login
from kaiun.server.applications import Ctx
from kaiun.server.authn import AuthSecurity
from kaiun.server.errors import InvalidArgument, Unauthenticated, Unavailable
from kaiun.server.security import bearer_token
from kaiun.server.session import COOKIE, auth_of

log = logging.getLogger(__name__)
router = APIRouter(tags=["SSO"])

STATE_COOKIE = "argocd.oauthstate"
CALLBACK_PATH = "/auth/callback"
_ERROR_CODE = re.compile(r"^[a-z_]{1,64}$")
# Browsers keep ~4 KiB per cookie; a provider's ID token with many groups is larger. As
# Argo CD: ``argocd.token=N:PART0``, ``argocd.token-1=PART1``, ... up to 20 cookies.
_CHUNK = 3800
_MAX_CHUNKS = 20


def split_token(token: str) -> list[tuple[str, str]]:
    """The (name, value) cookies that carry ``token``."""
    parts = [token[i : i + _CHUNK] for i in range(0, len(token), _CHUNK)] or [""]
    if len(parts) == 1:
        return [(COOKIE, token)]
    if len(parts) > _MAX_CHUNKS:
        raise Unauthenticated(
            f"the ID token is {len(token)} characters long and needs more than "
            f"{_MAX_CHUNKS} cookies: ask the provider for fewer claims (groups)"
        )
    first = (COOKIE, f"{len(parts)}:{parts[0]}")
    return [first, *((f"{COOKIE}-{i}", part) for i, part in enumerate(parts[1:], start=1))]


def join_token(cookies: Mapping[str, str]) -> str | None:
    """The token split over ``argocd.token`` and its ``-N`` companions, or None when the
    cookie is not split (or incomplete)."""
    head = cookies.get(COOKIE, "")
    count, sep, first = head.partition(":")
    if not sep or not count.isdigit() or not 1 < int(count) <= _MAX_CHUNKS:
        return None
    rest = [cookies.get(f"{COOKIE}-{i}") for i in range(1, int(count))]
    if any(part is None for part in rest):
        return None
    return first + "".join(part or "" for part in rest)


def install(app: FastAPI) -> None:
    """Join a split session cookie before any route reads ``argocd.token``."""

    @app.middleware("http")
    async def _join_session_cookie(request: Request, call_next: Any) -> Any:
        joined = join_token(request.cookies) if ":" in request.cookies.get(COOKIE, "") else None
        if joined is not None:
            others = [f"{k}={v}" for k, v in request.cookies.items() if k != COOKIE]
            value = "; ".join([*others, f"{COOKIE}={joined}"]).encode("latin-1")
            headers = [(k, v) for k, v in request.scope["headers"] if k != b"cookie"]
            request.scope["headers"] = [*headers, (b"cookie", value)]
        return await call_next(request)


def external_url(security: AuthSecurity, request: Request) -> str:
    """This server's external URL: argocd-cm ``url``, else the URL the request came to."""
    configured = (security.settings.get("url") or "").strip().rstrip("/")
    return configured or str(request.base_url).rstrip("/")


def _allowed_bases(security: AuthSecurity, base: str) -> list[str]:
    bases = [base]
    try:
        extra = yaml.safe_load(security.settings.get("additionalUrls") or "") or []
    except yaml.YAMLError:
        extra = []
    if isinstance(extra, list):
        bases += [str(u).rstrip("/") for u in extra if isinstance(u, str)]
    return bases


def safe_return_url(value: str, bases: list[str]) -> str | None:
    """``value`` as an absolute URL on one of ``bases`` (same scheme, host, port and within
    its path), or None. A relative path is taken against the first base."""
    if not value:
        return bases[0] + "/"
    if any(c in value for c in "\r\n\t\\") or any(ord(c) < 0x20 for c in value):
        return None
    if value.startswith("/") and not value.startswith("//"):
        value = bases[0] + value
    target = urlsplit(value)
    for base in bases:
        allowed = urlsplit(base)
        if (target.scheme, target.netloc) != (allowed.scheme, allowed.netloc):
            continue
        root = allowed.path.rstrip("/")
        path = target.path or "/"
        if path == root or path.startswith(root + "/") or (not root and path.startswith("/")):
            return value
    return None


def _cookie_kwargs(request: Request) -> dict[str, object]:
    return {"path": "/", "httponly": True, "samesite": "lax",
            "secure": request.url.scheme == "https"}  # fmt: skip


@router.get("/auth/login", include_in_schema=False)
async def login(
    ctx: Ctx, request: Request, return_url: Annotated[str, Query()] = ""
) -> RedirectResponse:
    """Start an SSO login: redirect to the identity provider."""
    security = auth_of(ctx)
    await security.refresh()
    base = external_url(security, request)
    target = safe_return_url(return_url, _allowed_bases(security, base))
    if target is None:
        raise InvalidArgument(
            "invalid return_url: it must be on this server (argocd-cm url or additionalUrls)"
        )
    try:
        provider = security.sso_provider()
        sealer = security.login_states()
        attempt = new_login()
        location = await provider.authorization_url(attempt, base + CALLBACK_PATH)
    except OIDCError as exc:
        log.warning("SSO login cannot start: %s", exc)
        raise Unavailable(str(exc)) from exc
    response = RedirectResponse(location, status_code=303)
    response.set_cookie(
        STATE_COOKIE, sealer.seal(attempt, target), max_age=LOGIN_STATE_SECONDS,
        **_cookie_kwargs(request),  # type: ignore[arg-type]
    )  # fmt: skip
    return response


@router.get("/auth/callback", include_in_schema=False)
async def callback(
    ctx: Ctx,
    request: Request,
    code: Annotated[str, Query()] = "",
    state: Annotated[str, Query()] = "",
    error: Annotated[str, Query()] = "",
    oauthstate: Annotated[str | None, Cookie(alias=STATE_COOKIE)] = None,
) -> RedirectResponse:
    """Finish an SSO login: the ID token becomes the session cookie."""
    security = auth_of(ctx)
    await security.refresh()
    if error:
        reason = error if _ERROR_CODE.match(error) else "error"
        raise Unauthenticated(f"the identity provider did not log you in: {reason}")
    if not code:
        raise InvalidArgument("the callback has no authorization code")
    try:
        pending = security.login_states().open(oauthstate, state)
        provider = security.sso_provider()
        base = external_url(security, request)
        tokens = await provider.exchange(
            code, redirect_uri=base + CALLBACK_PATH, verifier=pending.login.verifier
        )
        id_token = str(tokens["id_token"])
        claims = await provider.verify(id_token, nonce=pending.login.nonce)
    except LoginStateError as exc:
        raise Unauthenticated(f"SSO login refused: {exc}") from exc
    except auth.InvalidToken as exc:
        log.warning("SSO login refused: %s", exc)
        raise Unauthenticated(f"SSO login refused: {exc}") from exc
    except OIDCError as exc:
        log.warning("SSO login failed: %s", exc)
        raise Unauthenticated(f"SSO login failed: {exc}") from exc
    log.info("SSO login of %s", auth.subject_of(claims))
    response = RedirectResponse(pending.return_url, status_code=303)
    max_age = max(1, int(claims["exp"]) - int(security.now()))
    for name, value in split_token(id_token):
        response.set_cookie(name, value, max_age=max_age, **_cookie_kwargs(request))  # type: ignore[arg-type]
    response.delete_cookie(STATE_COOKIE, **_cookie_kwargs(request))  # type: ignore[arg-type]
    return response


@router.get("/auth/logout", include_in_schema=False)
async def logout(
    ctx: Ctx,
    request: Request,
    argocd_token: Annotated[str | None, Cookie(alias=COOKIE)] = None,
) -> RedirectResponse:
    """End the browser's session and go to the provider's ``logoutURL`` (if configured)."""
    chunks = [k for k in request.cookies if k.startswith(COOKIE + "-")]
    security = auth_of(ctx)
    token = bearer_token(None, argocd_token)
    caller = await security.authenticate(token) if token else None
    if caller is not None and not caller.anonymous:
        jti, exp = caller.claims.get("jti"), caller.claims.get("exp")
        if isinstance(jti, str) and jti:
            await security.revoke(jti, float(exp) if isinstance(exp, int | float) else None)
    base = external_url(security, request)
    target = base + "/login"
    sso = security.sso
    if sso is not None and sso.logout_url and token:
        target = sso.logout_url.replace("{{token}}", token).replace(
            "{{logoutRedirectURL}}", base + "/login"
        )
    response = RedirectResponse(urljoin(base + "/", target), status_code=303)
    for name in [COOKIE, *chunks]:
        response.delete_cookie(name, **_cookie_kwargs(request))  # type: ignore[arg-type]
    return response
