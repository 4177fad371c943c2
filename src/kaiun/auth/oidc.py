"""An OIDC relying party: discovery, the authorization-code flow with PKCE (S256), the code
exchange and ID-token verification against the provider's JWKS.

Every random value (state, nonce, PKCE verifier) comes from ``secrets`` (256 bits;
GHSA-2m7h-86qq-fp4v). TLS to the provider is verified unless argocd-cm
``oidc.tls.insecure.skip.verify`` is ``"true"`` (GHSA-7943-82jg-wmw5); ``rootCA`` adds a
trusted CA. An ID token is accepted only when signed by a key of the provider's JWKS with an
asymmetric algorithm, for this issuer, for one of the allowed audiences
(GHSA-q9hr-j4rf-8fjc), not expired, and, during a login, with the login's nonce.
Messages never hold the client secret, a code or a token.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

from kaiun.auth.errors import AuthError, InvalidToken
from kaiun.settings.oidc import SSOConfig

__all__ = [
    "LoginRequest",
    "OIDCError",
    "OIDCProvider",
    "new_login",
    "pkce_challenge",
]

log = logging.getLogger(__name__)

# Asymmetric only: an HS256 token "signed" with the provider's public key must never pass.
_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
_DISCOVERY_TTL = 3600.0
_JWKS_MIN_REFETCH = 30.0  # an unknown key id refetches the JWKS at most this often
_CLOCK_SKEW = 60
_MAX_ERROR_TEXT = 200


class OIDCError(AuthError):
    """The provider could not be used or refused; the message says what to fix."""


@dataclass(frozen=True)
class LoginRequest:
    """The secrets of one login: sent to the provider (state, nonce, challenge) and kept
    by the browser or CLI (verifier) until the callback."""

    state: str
    nonce: str
    verifier: str

    @property
    def challenge(self) -> str:
        """The PKCE S256 code challenge of ``verifier``."""
        return pkce_challenge(self.verifier)


def new_login() -> LoginRequest:
    """Fresh state, nonce and PKCE verifier, 256 bits each from the OS CSPRNG."""
    return LoginRequest(
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        verifier=secrets.token_urlsafe(48),  # 64 characters: within RFC 7636's 43..128
    )


def pkce_challenge(verifier: str) -> str:
    """``BASE64URL(SHA256(verifier))`` without padding (RFC 7636 S256)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def tls_verify(config: SSOConfig) -> ssl.SSLContext | bool:
    """How to verify the provider's certificate: system CAs plus ``rootCA``; False only
    when explicitly configured."""
    if config.insecure_skip_verify:
        return False
    context = ssl.create_default_context()
    if config.root_ca:
        context.load_verify_locations(cadata=config.root_ca)
    return context


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text[:_MAX_ERROR_TEXT] + ("..." if len(text) > _MAX_ERROR_TEXT else "")


