"""The browser's half of an SSO login: state, nonce, PKCE verifier and return URL sealed
(AES-256-GCM, key derived from ``server.secretkey``) into a short-lived cookie, as Argo CD
keeps its ``argocd.oauthstate`` cookie encrypted.

The callback accepts a ``state`` only together with the cookie that was set in the same
browser when the login started, within ``LOGIN_STATE_SECONDS``, and only once: a state
copied to another browser, an expired or altered cookie, or a replayed callback is refused.
The verifier never leaves the server unencrypted, so the code cannot be redeemed without it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kaiun.auth.errors import AuthError
from kaiun.auth.oidc import LoginRequest

__all__ = ["LOGIN_STATE_SECONDS", "LoginState", "LoginStateError", "LoginStateSealer"]

LOGIN_STATE_SECONDS = 300
_USED_MAX = 10_000


class LoginStateError(AuthError):
    """A callback whose login state is missing, expired, altered, foreign or replayed."""


@dataclass(frozen=True)
class LoginState:
    """What the callback needs to finish a login."""

    login: LoginRequest
    return_url: str
    expires_at: int


class LoginStateSealer:
    """Seals and opens login-state cookies; remembers used states until they expire."""

    def __init__(self, secret_key: bytes, *, clock: Callable[[], float] = time.time) -> None:
        # A key of its own (not server.secretkey itself), so the two uses never mix.
        self._aead = AESGCM(hashlib.sha256(b"kaiun login state\0" + secret_key).digest())
        self._clock = clock
        self._used: dict[str, float] = {}

    def __repr__(self) -> str:
        return "LoginStateSealer()"

    def seal(self, login: LoginRequest, return_url: str) -> str:
        """The cookie value for a login that starts now."""
        expires = int(self._clock()) + LOGIN_STATE_SECONDS
        payload = json.dumps(
            {"s": login.state, "n": login.nonce, "v": login.verifier, "r": return_url,
             "e": expires},
            separators=(",", ":"),
        ).encode()  # fmt: skip
        nonce = os.urandom(12)
        sealed = nonce + self._aead.encrypt(nonce, payload, b"argocd.oauthstate")
        return base64.urlsafe_b64encode(sealed).decode().rstrip("=")

    def open(self, cookie: str | None, state: str) -> LoginState:
        """The login ``state`` belongs to; raises LoginStateError otherwise. A state can be
        opened once."""
        if not cookie:
            raise LoginStateError(
                "no login in progress in this browser (the login cookie is missing): "
                "start again at /auth/login"
            )
        try:
            raw = base64.urlsafe_b64decode(cookie + "=" * (-len(cookie) % 4))
            payload = json.loads(self._aead.decrypt(raw[:12], raw[12:], b"argocd.oauthstate"))
            login = LoginRequest(str(payload["s"]), str(payload["n"]), str(payload["v"]))
            expires, return_url = int(payload["e"]), str(payload["r"])
        except (binascii.Error, InvalidTag, ValueError, KeyError, TypeError) as exc:
            raise LoginStateError(
                "the login cookie is invalid: start again at /auth/login"
            ) from exc
        now = self._clock()
        if now >= expires:
            raise LoginStateError("the login took too long and expired: start again")
        if not state or not secrets.compare_digest(login.state.encode(), state.encode()):
            raise LoginStateError("the state does not match the login started in this browser")
        self._used = {k: v for k, v in self._used.items() if v > now}
        if login.state in self._used or len(self._used) >= _USED_MAX:
            raise LoginStateError("this login was already completed: start again")
        self._used[login.state] = expires
        return LoginState(login, return_url, expires)
