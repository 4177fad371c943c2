"""SSO settings as Argo CD reads them from argocd-cm: ``oidc.config`` (a direct OIDC
provider), or ``dex.config`` with a Dex server, plus ``url`` for the redirect URI and
``oidc.tls.insecure.skip.verify``.

``oidc.config`` fields (Argo CD's ``OIDCConfig``): ``name``, ``issuer``, ``clientID``,
``clientSecret``, ``cliClientID``, ``requestedScopes`` (default ``openid profile email``),
``requestedIDTokenClaims``, ``logoutURL``, ``rootCA`` (PEM), ``enablePKCEAuthentication``,
``allowedAudiences`` (default: ``clientID`` and ``cliClientID``) and
``skipAudienceCheckWhenTokenHasNoAudience``. String values may be references: ``$key`` is a
key of argocd-secret, ``$name:key`` a key of Secret ``name`` (which must carry the label
``app.kubernetes.io/part-of: argocd``). Pure: the caller hands in the data and a lookup for
the referenced secrets.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

__all__ = [
    "DEFAULT_SCOPES",
    "DEX_CLIENT_ID",
    "DEX_CLI_CLIENT_ID",
    "DEX_PATH",
    "OIDCSettingsError",
    "SSOConfig",
    "SecretLookup",
    "dex_client_secret",
    "parse_sso",
    "secret_reference",
]

DEFAULT_SCOPES = ("openid", "profile", "email")
DEX_PATH = "/api/dex"
DEX_CLIENT_ID = "argo-cd"
DEX_CLI_CLIENT_ID = "argo-cd-cli"
CALLBACK_PATH = "/auth/callback"

# (secret name or "" for argocd-secret, key) -> value, or None when it does not exist.
SecretLookup = Callable[[str, str], str | None]


class OIDCSettingsError(ValueError):
    """``oidc.config`` / ``dex.config`` cannot be used; the message says which field."""


@dataclass(frozen=True)
class SSOConfig:
    """One SSO provider, references resolved; ``client_secret`` is never printed."""

    name: str
    issuer: str
    client_id: str
    client_secret: str = field(default="", repr=False)
    cli_client_id: str = ""
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    id_token_claims: Mapping[str, Any] = field(default_factory=dict)
    logout_url: str = ""
    root_ca: str = field(default="", repr=False)
    insecure_skip_verify: bool = False
    pkce: bool = False
    allowed_audiences: tuple[str, ...] = ()
    skip_audience_check_without_aud: bool = False
    dex: bool = False
    # Server-to-provider requests go here instead of ``issuer`` (Dex: its own address, so
    # the server does not call itself through its external URL).
    backchannel: str = ""

    @property
    def audiences(self) -> tuple[str, ...]:
        """Audiences an ID token may carry: ``allowedAudiences``, else the client ids."""
        if self.allowed_audiences:
            return self.allowed_audiences
        return tuple(a for a in (self.client_id, self.cli_client_id) if a)


def secret_reference(value: str) -> tuple[str, str] | None:
    """``(secret name, key)`` of a ``$key`` / ``$name:key`` reference, else None."""
    if not value.startswith("$") or len(value) < 2:
        return None
    body = value[1:]
    name, sep, key = body.partition(":")
    return (name, key) if sep and name and key else ("", body)


def _resolve(value: Any, what: str, lookup: SecretLookup) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise OIDCSettingsError(f"oidc.config {what} must be a string")
    ref = secret_reference(value)
    if ref is None:
        return value
    resolved = lookup(*ref)
    if resolved is None:
        where = f"Secret {ref[0]}" if ref[0] else "argocd-secret"
        raise OIDCSettingsError(f"oidc.config {what} refers to key {ref[1]!r} missing in {where}")
    return resolved


def _strings(value: Any, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise OIDCSettingsError(f"oidc.config {what} must be a list of strings")
    return tuple(value)


def _http_url(value: str, what: str) -> str:
    if not value.startswith(("https://", "http://")) or len(value.split("://", 1)[1]) == 0:
        raise OIDCSettingsError(f"{what} must be an http(s) URL, got {value!r}")
    return value.rstrip("/") if what.endswith("url") else value


def _load(text: str, key: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise OIDCSettingsError(f"argocd-cm {key} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise OIDCSettingsError(f"argocd-cm {key} must be a YAML mapping")
    return data


def dex_client_secret(server_secret_key: bytes) -> str:
    """The client secret Argo CD derives for its Dex client from ``server.secretkey``."""
    digest = hashlib.sha256(server_secret_key).digest()
    return base64.urlsafe_b64encode(digest).decode()[:40]


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def parse_sso(
    cm: Mapping[str, str],
    lookup: SecretLookup,
    *,
    dex_server: str = "",
    server_secret_key: bytes = b"",
) -> SSOConfig | None:
    """The SSO provider argocd-cm configures, or None. ``dex_server`` is the external Dex
    this server was pointed at: without it ``dex.config`` alone configures nothing."""
    skip_verify = _truthy(cm.get("oidc.tls.insecure.skip.verify", ""))
    oidc_text = (cm.get("oidc.config") or "").strip()
    if oidc_text:
        return _parse_oidc(_load(oidc_text, "oidc.config"), lookup, skip_verify)
    if (cm.get("dex.config") or "").strip() and dex_server:
        _load(cm["dex.config"], "dex.config")
        url = (cm.get("url") or "").strip()
        if not url:
            raise OIDCSettingsError("dex.config needs argocd-cm url: Dex's issuer is URL/api/dex")
        return SSOConfig(
            name="Dex",
            issuer=_http_url(url, "argocd-cm url").rstrip("/") + DEX_PATH,
            client_id=DEX_CLIENT_ID,
            client_secret=dex_client_secret(server_secret_key),
            cli_client_id=DEX_CLI_CLIENT_ID,
            scopes=("openid", "profile", "email", "groups", "offline_access"),
            insecure_skip_verify=skip_verify,
            dex=True,
            backchannel=_http_url(dex_server, "the Dex server url").rstrip("/") + DEX_PATH,
        )
    return None


def _parse_oidc(raw: Mapping[str, Any], lookup: SecretLookup, skip_verify: bool) -> SSOConfig:
    issuer = _resolve(raw.get("issuer"), "issuer", lookup).strip()
    if not issuer:
        raise OIDCSettingsError("oidc.config issuer is required")
    client_id = _resolve(raw.get("clientID"), "clientID", lookup).strip()
    if not client_id:
        raise OIDCSettingsError("oidc.config clientID is required")
    scopes = _strings(raw.get("requestedScopes"), "requestedScopes") or DEFAULT_SCOPES
    if "openid" not in scopes:
        scopes = ("openid", *scopes)
    claims = raw.get("requestedIDTokenClaims") or {}
    if not isinstance(claims, dict):
        raise OIDCSettingsError("oidc.config requestedIDTokenClaims must be a mapping")
    root_ca = raw.get("rootCA") or ""
    if not isinstance(root_ca, str):
        raise OIDCSettingsError("oidc.config rootCA must be a PEM string")
    if root_ca and "-----BEGIN CERTIFICATE-----" not in root_ca:
        raise OIDCSettingsError("oidc.config rootCA must hold a PEM certificate")
    logout = _resolve(raw.get("logoutURL"), "logoutURL", lookup).strip()
    return SSOConfig(
        name=str(raw.get("name") or "SSO"),
        issuer=_http_url(issuer, "oidc.config issuer"),
        client_id=client_id,
        client_secret=_resolve(raw.get("clientSecret"), "clientSecret", lookup),
        cli_client_id=_resolve(raw.get("cliClientID"), "cliClientID", lookup).strip(),
        scopes=scopes,
        id_token_claims=dict(claims),
        logout_url=logout,
        root_ca=root_ca,
        insecure_skip_verify=skip_verify,
        pkce=_truthy(raw.get("enablePKCEAuthentication")),
        allowed_audiences=_strings(raw.get("allowedAudiences"), "allowedAudiences"),
        skip_audience_check_without_aud=_truthy(raw.get("skipAudienceCheckWhenTokenHasNoAudience")),
    )
