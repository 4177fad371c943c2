"""Session and API tokens: HS256 JWTs signed with argocd-secret ``server.secretkey``, shaped as
Argo CD's (``iss: argocd``, ``sub``, ``iat``, ``nbf``, ``exp``, ``jti``), and their checks.

Subjects: ``NAME:login`` for a login session, ``NAME:apiKey`` for an account's API token (a
bare ``NAME`` is read as a login session), ``proj:PROJ:ROLE`` for a project role token.
A token is accepted only if its signature, algorithm, issuer, audience and times hold, its
account is enabled with the capability, its ``jti`` (if any) is still on record, and it was
issued no earlier than the account's last password change.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt

from kaiun.auth.errors import InvalidToken
from kaiun.settings.accounts import Account, AccountToken, Capability

__all__ = [
    "ISSUER",
    "Principal",
    "SessionManager",
    "generate_secret_key",
    "project_token_ids",
]

ISSUER = "argocd"
_ALGORITHM = "HS256"
_MIN_KEY_BYTES = 32


def generate_secret_key() -> bytes:
    """A fresh ``server.secretkey`` value (32 random bytes, URL-safe text)."""
    return secrets.token_urlsafe(32).encode()


@dataclass(frozen=True)
class Principal:
    """Who a verified token speaks for."""

    subject: str
    claims: Mapping[str, Any] = field(repr=False)
    account: str | None = None
    capability: Capability | None = None
    project: str | None = None
    role: str | None = None
    token_id: str | None = None


def _role_entries(project: Mapping[str, Any], role: str) -> list[Mapping[str, Any]]:
    spec = project.get("spec") or {}
    entries: list[Mapping[str, Any]] = []
    for r in spec.get("roles") or []:
        if isinstance(r, Mapping) and r.get("name") == role:
            entries += [t for t in r.get("jwtTokens") or [] if isinstance(t, Mapping)]
    by_role = (project.get("status") or {}).get("jwtTokensByRole") or {}
    entries += [t for t in (by_role.get(role) or {}).get("items") or [] if isinstance(t, Mapping)]
    return entries


def project_token_ids(project: Mapping[str, Any], role: str) -> list[tuple[str, int]]:
    """``(id, iat)`` of every token on record for a project role (spec and status)."""
    return [(str(t.get("id") or ""), int(t.get("iat") or 0)) for t in _role_entries(project, role)]


class SessionManager:
    """Creates and checks tokens with one signing key; ``clock`` gives epoch seconds."""

    def __init__(
        self, secret_key: bytes, *, clock: Callable[[], float] = time.time, issuer: str = ISSUER
    ) -> None:
        if len(secret_key) < _MIN_KEY_BYTES:
            raise ValueError("server.secretkey is missing or too short to sign tokens")
        self._key = secret_key
        self._clock = clock
        self.issuer = issuer

    def __repr__(self) -> str:
        return f"SessionManager(issuer={self.issuer!r})"

    def now(self) -> int:
        """The current time in whole epoch seconds."""
        return int(self._clock())

    def create(
        self,
        subject: str,
        *,
        expires_in: int = 0,
        token_id: str | None = None,
        issued_at: int | None = None,
    ) -> str:
        """A signed token for ``subject``; ``expires_in`` seconds (0: no expiry) and a
        ``jti`` (generated when None; pass "" for none)."""
        iat = self.now() if issued_at is None else issued_at
        claims: dict[str, Any] = {"iss": self.issuer, "sub": subject, "iat": iat, "nbf": iat}
        if expires_in > 0:
            claims["exp"] = iat + expires_in
        jti = str(uuid.uuid4()) if token_id is None else token_id
        if jti:
            claims["jti"] = jti
        return jwt.encode(claims, self._key, algorithm=_ALGORITHM)

    def token_record(self, token: str) -> AccountToken:
        """The ``{id, iat, exp}`` record to store for a token this manager created."""
        claims = self.parse(token)
        return AccountToken(
            str(claims.get("jti") or ""), int(claims["iat"]), int(claims.get("exp") or 0)
        )

    def parse(self, token: str, *, audience: str | None = None) -> dict[str, Any]:
        """The claims of a token signed by us; raises InvalidToken for any forged, expired,
        not-yet-valid, foreign-issuer or foreign-audience token."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key,
                algorithms=[_ALGORITHM],
                issuer=self.issuer,
                audience=audience,
                # Times are checked below against our clock, not PyJWT's.
                options={
                    "require": ["iss", "sub", "iat"],
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
        except jwt.InvalidTokenError as exc:
            raise InvalidToken(f"invalid token: {_reason(exc)}") from exc
        self._check_times(claims)
        return claims

    def _check_times(self, claims: Mapping[str, Any]) -> None:
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise InvalidToken("invalid token: sub is required")
        for name in ("iat", "nbf", "exp"):
            value = claims.get(name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise InvalidToken(f"invalid token: {name} must be a number of seconds")
        now = self.now()
        if claims["iat"] > now or claims.get("nbf", 0) > now:
            raise InvalidToken("invalid token: not valid yet")
        exp = claims.get("exp")
        if exp is not None and now >= exp:
            raise InvalidToken("token is expired: log in again")

    def verify(
        self,
        token: str,
        *,
        accounts: Mapping[str, Account],
        projects: Callable[[str], Mapping[str, Any] | None] | None = None,
        audience: str | None = None,
        revoked: Callable[[str], bool] | None = None,
    ) -> Principal:
        """Check a token completely: signature and times, then the account (or project role)
        it names, its capability, revocation and password changes. ``revoked`` says whether
        a ``jti`` was revoked elsewhere (logout)."""
        claims = self.parse(token, audience=audience)
        jti = claims.get("jti")
        if jti and revoked is not None and revoked(str(jti)):
            raise InvalidToken("token has been revoked: log in again")
        sub = str(claims["sub"])
        if sub.startswith("proj:"):
            return self._verify_project(claims, sub, projects)
        return self._verify_account(claims, sub, accounts)

    def _verify_account(
        self, claims: Mapping[str, Any], sub: str, accounts: Mapping[str, Account]
    ) -> Principal:
        name, _, cap = sub.partition(":")
        capability: Capability
        if cap in ("", "login"):
            capability = "login"
        elif cap == "apiKey":
            capability = "apiKey"
        else:
            raise InvalidToken("invalid token: unknown subject")
        account = accounts.get(name)
        if account is None or not account.enabled:
            raise InvalidToken(f"account {name} is disabled or does not exist")
        if not account.can(capability):
            raise InvalidToken(f"account {name} does not have the {capability} capability")
        iat = int(claims["iat"])
        jti = claims.get("jti")
        if capability == "apiKey":
            # API tokens live only while their record does: deleting it revokes them.
            record = account.token(str(jti or ""))
            if record is None:
                raise InvalidToken(f"account {name} has no token with this id: it was revoked")
            if record.expired(self.now()):
                raise InvalidToken("token is expired: generate a new one")
        mtime = account.password_mtime
        if mtime is not None and iat < int(mtime.timestamp()):
            raise InvalidToken("the account password has changed since the token was issued")
        return Principal(
            subject=name,
            claims=claims,
            account=name,
            capability=capability,
            token_id=str(jti) if jti else None,
        )

    def _verify_project(
        self,
        claims: Mapping[str, Any],
        sub: str,
        projects: Callable[[str], Mapping[str, Any] | None] | None,
    ) -> Principal:
        parts = sub.split(":")
        if len(parts) != 3 or not parts[1] or not parts[2]:
            raise InvalidToken("invalid token: malformed project role subject")
        _, project_name, role = parts
        project = projects(project_name) if projects else None
        if project is None:
            raise InvalidToken(f"project {project_name} does not exist")
        jti = str(claims.get("jti") or "")
        iat = int(claims["iat"])
        on_record = project_token_ids(project, role)
        valid = any(i == jti for i, _ in on_record) if jti else any(t == iat for _, t in on_record)
        if not valid:
            raise InvalidToken(f"project {project_name} role {role} token has been revoked")
        return Principal(
            subject=sub,
            claims=claims,
            project=project_name,
            role=role,
            token_id=jti or None,
        )


def _reason(exc: jwt.InvalidTokenError) -> str:
    if isinstance(exc, jwt.InvalidSignatureError):
        return "signature does not match"
    if isinstance(exc, jwt.InvalidAudienceError):
        return "wrong audience"
    if isinstance(exc, jwt.InvalidIssuerError):
        return "wrong issuer"
    if isinstance(exc, jwt.ImmatureSignatureError):
        return "not valid yet"
    if isinstance(exc, jwt.InvalidAlgorithmError):
        return "algorithm not allowed"
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"missing claim {exc.claim}"
    return "malformed token"
