"""The Secret-backed account store: argocd-cm and argocd-secret read and written through
``kaiun.kube.KubeClient``, as Argo CD keeps them.

``initialize()`` gives a fresh install its ``server.secretkey`` and the admin's initial
password (Secret ``argocd-initial-admin-secret``, key ``password``; its bcrypt hash in
argocd-secret ``admin.password`` with ``admin.passwordMtime``). It never overwrites: an
existing admin password or initial secret is kept. Writes to argocd-secret are
read-modify-replace guarded by ``resourceVersion`` and retried on conflict.

The store talks through ``KubeAPI``, a protocol ``kaiun.kube.KubeClient`` satisfies: auth
and kube are sibling L3 rooms, so auth names no kube type; API errors are told apart by
their HTTP ``code`` (404 not found, 409 conflict or already exists).
"""

from __future__ import annotations

import asyncio
import base64
import random
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from kaiun.auth import passwords
from kaiun.auth.errors import AccountError, AuthError, InvalidLogin
from kaiun.auth.login import authenticate
from kaiun.auth.sessions import SessionManager, generate_secret_key
from kaiun.auth.throttle import LoginThrottle
from kaiun.settings import accounts as account_settings
from kaiun.settings.accounts import Account, AccountToken

__all__ = [
    "ARGOCD_CM",
    "ARGOCD_SECRET",
    "INITIAL_ADMIN_SECRET",
    "AccountStore",
    "KubeAPI",
    "decode_secret_data",
]

ARGOCD_CM = "argocd-cm"
ARGOCD_SECRET = "argocd-secret"
INITIAL_ADMIN_SECRET = "argocd-initial-admin-secret"
SECRET_KEY = "server.secretkey"
_LABELS = {"app.kubernetes.io/part-of": "argocd"}
# Writers in other processes (other API server replicas) can still conflict: retry with a
# growing, jittered pause so N writers converge instead of colliding in lockstep.
_RETRIES = 12
_BACKOFF_BASE = 0.01
_BACKOFF_CAP = 0.5


class KubeAPI(Protocol):
    """The slice of ``kaiun.kube.KubeClient`` the store uses."""

    async def get(
        self, api_version: str, kind: str, name: str, namespace: str | None = None
    ) -> dict[str, Any]:
        """One object."""

    async def create(
        self, obj: dict[str, Any], *, dry_run: bool = False, field_manager: str | None = None
    ) -> dict[str, Any]:
        """POST a new object."""

    async def replace(
        self, obj: dict[str, Any], *, dry_run: bool = False, field_manager: str | None = None
    ) -> dict[str, Any]:
        """PUT an object, guarded by its resourceVersion."""


def _code(exc: Exception) -> int:
    code = getattr(exc, "code", 0)
    return code if isinstance(code, int) else 0


def decode_secret_data(secret: Mapping[str, Any]) -> dict[str, bytes]:
    """A Secret's ``data`` (base64) and ``stringData`` as bytes."""
    out = {k: base64.b64decode(v) for k, v in (secret.get("data") or {}).items()}
    out.update({k: str(v).encode() for k, v in (secret.get("stringData") or {}).items()})
    return out


def _text(data: Mapping[str, bytes]) -> dict[str, str]:
    return {k: v.decode("utf-8", "replace") for k, v in data.items()}


def _b64(value: str | bytes) -> str:
    raw = value.encode() if isinstance(value, str) else value
    return base64.b64encode(raw).decode()


def _secret(name: str, namespace: str, data: Mapping[str, str | bytes]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(_LABELS)},
        "data": {k: _b64(v) for k, v in data.items()},
    }


