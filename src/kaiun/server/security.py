"""Who is calling and what they may do: the seam between the API server and ``kaiun.auth``.

Handlers never look at tokens themselves; they ask ``Security`` for the caller and call
``require`` with the RBAC resource/action/object Argo CD uses for that endpoint.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from kaiun.server.errors import Unauthenticated, permission_denied


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: the token's subject, its groups and raw claims."""

    subject: str
    groups: tuple[str, ...] = ()
    claims: Mapping[str, Any] = field(default_factory=dict)


class Security(Protocol):
    """Authentication and RBAC, provided by ``kaiun.auth`` (or a test double in tests)."""

    async def authenticate(self, token: str) -> Caller | None:
        """The caller a bearer token or session cookie value stands for; None if invalid."""
        ...

    def enforce(self, caller: Caller | None, resource: str, action: str, obj: str) -> bool:
        """Whether ``caller`` (None: anonymous) may do ``action`` on ``resource`` ``obj``."""
        ...


def bearer_token(authorization: str | None, cookie: str | None) -> str:
    """The token from ``Authorization: Bearer`` or Argo CD's ``argocd.token`` cookie."""
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    return cookie or ""


async def identify(security: Security, authorization: str | None, cookie: str | None) -> Caller:
    """The caller of a request; 401 when there is no valid token."""
    token = bearer_token(authorization, cookie)
    caller = await security.authenticate(token) if token else None
    if caller is None:
        raise Unauthenticated("no session information" if not token else "invalid session")
    return caller


def require(security: Security, caller: Caller, resource: str, action: str, obj: str) -> None:
    """Raise Argo CD's ``permission denied`` unless the caller may act."""
    if not security.enforce(caller, resource, action, obj):
        raise permission_denied(resource, action, obj)
