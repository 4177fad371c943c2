"""Login and its throttle: lockout after Argo CD's 5 failures within 300 s, no bypass by
spelling the name differently, eviction that spares admin, the concurrency cap, uniform
refusals, and the environment settings."""

from __future__ import annotations

import pytest

from kaiun.auth import InvalidLogin, LoginThrottle, LoginThrottled, authenticate, hash_password
from kaiun.settings.accounts import parse_accounts
from kaiun.settings.login_throttle import LoginThrottleSettings, parse_login_throttle

PASSWORD = "correct-password"
HASH = hash_password(PASSWORD, cost=4)


def fullwidth(text: str) -> str:
    """``text`` in fullwidth Latin letters (NFKC folds them back to ASCII)."""
    return "".join(chr(ord(c) + 0xFEE0) for c in text)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


ACCOUNTS = parse_accounts(
    {"accounts.alice": "login", "accounts.ci": "apiKey", "accounts.off": "login"}
    | {"accounts.off.enabled": "false"},
    {
        "admin.password": HASH,
        "accounts.alice.password": HASH,
        "accounts.ci.password": HASH,
        "accounts.off.password": HASH,
    },
)


def _login(throttle: LoginThrottle, user: str, password: str = PASSWORD) -> str:
    return authenticate(user, password, accounts=ACCOUNTS, throttle=throttle).name


def _fail(throttle: LoginThrottle, user: str, times: int = 1) -> None:
    for _ in range(times):
        with pytest.raises(InvalidLogin):
            _login(throttle, user, "wrong")


def test_five_failures_lock_the_user_for_the_window() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock=clock)
    _fail(throttle, "alice", 4)
    assert _login(throttle, "alice") == "alice"
    assert throttle.failures("alice") == 0
    _fail(throttle, "alice", 5)
    with pytest.raises(InvalidLogin, match="Invalid username or password"):
        _login(throttle, "alice")
    assert _login(throttle, "admin") == "admin"
    clock.now += 299
    with pytest.raises(InvalidLogin):
        _login(throttle, "alice")
    clock.now += 1
    assert _login(throttle, "alice") == "alice"


@pytest.mark.parametrize(
    "variants",
    [
        ["Admin", "ADMIN", "aDmIn", "admin ", " admin"],
        ["admin\t", "\nadmin", fullwidth("admin"), fullwidth("A") + "dmin", "admin"],
    ],
)
def test_spelling_variants_share_one_counter(variants: list[str]) -> None:
    throttle = LoginThrottle()
    for name in variants:
        _fail(throttle, name)
    assert throttle.failures("admin") == 5
    with pytest.raises(InvalidLogin):
        _login(throttle, "admin")


@pytest.mark.parametrize("name", ["Admin", "admin ", " admin", fullwidth("admin"), "ALICE"])
def test_variants_do_not_log_in(name: str) -> None:
    with pytest.raises(InvalidLogin):
        _login(LoginThrottle(), name)


def test_flooding_the_table_does_not_free_admin() -> None:
    throttle = LoginThrottle(LoginThrottleSettings(max_cache_size=3))
    _fail(throttle, "admin", 5)
    for i in range(50):
        throttle.failed(f"user-{i}")
    assert throttle.failures("admin") == 5
    with pytest.raises(InvalidLogin):
        _login(throttle, "admin")


def test_the_failing_user_is_not_evicted_by_its_own_failure() -> None:
    throttle = LoginThrottle(LoginThrottleSettings(max_cache_size=2))
    _fail(throttle, "a")
    _fail(throttle, "b")
    _fail(throttle, "b")
    assert throttle.failures("b") == 2


def test_zero_window_keeps_failures_and_zero_max_disables_lockout() -> None:
    clock = Clock()
    forever = LoginThrottle(LoginThrottleSettings(window_seconds=0), clock=clock)
    _fail(forever, "alice", 5)
    clock.now += 10**7
    with pytest.raises(InvalidLogin):
        _login(forever, "alice")
    never = LoginThrottle(LoginThrottleSettings(max_failures=0))
    _fail(never, "alice", 20)
    assert _login(never, "alice") == "alice"


def test_concurrent_login_cap() -> None:
    throttle = LoginThrottle(LoginThrottleSettings(max_concurrent=1))
    refused = pytest.raises(LoginThrottled, match="too many concurrent login requests")
    with throttle.attempt(), refused:
        _login(throttle, "alice")
    assert _login(throttle, "alice") == "alice"


@pytest.mark.parametrize(
    "user",
    ["ghost", "off", "ci", "a" * 33, ""],
    ids=["unknown", "disabled", "no-login-capability", "too-long", "empty"],
)
def test_every_refusal_looks_the_same(user: str) -> None:
    throttle = LoginThrottle()
    with pytest.raises(InvalidLogin) as refused:
        _login(throttle, user)
    assert str(refused.value) == "Invalid username or password"


def test_unknown_users_count_failures_too() -> None:
    throttle = LoginThrottle()
    _fail(throttle, "ghost", 3)
    assert throttle.failures("ghost") == 3


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, LoginThrottleSettings(5, 300, 10000, 50)),
        (
            {
                "ARGOCD_SESSION_FAILURE_MAX_FAIL_COUNT": "3",
                "ARGOCD_SESSION_FAILURE_WINDOW_SECONDS": "60",
                "ARGOCD_SESSION_MAX_CACHE_SIZE": "100",
                "ARGOCD_MAX_CONCURRENT_LOGIN_REQUESTS_COUNT": "10",
            },
            LoginThrottleSettings(3, 60, 100, 10),
        ),
        (
            {"ARGOCD_MAX_CONCURRENT_LOGIN_REQUESTS_COUNT": "50", "ARGOCD_API_SERVER_REPLICAS": "3"},
            LoginThrottleSettings(5, 300, 10000, 16),
        ),
        (
            {"ARGOCD_MAX_CONCURRENT_LOGIN_REQUESTS_COUNT": "0", "ARGOCD_API_SERVER_REPLICAS": "3"},
            LoginThrottleSettings(5, 300, 10000, 0),
        ),
        (
            {"ARGOCD_SESSION_FAILURE_MAX_FAIL_COUNT": "five", "ARGOCD_SESSION_MAX_CACHE_SIZE": "0"},
            LoginThrottleSettings(5, 300, 10000, 50),
        ),
        ({"ARGOCD_SESSION_FAILURE_WINDOW_SECONDS": "-1"}, LoginThrottleSettings(5, 300, 10000, 50)),
    ],
)
def test_settings_from_environment(env: dict[str, str], expected: LoginThrottleSettings) -> None:
    assert parse_login_throttle(env) == expected