class OIDCProvider:
    """One provider: discovery and JWKS cached; ``clock`` gives epoch seconds."""

    def __init__(
        self,
        config: SSOConfig,
        *,
        clock: Callable[[], float] = time.time,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config
        self._clock = clock
        self._transport = transport
        self._discovery: dict[str, Any] | None = None
        self._discovered_at = float("-inf")
        self._jwks: jwt.PyJWKSet | None = None
        self._jwks_at = float("-inf")

    def __repr__(self) -> str:
        return f"OIDCProvider(issuer={self.config.issuer!r})"

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            verify=tls_verify(self.config), timeout=15, transport=self._transport
        )

    def _backchannel(self, url: str) -> str:
        """``url`` as this server reaches it (Dex: directly, not through our own proxy)."""
        issuer, direct = self.config.issuer.rstrip("/"), self.config.backchannel
        if direct and (url == issuer or url.startswith(issuer + "/")):
            return direct + url[len(issuer) :]
        return url

    async def _get_json(self, url: str, what: str) -> dict[str, Any]:
        url = self._backchannel(url)
        try:
            async with self._client() as client:
                resp = await client.get(url, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise OIDCError(f"cannot reach the identity provider for its {what}: {exc}") from exc
        if resp.status_code != 200:
            raise OIDCError(f"the identity provider's {what} answered HTTP {resp.status_code}")
        try:
            body = resp.json()
        except ValueError as exc:
            raise OIDCError(f"the identity provider's {what} is not JSON") from exc
        if not isinstance(body, dict):
            raise OIDCError(f"the identity provider's {what} is not a JSON object")
        return body

    async def discovery(self) -> dict[str, Any]:
        """``ISSUER/.well-known/openid-configuration``, cached for an hour; its ``issuer``
        must be the configured one."""
        if self._discovery is not None and self._clock() - self._discovered_at < _DISCOVERY_TTL:
            return self._discovery
        url = self.config.issuer.rstrip("/") + "/.well-known/openid-configuration"
        try:
            doc = await self._get_json(url, "discovery document")
        except OIDCError:
            if self._discovery is None:
                raise
            # A provider outage must not stall every request: keep the last good document
            # and try again after a minute.
            log.warning("identity provider discovery failed; using the cached document")
            self._discovered_at = self._clock() - _DISCOVERY_TTL + 60
            return self._discovery
        if str(doc.get("issuer", "")).rstrip("/") != self.config.issuer.rstrip("/"):
            raise OIDCError(
                f"the identity provider says its issuer is {doc.get('issuer')!r}, "
                f"not {self.config.issuer!r} as oidc.config says"
            )
        for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(doc.get(key), str) or not doc[key]:
                raise OIDCError(f"the identity provider's discovery document has no {key}")
        self._discovery, self._discovered_at = doc, self._clock()
        return doc

    async def authorization_url(
        self, login: LoginRequest, redirect_uri: str, *, client_id: str | None = None
    ) -> str:
        """Where to send the user: the authorization endpoint with this login's state,
        nonce and PKCE challenge."""
        doc = await self.discovery()
        params = {
            "response_type": "code",
            "client_id": client_id or self.config.client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(self.config.scopes),
            "state": login.state,
            "nonce": login.nonce,
            "code_challenge": login.challenge,
            "code_challenge_method": "S256",
        }
        if self.config.id_token_claims:
            params["claims"] = json.dumps({"id_token": self.config.id_token_claims})
        endpoint = str(doc["authorization_endpoint"])
        return endpoint + ("&" if "?" in endpoint else "?") + urlencode(params)

    async def exchange(
        self,
        code: str,
        *,
        redirect_uri: str,
        verifier: str,
        client_id: str | None = None,
        client_secret: str | None = None,
    ) -> dict[str, Any]:
        """The token response for an authorization code (``id_token`` required)."""
        doc = await self.discovery()
        cid = client_id or self.config.client_id
        secret = self.config.client_secret if client_secret is None else client_secret
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
        auth: httpx.Auth | httpx._client.UseClientDefault = httpx.USE_CLIENT_DEFAULT
        methods = doc.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
        if not secret:
            form["client_id"] = cid
        elif "client_secret_basic" not in methods and "client_secret_post" in methods:
            form |= {"client_id": cid, "client_secret": secret}
        else:
            auth = httpx.BasicAuth(cid, secret)
        try:
            async with self._client() as client:
                endpoint = self._backchannel(str(doc["token_endpoint"]))
                resp = await client.post(endpoint, data=form, auth=auth)
        except httpx.HTTPError as exc:
            raise OIDCError(f"cannot reach the identity provider's token endpoint: {exc}") from exc
        body = _json_object(resp)
        if resp.status_code != 200:
            reason = str(body.get("error") or f"HTTP {resp.status_code}")
            detail = str(body.get("error_description") or "")
            if secret:
                detail = detail.replace(secret, "***")
            msg = f"the identity provider refused the authorization code: {_short(reason)}"
            raise OIDCError(msg + (f" ({_short(detail)})" if detail else ""))
        if not isinstance(body.get("id_token"), str):
            raise OIDCError("the identity provider's token response has no id_token")
        return body

    async def _keys(self, kid: str | None) -> jwt.PyJWKSet:
        now = self._clock()
        known = self._jwks is not None and (kid is None or _has_kid(self._jwks, kid))
        if self._jwks is not None and (known or now - self._jwks_at < _JWKS_MIN_REFETCH):
            return self._jwks
        doc = await self.discovery()
        raw = await self._get_json(str(doc["jwks_uri"]), "signing keys (JWKS)")
        try:
            self._jwks = jwt.PyJWKSet.from_dict(raw)
        except jwt.PyJWKError as exc:
            raise OIDCError(f"the identity provider's JWKS cannot be read: {exc}") from exc
        self._jwks_at = now
        return self._jwks

    async def verify(self, id_token: str, *, nonce: str | None = None) -> dict[str, Any]:
        """The claims of an ID token issued by this provider for us; raises InvalidToken
        for a forged, altered, expired, foreign-audience or wrong-nonce token."""
        try:
            header = jwt.get_unverified_header(id_token)
        except jwt.InvalidTokenError as exc:
            raise InvalidToken("invalid ID token: malformed") from exc
        alg = header.get("alg")
        if alg not in _ALGORITHMS:
            raise InvalidToken(f"invalid ID token: algorithm {alg!r} is not allowed")
        kid = header.get("kid") if isinstance(header.get("kid"), str) else None
        keys = await self._keys(kid)
        candidates = [k for k in keys.keys if kid is None or k.key_id == kid]
        if not candidates:
            raise InvalidToken("invalid ID token: signed by a key the provider does not publish")
        claims = self._decode(id_token, alg, candidates)
        self._check(claims, nonce)
        return claims

    def _decode(self, token: str, alg: str, keys: list[jwt.PyJWK]) -> dict[str, Any]:
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise InvalidToken("invalid ID token: malformed") from exc
        audience: list[str] | None = list(self.config.audiences)
        if "aud" not in unverified and self.config.skip_audience_check_without_aud:
            audience = None
        for key in keys:
            try:
                claims: dict[str, Any] = jwt.decode(
                    token,
                    key.key,
                    algorithms=[alg],
                    issuer=self.config.issuer,
                    audience=audience,
                    options={
                        "require": ["iss", "sub", "exp"],
                        "verify_aud": audience is not None,
                        "verify_exp": False,
                        "verify_nbf": False,
                        "verify_iat": False,
                    },
                )
                return claims
            except (jwt.InvalidSignatureError, jwt.InvalidKeyError):
                continue  # another key of the set may have signed it
            except jwt.InvalidAudienceError as exc:
                raise InvalidToken("invalid ID token: issued for another client (aud)") from exc
            except jwt.MissingRequiredClaimError as exc:
                if exc.claim == "aud":
                    raise InvalidToken("invalid ID token: it has no audience (aud)") from exc
                raise InvalidToken(f"invalid ID token: missing claim {exc.claim}") from exc
            except jwt.InvalidIssuerError as exc:
                raise InvalidToken("invalid ID token: another issuer") from exc
            except jwt.PyJWTError as exc:
                raise InvalidToken("invalid ID token: malformed or wrongly signed") from exc
        raise InvalidToken("invalid ID token: signature does not match")

    def _check(self, claims: Mapping[str, Any], nonce: str | None) -> None:
        now = self._clock()
        exp, nbf, iat = claims.get("exp"), claims.get("nbf"), claims.get("iat")
        if not isinstance(exp, int | float) or isinstance(exp, bool):
            raise InvalidToken("invalid ID token: exp must be a number")
        if now >= exp:
            raise InvalidToken("ID token is expired: log in again")
        for value in (nbf, iat):
            if isinstance(value, int | float) and value > now + _CLOCK_SKEW:
                raise InvalidToken("invalid ID token: not valid yet")
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise InvalidToken("invalid ID token: sub is required")
        if nonce is not None and not secrets.compare_digest(
            str(claims.get("nonce", "")).encode(), nonce.encode()
        ):
            raise InvalidToken("invalid ID token: nonce does not match this login")


def _has_kid(keys: jwt.PyJWKSet, kid: str) -> bool:
    return any(k.key_id == kid for k in keys.keys)


def _json_object(resp: httpx.Response) -> dict[str, Any]:
    try:
        body = resp.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
