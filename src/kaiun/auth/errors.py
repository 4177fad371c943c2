"""Errors of the auth room.

    AuthError
    ├── InvalidLogin         wrong user or password (one message for both: no enumeration)
    ├── LoginThrottled       too many failures or concurrent logins; retry later
    ├── InvalidToken         a JWT that is forged, expired, revoked or meant for someone else
    ├── AccountError         unknown/disabled account, missing capability, password policy
    └── RBACError            a policy that cannot be loaded

Messages never hold a password, a token or a hash.
"""

from __future__ import annotations

__all__ = [
    "AccountError",
    "AuthError",
    "InvalidLogin",
    "InvalidToken",
    "LoginThrottled",
    "RBACError",
]


class AuthError(Exception):
    """Base of the auth room's errors."""


class InvalidLogin(AuthError):
    """Wrong username or password."""

    def __init__(self) -> None:
        super().__init__("Invalid username or password")


class LoginThrottled(AuthError):
    """Logins are refused for a while (too many failures, or too many at once)."""


class InvalidToken(AuthError):
    """A token that must not be accepted."""


class AccountError(AuthError):
    """An account operation that cannot be done as asked."""


class RBACError(AuthError):
    """An RBAC policy that cannot be loaded."""
