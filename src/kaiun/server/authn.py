"""The real ``Security``: tokens verified and requests judged by ``kaiun.auth`` over the
cluster's argocd-cm, argocd-secret, argocd-rbac-cm and AppProjects.

The four are read together into a snapshot that is reloaded when older than
``refresh_seconds`` (and at once after the server itself changes one), so an edited
argocd-rbac-cm, a disabled account or a deleted token take effect within that time without
a restart. A policy that cannot be parsed is logged and the previous one kept, as Argo CD
does. Logged-out token ids are remembered until the token would have expired, in memory
and in ConfigMap ``kaiun-revoked-tokens`` (id -> expiry, epoch seconds; 0 for never), so a
restarted server or another replica refuses them too. Token ids are not secrets.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt

from kaiun import auth
from kaiun.auth.loginstate import LoginStateSealer
from kaiun.auth.oidc import OIDCError, OIDCProvider
from kaiun.auth.store import SECRET_KEY, AccountStore
from kaiun.kube import KubeClient
from kaiun.kube import errors as kerrors
from kaiun.model.duration import DurationError, parse_go_duration
from kaiun.server.failures import ClusterFailureStore
from kaiun.server.security import Caller
from kaiun.server.ssoconfig import load_sso
from kaiun.settings.accounts import Account, AccountSettingsError, parse_accounts
from kaiun.settings.login_throttle import parse_login_throttle
from kaiun.settings.oidc import OIDCSettingsError, SSOConfig

log = logging.getLogger(__name__)

RBAC_CM = "argocd-rbac-cm"
REVOKED_CM = "kaiun-revoked-tokens"
_WRITE_RETRIES = 5
DEFAULT_SESSION_SECONDS = 24 * 3600


def parse_duration(value: str) -> int | None:
    """Seconds in a Go duration (``24h``, ``1h30m``, ``90s``); None when unreadable."""
    try:
        seconds = parse_go_duration(value)
    except DurationError:
        return None
    return int(seconds) if seconds >= 0 else None


@dataclass
class _Snapshot:
    """What one load of the settings objects produced."""

    cm: dict[str, str] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)
    projects: dict[str, dict[str, Any]] = field(default_factory=dict)
    rbac_data: dict[str, str] | None = None
    sessions: auth.SessionManager | None = None
    sso: SSOConfig | None = None
    sso_error: str = ""
    secret_key: bytes = b""
    loaded_at: float = float("-inf")


class AuthSecurity:
    """``Security`` over ``kaiun.auth``: sessions, API tokens, project-role tokens, RBAC from
    argocd-rbac-cm, anonymous access from argocd-cm ``users.anonymous.enabled``."""

    def __init__(
        self,
        client: KubeClient,
        namespace: str,
        *,
        refresh_seconds: float = 2.0,
        clock: Callable[[], float] = time.time,
        env: Mapping[str, str] | None = None,
        dex_server: str = "",
    ) -> None:
        self.client = client
        self.dex_server = dex_server
        self._provider: OIDCProvider | None = None
        self._sealer: LoginStateSealer | None = None
        self._sealer_key = b""
        self.namespace = namespace
        self.store = AccountStore(client, namespace, clock=clock)
        self.failures = ClusterFailureStore(client, namespace)
        self.throttle = auth.LoginThrottle(
            parse_login_throttle(env or {}), store=self.failures, clock=clock
        )
        self._refresh_seconds = refresh_seconds
        self._clock = clock
        self._snap = _Snapshot()
        self._enforcer = auth.Enforcer(projects=self._project)
        self._lock = asyncio.Lock()
        self._revoked: dict[str, float] = {}
        self._generation = 0

    def __repr__(self) -> str:
        return f"AuthSecurity(namespace={self.namespace!r})"

    # -- settings snapshot -----------------------------------------------------------------

    def _project(self, name: str) -> Mapping[str, Any] | None:
        return self._snap.projects.get(name)

    async def refresh(self, *, force: bool = False) -> None:
        """Reload the settings objects if the snapshot is stale (or ``force``)."""
        if not force and time.monotonic() - self._snap.loaded_at < self._refresh_seconds:
            return
        async with self._lock:
            if not force and time.monotonic() - self._snap.loaded_at < self._refresh_seconds:
                return
            try:
                await self._load()
            except (kerrors.KubeError, auth.AuthError) as exc:
                # Keep answering from the last good snapshot; say why without details.
                log.warning("cannot reload auth settings: %s", type(exc).__name__)

    def invalidate(self) -> None:
        """Make the next request reload (after the server changed a settings object)."""
        self._generation += 1
        self._snap.loaded_at = float("-inf")

    async def _load(self) -> None:
        generation = self._generation
        snap = _Snapshot(loaded_at=time.monotonic())
        snap.cm = await self.store.settings_data()
        secret = await self.store.secret_data()
        try:
            snap.accounts = parse_accounts(
                snap.cm, {k: v.decode("utf-8", "replace") for k, v in secret.items()}
            )
        except AccountSettingsError as exc:
            log.error("argocd-cm accounts cannot be read; no local account may log in: %s", exc)
        try:
            snap.sessions = auth.SessionManager(secret.get(SECRET_KEY, b""), clock=self._clock)
        except ValueError:
            log.error("argocd-secret has no usable server.secretkey; every token is refused")
        snap.secret_key = secret.get(SECRET_KEY, b"")
        try:
            snap.sso = await load_sso(
                self.client, self.namespace, snap.cm, secret, dex_server=self.dex_server
            )
        except OIDCSettingsError as exc:
            snap.sso_error = str(exc)
            log.error("SSO cannot be used: %s", exc)
        listed = await self.client.list("argoproj.io/v1alpha1", "AppProject", self.namespace)
        snap.projects = {p["metadata"]["name"]: p for p in listed.items}
        try:
            rbac_cm = await self.client.get("v1", "ConfigMap", RBAC_CM, self.namespace)
        except kerrors.NotFound:
            rbac_cm = {}
        snap.rbac_data = {str(k): str(v) for k, v in (rbac_cm.get("data") or {}).items()}
        self._remember(await self._stored_revocations())
        if snap.rbac_data != self._snap.rbac_data:
            self._reload_policy(snap.rbac_data)
        else:
            snap.rbac_data = self._snap.rbac_data
        if generation != self._generation:
            # The server changed something while this load was reading: it may be stale.
            snap.loaded_at = float("-inf")
        self._snap = snap

    def _reload_policy(self, data: dict[str, str]) -> None:
        try:
            self._enforcer = auth.Enforcer.from_configmap(data, projects=self._project)
        except auth.RBACError as exc:
            log.error("%s is invalid, keeping the previous policy: %s", RBAC_CM, exc)

    # -- what endpoints read ---------------------------------------------------------------

    @property
    def settings(self) -> dict[str, str]:
        """argocd-cm data as last loaded."""
        return self._snap.cm

    @property
    def anonymous_enabled(self) -> bool:
        """Whether callers without a token get ``policy.default``."""
        return self._snap.cm.get("users.anonymous.enabled", "").strip().lower() == "true"

    @property
    def accounts(self) -> dict[str, Account]:
        """The local accounts as last loaded."""
        return self._snap.accounts

    def now(self) -> float:
        """The current time in epoch seconds (the clock tokens are judged by)."""
        return self._clock()

    @property
    def sso(self) -> SSOConfig | None:
        """The SSO provider argocd-cm configures (references resolved), or None."""
        return self._snap.sso

    def sso_provider(self) -> OIDCProvider:
        """The relying party of the configured provider; OIDCError when there is none."""
        config = self._snap.sso
        if config is None:
            if self._snap.sso_error:
                raise OIDCError(f"SSO is misconfigured: {self._snap.sso_error}")
            if (self._snap.cm.get("dex.config") or "").strip():
                raise OIDCError(
                    "dex.config is set but this server has no Dex server (--dex-server)"
                )
            raise OIDCError("SSO is not configured: set oidc.config in argocd-cm")
        if self._provider is None or self._provider.config != config:
            self._provider = OIDCProvider(config, clock=self._clock)
        return self._provider

    def login_states(self) -> LoginStateSealer:
        """Seals and opens SSO login-state cookies (keyed by ``server.secretkey``)."""
        key = self._snap.secret_key
        if len(key) < 32:
            raise OIDCError("argocd-secret has no usable server.secretkey")
        if self._sealer is None or self._sealer_key != key:
            self._sealer, self._sealer_key = LoginStateSealer(key, clock=self._clock), key
        return self._sealer

    def session_seconds(self) -> int:
        """How long a login session lasts (argocd-cm ``users.session.duration``, 24h)."""
        raw = self._snap.cm.get("users.session.duration", "")
        seconds = parse_duration(raw) if raw else None
        return seconds if seconds and seconds > 0 else DEFAULT_SESSION_SECONDS

    async def revoke(self, token_id: str, expires_at: float | None) -> None:
        """Refuse ``token_id`` from now until ``expires_at`` (None: for good), here at once
        and, through the cluster, on every server."""
        until = expires_at if expires_at is not None else float("inf")
        self._remember({token_id: until})
        try:
            await self._store_revocation(token_id, until)
        except kerrors.KubeError as exc:
            log.warning("logout recorded in memory only: %s", type(exc).__name__)

    def _remember(self, entries: Mapping[str, float]) -> None:
        now = self._clock()
        merged = {**self._revoked, **entries}
        self._revoked = {k: v for k, v in merged.items() if v > now}

    async def _stored_revocations(self) -> dict[str, float]:
        try:
            cm = await self.client.get("v1", "ConfigMap", REVOKED_CM, self.namespace)
        except kerrors.NotFound:
            return {}
        return {k: _expiry(v) for k, v in (cm.get("data") or {}).items()}

    async def _store_revocation(self, token_id: str, until: float) -> None:
        now = self._clock()
        value = "0" if until == float("inf") else str(int(until))
        for _ in range(_WRITE_RETRIES):
            try:
                cm = await self.client.get("v1", "ConfigMap", REVOKED_CM, self.namespace)
            except kerrors.NotFound:
                cm = None
            data = {k: v for k, v in ((cm or {}).get("data") or {}).items() if _expiry(v) > now}
            data[token_id] = value
            try:
                if cm is None:
                    meta = {"name": REVOKED_CM, "namespace": self.namespace}
                    await self.client.create(
                        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}
                    )
                else:
                    await self.client.replace({**cm, "data": data})
                return
            except (kerrors.Conflict, kerrors.AlreadyExists):
                continue

    def _is_revoked(self, token_id: str) -> bool:
        return token_id in self._revoked and self._revoked[token_id] > self._clock()

    # -- Security --------------------------------------------------------------------------

    async def authenticate(self, token: str) -> Caller | None:
        """The caller ``token`` stands for; with no token, the anonymous caller when
        anonymous access is on. A presented token is always verified in full."""
        await self.refresh()
        if not token:
            return Caller("", anonymous=True) if self.anonymous_enabled else None
        if self._is_sso_token(token):
            return await self._authenticate_sso(token)
        sessions = self._snap.sessions
        if sessions is None:
            return None
        try:
            principal = sessions.verify(
                token, accounts=self._snap.accounts, projects=self._project,
                revoked=self._is_revoked,
            )  # fmt: skip
        except auth.InvalidToken as exc:
            log.info("refused a token: %s", exc)
            return None
        scopes = self._enforcer.config.scopes
        groups = tuple(g for scope in scopes for g in _as_list(principal.claims.get(scope)))
        return Caller(principal.subject, groups=groups, claims=dict(principal.claims))

    def _is_sso_token(self, token: str) -> bool:
        # Only routes the token: the SSO path verifies it in full against the provider.
        config = self._snap.sso
        if config is None:
            return False
        try:
            iss = jwt.decode(token, options={"verify_signature": False}).get("iss")
        except jwt.PyJWTError:
            return False
        return isinstance(iss, str) and iss != auth.ISSUER and iss == config.issuer

    async def _authenticate_sso(self, token: str) -> Caller | None:
        try:
            claims = await self.sso_provider().verify(token)
        except (auth.InvalidToken, OIDCError) as exc:
            log.info("refused an SSO token: %s", exc)
            return None
        # Logout revokes the token's jti, or (ID tokens often have none) its digest.
        if not isinstance(claims.get("jti"), str) or not claims["jti"]:
            claims["jti"] = "sso:" + hashlib.sha256(token.encode()).hexdigest()[:32]
        if self._is_revoked(str(claims["jti"])):
            log.info("refused an SSO token: it was logged out")
            return None
        scopes = self._enforcer.config.scopes
        groups = tuple(g for scope in scopes for g in _as_list(claims.get(scope)))
        return Caller(auth.subject_of(claims), groups=groups, claims=claims)

    def enforce(self, caller: Caller | None, resource: str, action: str, obj: str) -> bool:
        """RBAC: ``policy.default`` for everyone, then the caller's subject and groups."""
        if caller is None or caller.anonymous:
            return self._enforcer.enforce(None, resource, action, obj)
        return self._enforcer.enforce(caller.claims, resource, action, obj)


def _expiry(value: Any) -> float:
    """A stored expiry: epoch seconds, 0 (or unreadable) meaning never."""
    try:
        seconds = int(str(value))
    except ValueError:
        return float("inf")
    return float(seconds) if seconds > 0 else float("inf")


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []
