"""Local accounts as Argo CD keeps them: argocd-cm declares them, argocd-secret holds their
secrets; plus the password policy.

argocd-cm: ``accounts.NAME: apiKey, login`` (capabilities), ``accounts.NAME.enabled``,
``admin.enabled``, ``passwordPattern``. argocd-secret: ``admin.password`` /
``admin.passwordMtime`` / ``admin.tokens`` for the built-in admin and
``accounts.NAME.password`` / ``.passwordMtime`` / ``.tokens`` for the others. Tokens are a JSON
list of ``{"id", "iat", "exp"}`` (seconds; ``exp`` 0 or absent: never expires). Pure: the
caller hands in the ConfigMap data and the decoded Secret data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

__all__ = [
    "ADMIN",
    "DEFAULT_PASSWORD_PATTERN",
    "MAX_USERNAME_LENGTH",
    "Account",
    "AccountSettingsError",
    "AccountToken",
    "Capability",
    "PasswordPolicyError",
    "SecretKeys",
    "check_password",
    "encode_tokens",
    "format_mtime",
    "parse_accounts",
    "parse_mtime",
    "parse_tokens",
    "password_pattern",
    "secret_keys",
]

ADMIN = "admin"
MAX_USERNAME_LENGTH = 32
DEFAULT_PASSWORD_PATTERN = r"^.{8,32}$"
Capability = Literal["login", "apiKey"]
_CAPABILITIES: tuple[Capability, ...] = ("login", "apiKey")
_ACCOUNT_KEY = re.compile(r"^accounts\.([^.]+)$")


class AccountSettingsError(ValueError):
    """argocd-cm or argocd-secret holds an account entry that cannot be read."""


class PasswordPolicyError(ValueError):
    """A new password does not satisfy ``passwordPattern``."""


@dataclass(frozen=True)
class AccountToken:
    """An API token's record: the token itself is never stored, only its id and times."""

    id: str
    issued_at: int
    expires_at: int = 0

    def expired(self, now: int) -> bool:
        """True once ``now`` (epoch seconds) is past a non-zero expiry."""
        return self.expires_at > 0 and now >= self.expires_at


@dataclass(frozen=True)
class Account:
    """One local account with everything the session manager needs to judge a login."""

    name: str
    enabled: bool
    capabilities: tuple[Capability, ...]
    password_hash: str = ""
    password_mtime: datetime | None = None
    tokens: tuple[AccountToken, ...] = ()

    def can(self, capability: Capability) -> bool:
        """Whether the account has ``capability`` (``login`` or ``apiKey``)."""
        return capability in self.capabilities

    def token(self, token_id: str) -> AccountToken | None:
        """The token record with ``token_id``, or None when revoked or never issued."""
        return next((t for t in self.tokens if t.id == token_id), None)


@dataclass(frozen=True)
class SecretKeys:
    """The argocd-secret data keys that hold one account's password, its mtime and tokens."""

    password: str
    mtime: str
    tokens: str


def secret_keys(name: str) -> SecretKeys:
    """Where ``name``'s secrets live in argocd-secret (admin has its own prefix)."""
    prefix = "admin" if name == ADMIN else f"accounts.{name}"
    return SecretKeys(f"{prefix}.password", f"{prefix}.passwordMtime", f"{prefix}.tokens")


def parse_mtime(value: str) -> datetime:
    """An RFC 3339 ``passwordMtime`` as an aware UTC datetime."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise AccountSettingsError(f"passwordMtime {value!r} is not an RFC 3339 time") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_mtime(when: datetime) -> str:
    """``when`` as Argo CD writes ``passwordMtime`` (RFC 3339, UTC, ``Z``)."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_tokens(value: str, where: str) -> tuple[AccountToken, ...]:
    """The JSON token list stored under ``where`` in argocd-secret."""
    if not value.strip():
        return ()
    try:
        raw = json.loads(value)
    except ValueError as exc:
        raise AccountSettingsError(f"{where} is not a JSON list of tokens") from exc
    if not isinstance(raw, list):
        raise AccountSettingsError(f"{where} must be a JSON list of tokens")
    tokens = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise AccountSettingsError(f"{where}: every token needs a string id")
        try:
            tokens.append(
                AccountToken(item["id"], int(item.get("iat") or 0), int(item.get("exp") or 0))
            )
        except (TypeError, ValueError) as exc:
            raise AccountSettingsError(f"{where}: iat and exp must be integers") from exc
    return tuple(tokens)


def encode_tokens(tokens: tuple[AccountToken, ...] | list[AccountToken]) -> str:
    """The JSON form of a token list, as stored in argocd-secret."""
    items = []
    for t in tokens:
        item: dict[str, object] = {"id": t.id, "iat": t.issued_at}
        if t.expires_at:
            item["exp"] = t.expires_at
        items.append(item)
    return json.dumps(items, separators=(",", ":"))


def _capabilities(value: str, where: str) -> tuple[Capability, ...]:
    caps: list[Capability] = []
    for part in value.split(","):
        word = part.strip()
        if not word:
            continue
        match = next((c for c in _CAPABILITIES if c == word), None)
        if match is None:
            raise AccountSettingsError(
                f"{where}: unknown capability {word!r}; use apiKey and/or login"
            )
        if match not in caps:
            caps.append(match)
    return tuple(caps)


def _enabled(value: str | None, where: str) -> bool:
    if value is None or value.strip() == "":
        return True
    text = value.strip().lower()
    if text in ("true", "1", "t"):
        return True
    if text in ("false", "0", "f"):
        return False
    raise AccountSettingsError(f"{where} must be true or false, not {value!r}")


def _account(
    name: str, caps: tuple[Capability, ...], enabled: bool, secret: Mapping[str, str]
) -> Account:
    keys = secret_keys(name)
    mtime = secret.get(keys.mtime, "")
    return Account(
        name=name,
        enabled=enabled,
        capabilities=caps,
        password_hash=secret.get(keys.password, ""),
        password_mtime=parse_mtime(mtime) if mtime.strip() else None,
        tokens=parse_tokens(secret.get(keys.tokens, ""), keys.tokens),
    )


def parse_accounts(cm: Mapping[str, str], secret: Mapping[str, str]) -> dict[str, Account]:
    """Every local account: admin (login by default; ``accounts.admin`` may set its
    capabilities) and each ``accounts.NAME`` of argocd-cm, joined with argocd-secret."""
    accounts: dict[str, Account] = {}
    for key, value in cm.items():
        match = _ACCOUNT_KEY.match(key)
        if not match:
            continue
        name = match.group(1)
        if len(name) > MAX_USERNAME_LENGTH:
            raise AccountSettingsError(
                f"{key}: account names are at most {MAX_USERNAME_LENGTH} characters"
            )
        enabled_key = "admin.enabled" if name == ADMIN else f"{key}.enabled"
        enabled = _enabled(cm.get(enabled_key), enabled_key)
        accounts[name] = _account(name, _capabilities(value, key), enabled, secret)
    if ADMIN not in accounts:
        enabled = _enabled(cm.get("admin.enabled"), "admin.enabled")
        accounts[ADMIN] = _account(ADMIN, ("login",), enabled, secret)
    return accounts


def password_pattern(cm: Mapping[str, str]) -> str:
    """argocd-cm ``passwordPattern``, or Argo CD's default ``^.{8,32}$``."""
    return cm.get("passwordPattern", "").strip() or DEFAULT_PASSWORD_PATTERN


def check_password(password: str, pattern: str = DEFAULT_PASSWORD_PATTERN) -> None:
    """Raise PasswordPolicyError unless ``password`` matches ``pattern``."""
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise PasswordPolicyError(f"passwordPattern {pattern!r} is not a valid regex") from exc
    if not compiled.search(password):
        raise PasswordPolicyError(
            f"the new password does not satisfy the password policy (pattern {pattern})"
        )
