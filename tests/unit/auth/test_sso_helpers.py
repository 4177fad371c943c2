"""The pieces of an SSO login that need no provider: PKCE, CSPRNG state, the sealed
browser-bound login cookie, and the return-URL check against open redirects."""

from __future__ import annotations

import pytest

from kaiun.auth.loginstate import LOGIN_STATE_SECONDS, LoginStateError, LoginStateSealer
from kaiun.auth.oidc import new_login, pkce_challenge
from kaiun.server.sso import join_token, safe_return_url, split_token

KEY = b"k" * 32


def test_pkce_challenge_is_rfc7636_s256() -> None:
    # RFC 7636 appendix B.
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert pkce_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_each_login_has_fresh_256_bit_values() -> None:
    logins = [new_login() for _ in range(50)]
    for attr in ("state", "nonce", "verifier"):
        values = {getattr(x, attr) for x in logins}
        assert len(values) == 50
        assert all(len(v) >= 43 for v in values)
    assert all(43 <= len(x.verifier) <= 128 for x in logins)


def test_sealed_state_opens_once_in_time_and_only_with_its_state() -> None:
    now = [1_000_000.0]
    sealer = LoginStateSealer(KEY, clock=lambda: now[0])
    login = new_login()
    cookie = sealer.seal(login, "https://cd.example/applications")
    assert login.verifier not in cookie and login.state not in cookie  # encrypted
    with pytest.raises(LoginStateError, match="does not match"):
        sealer.open(cookie, new_login().state)
    opened = sealer.open(cookie, login.state)
    assert opened.login == login and opened.return_url == "https://cd.example/applications"
    with pytest.raises(LoginStateError, match="already completed"):
        sealer.open(cookie, login.state)
    late = new_login()
    cookie = sealer.seal(late, "/")
    now[0] += LOGIN_STATE_SECONDS
    with pytest.raises(LoginStateError, match="expired"):
        sealer.open(cookie, late.state)


def test_a_cookie_sealed_with_another_key_or_altered_is_refused() -> None:
    login = new_login()
    other = LoginStateSealer(b"x" * 32).seal(login, "/")
    with pytest.raises(LoginStateError, match="invalid"):
        LoginStateSealer(KEY).open(other, login.state)
    with pytest.raises(LoginStateError, match="missing"):
        LoginStateSealer(KEY).open(None, login.state)
    with pytest.raises(LoginStateError, match="invalid"):
        LoginStateSealer(KEY).open("!!not-base64!!", login.state)


BASES = ["https://cd.example.com", "https://cd.example.com:8443/argo"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", "https://cd.example.com/"),
        ("/applications", "https://cd.example.com/applications"),
        ("https://cd.example.com/applications?x=1", "https://cd.example.com/applications?x=1"),
        ("https://cd.example.com:8443/argo/apps", "https://cd.example.com:8443/argo/apps"),
        ("https://cd.example.com:8443/other", None),
        ("https://cd.example.com:8443/argonaut", None),
        ("http://cd.example.com/applications", None),
        ("https://evil.example/", None),
        ("//evil.example/", None),
        ("/\\evil.example", None),
        ("https://cd.example.com@evil.example/", None),
        ("javascript:alert(1)", None),
        ("/a\r\nSet-Cookie: x", None),
    ],
)
def test_return_url_must_stay_on_this_server(value: str, expected: str | None) -> None:
    assert safe_return_url(value, BASES) == expected


def test_token_cookies_split_and_join_back() -> None:
    small = "a.b.c"
    assert split_token(small) == [("argocd.token", small)]
    assert join_token({"argocd.token": small}) is None  # nothing to join
    big = "x" * 9000
    cookies = dict(split_token(big))
    assert list(cookies) == ["argocd.token", "argocd.token-1", "argocd.token-2"]
    assert cookies["argocd.token"].startswith("3:")
    assert join_token(cookies) == big
    del cookies["argocd.token-2"]
    assert join_token(cookies) is None  # incomplete: not a token
    assert join_token({"argocd.token": "999:x"}) is None
