"""Login throttling settings from the environment, with Argo CD's names and defaults.

``ARGOCD_SESSION_FAILURE_MAX_FAIL_COUNT`` (5 failures; 0 turns the lockout off),
``ARGOCD_SESSION_FAILURE_WINDOW_SECONDS`` (300; 0 keeps failures until a success),
``ARGOCD_SESSION_MAX_CACHE_SIZE`` (10000 users tracked) and
``ARGOCD_MAX_CONCURRENT_LOGIN_REQUESTS_COUNT`` (50, shared out over
``ARGOCD_API_SERVER_REPLICAS``). Pure: the caller hands in the environment mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["LoginThrottleSettings", "parse_login_throttle"]


@dataclass(frozen=True)
class LoginThrottleSettings:
    """How many failed logins lock a user out, for how long, and how many logins may run."""

    max_failures: int = 5
    window_seconds: int = 300
    max_cache_size: int = 10000
    max_concurrent: int = 50


def _int(env: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    # Argo CD falls back to the default on a value it cannot read; so do we.
    raw = env.get(name, "").strip()
    try:
        value = int(raw)
    except ValueError:
        return default
    return value if value >= minimum else default


def parse_login_throttle(env: Mapping[str, str]) -> LoginThrottleSettings:
    """LoginThrottleSettings from environment variables (defaults for missing or bad ones)."""
    concurrent = _int(env, "ARGOCD_MAX_CONCURRENT_LOGIN_REQUESTS_COUNT", 50, 0)
    replicas = _int(env, "ARGOCD_API_SERVER_REPLICAS", 1, 1)
    if concurrent > 0:
        concurrent = max(1, concurrent // replicas)
    return LoginThrottleSettings(
        max_failures=_int(env, "ARGOCD_SESSION_FAILURE_MAX_FAIL_COUNT", 5, 0),
        window_seconds=_int(env, "ARGOCD_SESSION_FAILURE_WINDOW_SECONDS", 300, 0),
        max_cache_size=_int(env, "ARGOCD_SESSION_MAX_CACHE_SIZE", 10000, 1),
        max_concurrent=concurrent,
    )
