"""``/api/v1/account``: Argo CD's account service — local accounts, password change,
``can-i`` and API tokens.

RBAC as in Argo CD: ``accounts, get, NAME`` to see an account (everyone sees their own),
``accounts, update, NAME`` to change another account's password or to create or delete
any account's tokens. No response carries a password hash or a token record's secret: a
token is returned once, when it is created.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict

from kaiun import auth
from kaiun.server.applications import Ctx, Who
from kaiun.server.authn import AuthSecurity
from kaiun.server.errors import InvalidArgument, NotFound, PermissionDenied
from kaiun.server.security import Caller, require
from kaiun.server.session import auth_of
from kaiun.settings.accounts import Account
from kaiun.settings.rbac import RESOURCES

router = APIRouter(prefix="/api/v1/account", tags=["AccountService"])


class UpdatePasswordRequest(BaseModel):
    """Argo CD's ``UpdatePasswordRequest``."""

    model_config = ConfigDict(extra="ignore")
    newPassword: str
    currentPassword: str
    name: str = ""


class CreateTokenRequest(BaseModel):
    """Argo CD's ``CreateTokenRequest``: ``expiresIn`` seconds (0: never), optional ``id``."""

    model_config = ConfigDict(extra="ignore")
    name: str = ""
    expiresIn: int = 0
    id: str = ""


def _local_user(caller: Caller) -> str:
    """The local account a caller's token was issued to ("" for project tokens)."""
    sub = str(caller.claims.get("sub", ""))
    if caller.anonymous or caller.claims.get("iss") != auth.ISSUER or sub.startswith("proj:"):
        return ""
    return caller.subject


def _may(security: AuthSecurity, caller: Caller, action: str, name: str) -> bool:
    if action == "get" and _local_user(caller) == name:
        return True
    return security.enforce(caller, "accounts", action, name)


def _shape(account: Account) -> dict[str, Any]:
    """Argo CD's ``Account`` message."""
    # int64 fields travel as strings on Argo CD's gateway.
    tokens = [
        {"id": t.id, "issuedAt": str(t.issued_at)}
        | ({"expiresAt": str(t.expires_at)} if t.expires_at else {})
        for t in account.tokens
    ]
    return {
        "name": account.name,
        "enabled": account.enabled,
        "capabilities": list(account.capabilities),
        "tokens": tokens,
    }


async def _account(security: AuthSecurity, caller: Caller, name: str, action: str) -> Account:
    if not _may(security, caller, action, name):
        # The same answer whether or not the account exists.
        raise PermissionDenied(f"permission denied: accounts, {action}, {name}")
    await security.refresh(force=True)
    found = security.accounts.get(name)
    if found is None:
        raise NotFound(f"account '{name}' does not exist")
    return found


@router.get("")
async def list_accounts(ctx: Ctx, caller: Who) -> dict[str, Any]:
    """The accounts the caller may see."""
    security = auth_of(ctx)
    await security.refresh()
    items = [
        _shape(a)
        for name, a in sorted(security.accounts.items())
        if _may(security, caller, "get", name)
    ]
    return {"items": items}


@router.get("/can-i/{resource}/{action}/{subresource:path}")
async def can_i(
    ctx: Ctx, caller: Who, resource: str, action: str, subresource: str
) -> dict[str, str]:
    """``{"value": "yes"|"no"}``: whether the caller may do ``action`` on ``resource``."""
    if resource not in RESOURCES:
        raise InvalidArgument(f"unknown resource {resource!r}: one of {', '.join(RESOURCES)}")
    allowed = ctx.security.enforce(caller, resource, action, subresource)
    return {"value": "yes" if allowed else "no"}


@router.put("/password")
async def update_password(ctx: Ctx, caller: Who, body: UpdatePasswordRequest) -> dict[str, Any]:
    """Change a local account's password; the caller's current password is required."""
    security = auth_of(ctx)
    me = _local_user(caller)
    if not me:
        raise InvalidArgument("password can only be changed for local users")
    target = body.name or me
    if target != me:
        require(security, caller, "accounts", "update", target)
    try:
        await security.store.update_password(
            target, new_password=body.newPassword, current_password=body.currentPassword,
            actor=me, throttle=security.throttle,
        )  # fmt: skip
    except auth.AccountError as exc:
        raise InvalidArgument(str(exc)) from exc
    security.invalidate()
    return {}


@router.get("/{name}")
async def get_account(
    ctx: Ctx, caller: Who, name: Annotated[str, Path(max_length=64)]
) -> dict[str, Any]:
    """One account."""
    security = auth_of(ctx)
    return _shape(await _account(security, caller, name, "get"))


@router.post("/{name}/token")
async def create_token(
    ctx: Ctx, caller: Who, name: str, body: CreateTokenRequest | None = None
) -> dict[str, str]:
    """A new API token for an account with ``apiKey`` (returned only this once)."""
    security = auth_of(ctx)
    request = body or CreateTokenRequest()
    if request.expiresIn < 0:
        raise InvalidArgument("expiresIn must be 0 (never) or a number of seconds")
    await _account(security, caller, name, "update")
    try:
        token = await security.store.create_token(
            name, expires_in=request.expiresIn, token_id=request.id or None
        )
    except auth.AccountError as exc:
        raise InvalidArgument(str(exc)) from exc
    security.invalidate()
    return {"token": token}


@router.delete("/{name}/token/{token_id}")
async def delete_token(ctx: Ctx, caller: Who, name: str, token_id: str) -> dict[str, Any]:
    """Revoke one of an account's API tokens."""
    security = auth_of(ctx)
    await _account(security, caller, name, "update")
    try:
        await security.store.delete_token(name, token_id)
    except auth.AccountError as exc:
        raise NotFound(str(exc)) from exc
    security.invalidate()
    return {}
