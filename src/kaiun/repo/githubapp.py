"""GitHub App credentials: app id + installation id + private key -> installation token.

The app signs a short-lived JWT (RS256, ``iss`` = app id) and exchanges it at
``POST {api}/app/installations/{id}/access_tokens`` for an installation token, which git
then uses as the password of ``x-access-token`` (GitHub's convention). Tokens are cached
until a minute before they expire. The API is ``https://api.github.com`` unless the Secret
sets ``githubAppEnterpriseBaseUrl`` (e.g. ``https://ghe.example.com/api/v3``).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
import orjson
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from kaiun.repo.credentials import RepoCredential
from kaiun.repo.errors import AuthenticationError, SourceError
from kaiun.repo.urls import redact_url

__all__ = ["GitHubAppTokens", "app_jwt"]

_DEFAULT_API = "https://api.github.com"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def app_jwt(app_id: str, private_key_pem: str, now: float) -> str:
    """The app's JWT: valid from a minute ago (clock skew) for nine minutes."""
    try:
        key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    except (ValueError, TypeError):
        raise SourceError("githubAppPrivateKey is not a PEM private key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SourceError("githubAppPrivateKey must be an RSA key")
    header = _b64url(orjson.dumps({"alg": "RS256", "typ": "JWT"}))
    claims = {"iat": int(now) - 60, "exp": int(now) + 540, "iss": str(app_id)}
    signing_input = f"{header}.{_b64url(orjson.dumps(claims))}"
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64url(signature)}"


class GitHubAppTokens:
    """Installation tokens per (API, app, installation), refreshed before they expire."""

    def __init__(self, *, clock: Callable[[], float] = time.time, timeout: float = 30.0):
        self._clock = clock
        self.timeout = timeout
        self._tokens: dict[tuple[str, str, str], tuple[str, float]] = {}
        self.exchanges = 0

    async def token(self, cred: RepoCredential) -> str:
        """A valid installation token for ``cred``'s app installation."""
        api = (cred.github_app_enterprise_base_url or _DEFAULT_API).rstrip("/")
        key = (api, cred.github_app_id, cred.github_app_installation_id)
        cached = self._tokens.get(key)
        now = self._clock()
        if cached and cached[1] - 60 > now:
            return cached[0]
        jwt = app_jwt(cred.github_app_id, cred.github_app_private_key, now)
        url = f"{api}/app/installations/{cred.github_app_installation_id}/access_tokens"
        headers = {"Authorization": f"Bearer {jwt}", "Accept": "application/vnd.github+json"}
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.post(url, headers=headers)
        except httpx.HTTPError as exc:
            raise AuthenticationError(redact_url(cred.url)) from exc
        self.exchanges += 1
        if response.status_code != 201:
            raise AuthenticationError(redact_url(cred.url))
        data: dict[str, Any] = response.json()
        expires = datetime.fromisoformat(str(data["expires_at"]).replace("Z", "+00:00"))
        self._tokens[key] = (str(data["token"]), expires.timestamp())
        return str(data["token"])