class AccountStore:
    """Accounts, passwords and API tokens of one Argo CD namespace."""

    def __init__(
        self,
        kube: KubeAPI,
        namespace: str,
        *,
        clock: Callable[[], float] = time.time,
        bcrypt_cost: int = passwords.DEFAULT_COST,
    ) -> None:
        self.kube = kube
        self.namespace = namespace
        self._clock = clock
        self._cost = bcrypt_cost
        # Writers of this store never race each other: one read-modify-write at a time.
        self._write_lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"AccountStore(namespace={self.namespace!r})"

    # -- reads ---------------------------------------------------------------------------

    async def _get(self, kind: str, name: str) -> dict[str, Any] | None:
        try:
            return await self.kube.get("v1", kind, name, self.namespace)
        except Exception as exc:
            if _code(exc) == 404:
                return None
            raise

    async def settings_data(self) -> dict[str, str]:
        """argocd-cm ``data`` (empty when the ConfigMap does not exist)."""
        cm = await self._get("ConfigMap", ARGOCD_CM)
        return {str(k): str(v) for k, v in ((cm or {}).get("data") or {}).items()}

    async def secret_data(self) -> dict[str, bytes]:
        """argocd-secret's data, decoded."""
        secret = await self._get("Secret", ARGOCD_SECRET)
        return decode_secret_data(secret) if secret else {}

    async def accounts(self) -> dict[str, Account]:
        """Every local account, joined from argocd-cm and argocd-secret."""
        cm = await self.settings_data()
        secret = await self.secret_data()
        try:
            return account_settings.parse_accounts(cm, _text(secret))
        except account_settings.AccountSettingsError as exc:
            raise AccountError(str(exc)) from exc

    async def account(self, name: str) -> Account:
        """One account; AccountError when it does not exist."""
        found = (await self.accounts()).get(name)
        if found is None:
            raise AccountError(f"account {name} does not exist")
        return found

    async def initial_password(self) -> str | None:
        """The admin's initial password, or None once its Secret has been deleted."""
        secret = await self._get("Secret", INITIAL_ADMIN_SECRET)
        value = decode_secret_data(secret).get("password") if secret else None
        return value.decode() if value is not None else None

    async def session_manager(self) -> SessionManager:
        """A SessionManager signing with ``server.secretkey`` (run ``initialize`` first)."""
        key = (await self.secret_data()).get(SECRET_KEY, b"")
        if not key:
            raise AuthError(f"{ARGOCD_SECRET} has no {SECRET_KEY}: initialize the store first")
        return SessionManager(key, clock=self._clock)

    # -- writes --------------------------------------------------------------------------

    async def _update_secret(self, change: Callable[[dict[str, bytes]], dict[str, bytes]]) -> None:
        """Apply ``change`` (current data -> keys to set) to argocd-secret, retrying on
        conflicting writers; creates the Secret when missing."""
        async with self._write_lock:
            await self._update_secret_locked(change)

    async def _update_secret_locked(
        self, change: Callable[[dict[str, bytes]], dict[str, bytes]]
    ) -> None:
        for attempt in range(_RETRIES):
            if attempt:
                pause = min(_BACKOFF_CAP, _BACKOFF_BASE * 2**attempt)
                await asyncio.sleep(pause * random.uniform(0.5, 1.0))
            secret = await self._get("Secret", ARGOCD_SECRET)
            current = decode_secret_data(secret) if secret else {}
            updates = change(current)
            if not updates:
                return
            try:
                if secret is None:
                    await self.kube.create(_secret(ARGOCD_SECRET, self.namespace, updates))
                else:
                    data = dict(secret.get("data") or {})
                    data.update({k: _b64(v) for k, v in updates.items()})
                    secret["data"] = data
                    secret.pop("stringData", None)
                    await self.kube.replace(secret)
                return
            except Exception as exc:
                if _code(exc) != 409:
                    raise
        raise AuthError(f"{ARGOCD_SECRET} kept changing under us: retry the operation")

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    async def initialize(self) -> None:
        """Create ``server.secretkey`` and the admin's initial password if missing."""
        initial = await self.initial_password()

        def change(current: dict[str, bytes]) -> dict[str, bytes]:
            updates: dict[str, bytes] = {}
            if not current.get(SECRET_KEY):
                updates[SECRET_KEY] = generate_secret_key()
            if not current.get("admin.password"):
                password = initial or passwords.generate_password()
                updates["admin.password"] = passwords.hash_password(
                    password, cost=self._cost
                ).encode()
                updates["admin.passwordMtime"] = account_settings.format_mtime(self._now()).encode()
                pending["password"] = password
            return updates

        pending: dict[str, str] = {}
        await self._update_secret(change)
        if initial is None and "password" in pending:
            initial_secret = _secret(
                INITIAL_ADMIN_SECRET, self.namespace, {"password": pending["password"]}
            )
            try:
                await self.kube.create(initial_secret)
            except Exception as exc:
                # Another server replica won the race; its secret stands.
                if _code(exc) != 409:
                    raise

    async def login(
        self, username: str, password: str, *, throttle: LoginThrottle, expires_in: int = 0
    ) -> str:
        """A session token (``sub: NAME:login``) for a good username and password."""
        accounts = await self.accounts()
        # bcrypt takes tens of milliseconds by design: keep it off the event loop.
        account = await asyncio.to_thread(
            authenticate, username, password, accounts=accounts, throttle=throttle
        )
        manager = await self.session_manager()
        return manager.create(f"{account.name}:login", expires_in=expires_in)

    async def update_password(
        self,
        name: str,
        *,
        new_password: str,
        current_password: str,
        actor: str | None = None,
        throttle: LoginThrottle | None = None,
    ) -> None:
        """Set ``name``'s password after checking ``current_password`` of ``actor`` (the
        caller; ``name`` itself by default) and the password policy. Sessions issued
        before now stop working."""
        accounts = await self.accounts()
        who = actor or name
        try:
            await asyncio.to_thread(
                authenticate,
                who,
                current_password,
                accounts=accounts,
                throttle=throttle or LoginThrottle(),
            )
        except InvalidLogin as exc:
            raise AccountError("current password does not match") from exc
        if name not in accounts:
            raise AccountError(f"account {name} does not exist")
        cm = await self.settings_data()
        try:
            account_settings.check_password(new_password, account_settings.password_pattern(cm))
        except account_settings.PasswordPolicyError as exc:
            raise AccountError(str(exc)) from exc
        hashed = (
            await asyncio.to_thread(passwords.hash_password, new_password, cost=self._cost)
        ).encode()
        mtime = account_settings.format_mtime(self._now()).encode()
        keys = account_settings.secret_keys(name)
        await self._update_secret(lambda _: {keys.password: hashed, keys.mtime: mtime})

    async def create_token(
        self, name: str, *, expires_in: int = 0, token_id: str | None = None
    ) -> str:
        """A new API token (``sub: NAME:apiKey``) for an account with ``apiKey``; its
        ``{id, iat, exp}`` is recorded in argocd-secret ``<account>.tokens``."""
        account = await self.account(name)
        if not account.enabled or not account.can("apiKey"):
            raise AccountError(f"account {name} does not have the apiKey capability")
        token_id = token_id or str(uuid.uuid4())
        if account.token(token_id) is not None:
            raise AccountError(f"account {name} already has a token with id {token_id}")
        manager = await self.session_manager()
        token = manager.create(f"{name}:apiKey", expires_in=expires_in, token_id=token_id)
        record = manager.token_record(token)
        await self._change_tokens(name, lambda tokens: [*tokens, record])
        return token

    async def delete_token(self, name: str, token_id: str) -> None:
        """Revoke one of ``name``'s API tokens; AccountError if it has no such token."""
        account = await self.account(name)
        if account.token(token_id) is None:
            raise AccountError(f"account {name} has no token with id {token_id}")
        await self._change_tokens(name, lambda ts: [t for t in ts if t.id != token_id])

    async def _change_tokens(
        self, name: str, change: Callable[[list[AccountToken]], list[AccountToken]]
    ) -> None:
        key = account_settings.secret_keys(name).tokens

        def update(current: dict[str, bytes]) -> dict[str, bytes]:
            raw = current.get(key, b"").decode("utf-8", "replace")
            tokens = list(account_settings.parse_tokens(raw, key))
            return {key: account_settings.encode_tokens(change(tokens)).encode()}

        await self._update_secret(update)
