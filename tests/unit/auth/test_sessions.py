"""JWT sessions and tokens: what is issued, and every way a token must be refused
(forged signature, alg none, other algorithms, expiry, issuer, audience, times, revocation,
password changes, disabled accounts, project tokens)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest

from kaiun.auth import InvalidToken, SessionManager
from kaiun.settings.accounts import format_mtime, parse_accounts

KEY = b"k" * 64
NOW = 1_800_000_000


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _manager(clock: Clock | None = None) -> SessionManager:
    return SessionManager(KEY, clock=clock or Clock())


def _accounts(**secret: str) -> dict[str, Any]:
    cm = {"accounts.ci": "apiKey", "accounts.alice": "login, apiKey", "accounts.off": "login"}
    cm["accounts.off.enabled"] = "false"
    return parse_accounts(cm, secret)


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_issued_claims_are_argo_cds() -> None:
    token = _manager().create("alice:login", expires_in=3600, token_id="t1")
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert header["alg"] == "HS256"
    assert claims == {
        "iss": "argocd",
        "sub": "alice:login",
        "iat": NOW,
        "nbf": NOW,
        "exp": NOW + 3600,
        "jti": "t1",
    }


def test_a_good_login_session_verifies() -> None:
    manager = _manager()
    principal = manager.verify(manager.create("alice:login"), accounts=_accounts())
    assert (principal.subject, principal.account, principal.capability) == (
        "alice",
        "alice",
        "login",
    )
    bare = manager.verify(manager.create("admin", token_id=""), accounts=_accounts())
    assert bare.subject == "admin"
    assert bare.token_id is None


def _forged(claims: dict[str, Any], *, key: bytes = KEY, alg: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=alg)


BASE = {"iss": "argocd", "sub": "admin:login", "iat": NOW - 10, "nbf": NOW - 10}


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (_forged(BASE, key=b"x" * 64), "signature does not match"),
        (_forged(BASE, alg="HS512"), "algorithm not allowed"),
        (_forged(BASE, alg="HS384"), "algorithm not allowed"),
        (_b64({"alg": "none", "typ": "JWT"}) + "." + _b64(BASE) + ".", "algorithm not allowed"),
        (_b64({"alg": "none", "typ": "JWT"}) + "." + _b64(BASE), "malformed"),
        (_forged({**BASE, "exp": NOW - 1}), "expired"),
        (_forged({**BASE, "exp": NOW}), "expired"),
        (_forged({**BASE, "nbf": NOW + 60}), "not valid yet"),
        (_forged({**BASE, "iat": NOW + 60}), "not valid yet"),
        (_forged({**BASE, "iss": "https://dex.example.com"}), "wrong issuer"),
        (_forged({k: v for k, v in BASE.items() if k != "iss"}), "missing claim iss"),
        (_forged({k: v for k, v in BASE.items() if k != "iat"}), "missing claim iat"),
        (_forged({**BASE, "aud": "another-client"}), "wrong audience"),
        (_forged({**BASE, "exp": "tomorrow"}), "exp must be a number"),
        (_forged({**BASE, "sub": ""}), "sub is required"),
        ("not-a-jwt", "malformed"),
        ("", "malformed"),
    ],
)
def test_forged_and_invalid_tokens_are_refused(token: str, message: str) -> None:
    with pytest.raises(InvalidToken, match=message):
        _manager().verify(token, accounts=_accounts())


def test_tampered_payload_with_the_old_signature_is_refused() -> None:
    manager = _manager()
    header, _, signature = manager.create("alice:login").split(".")
    payload = _b64({**BASE, "sub": "admin:login"})
    with pytest.raises(InvalidToken, match="signature"):
        manager.verify(f"{header}.{payload}.{signature}", accounts=_accounts())


def test_audience_is_checked_when_the_caller_names_one() -> None:
    manager = _manager()
    token = _forged({**BASE, "aud": ["argocd", "cli"]})
    assert manager.parse(token, audience="cli")["sub"] == "admin:login"
    with pytest.raises(InvalidToken, match="wrong audience"):
        manager.parse(token, audience="web")
    with pytest.raises(InvalidToken, match="missing claim aud"):
        manager.parse(_forged(BASE), audience="cli")


def test_expiry_follows_the_clock() -> None:
    clock = Clock()
    manager = _manager(clock)
    token = manager.create("alice:login", expires_in=60)
    assert manager.verify(token, accounts=_accounts()).account == "alice"
    clock.now += 59
    assert manager.verify(token, accounts=_accounts()).account == "alice"
    clock.now += 1
    with pytest.raises(InvalidToken, match="expired"):
        manager.verify(token, accounts=_accounts())


def test_sessions_before_a_password_change_are_refused() -> None:
    clock = Clock()
    manager = _manager(clock)
    old = manager.create("alice:login")
    changed = format_mtime(datetime.fromtimestamp(NOW + 5, UTC))
    clock.now += 10
    accounts = _accounts(**{"accounts.alice.passwordMtime": changed})
    with pytest.raises(InvalidToken, match="password has changed"):
        manager.verify(old, accounts=accounts)
    fresh = manager.create("alice:login")
    assert manager.verify(fresh, accounts=accounts).account == "alice"


@pytest.mark.parametrize(
    ("sub", "message"),
    [
        ("off:login", "disabled or does not exist"),
        ("ghost:login", "disabled or does not exist"),
        ("ci:login", "does not have the login capability"),
        ("admin:apiKey", "does not have the apiKey capability"),
        ("alice:root", "unknown subject"),
    ],
)
def test_account_state_is_checked(sub: str, message: str) -> None:
    manager = _manager()
    with pytest.raises(InvalidToken, match=message):
        manager.verify(manager.create(sub), accounts=_accounts())


def test_api_tokens_live_while_their_record_does() -> None:
    clock = Clock()
    manager = _manager(clock)
    token = manager.create("ci:apiKey", token_id="tok-1", expires_in=0)
    record = json.dumps([{"id": "tok-1", "iat": NOW}])
    principal = manager.verify(token, accounts=_accounts(**{"accounts.ci.tokens": record}))
    assert (principal.account, principal.capability, principal.token_id) == (
        "ci",
        "apiKey",
        "tok-1",
    )
    with pytest.raises(InvalidToken, match="revoked"):
        manager.verify(token, accounts=_accounts(**{"accounts.ci.tokens": "[]"}))
    other = json.dumps([{"id": "tok-2", "iat": NOW}])
    with pytest.raises(InvalidToken, match="revoked"):
        manager.verify(token, accounts=_accounts(**{"accounts.ci.tokens": other}))
    expiring = json.dumps([{"id": "tok-1", "iat": NOW, "exp": NOW + 5}])
    clock.now += 5
    with pytest.raises(InvalidToken, match="expired"):
        manager.verify(token, accounts=_accounts(**{"accounts.ci.tokens": expiring}))


def test_revoked_callback_refuses_logged_out_sessions() -> None:
    manager = _manager()
    token = manager.create("alice:login", token_id="s-1")
    with pytest.raises(InvalidToken, match="revoked"):
        manager.verify(token, accounts=_accounts(), revoked={"s-1"}.__contains__)
    assert manager.verify(token, accounts=_accounts(), revoked=set().__contains__).account


def _project(tokens: list[dict[str, Any]], status: dict[str, Any] | None = None) -> Any:
    project = {
        "metadata": {"name": "team"},
        "spec": {"roles": [{"name": "ci", "jwtTokens": tokens}, {"name": "other"}]},
    }
    if status:
        project["status"] = {"jwtTokensByRole": status}
    return {"team": project}.get


def test_project_role_tokens() -> None:
    manager = _manager()
    token = manager.create("proj:team:ci", token_id="p-1")
    principal = manager.verify(token, accounts={}, projects=_project([{"id": "p-1", "iat": NOW}]))
    assert (principal.subject, principal.project, principal.role) == ("proj:team:ci", "team", "ci")
    in_status = _project([], {"ci": {"items": [{"id": "p-1", "iat": NOW}]}})
    assert manager.verify(token, accounts={}, projects=in_status).role == "ci"
    with pytest.raises(InvalidToken, match="revoked"):
        manager.verify(token, accounts={}, projects=_project([]))
    with pytest.raises(InvalidToken, match="revoked"):
        other_role = manager.create("proj:team:other", token_id="p-1")
        manager.verify(other_role, accounts={}, projects=_project([{"id": "p-1", "iat": NOW}]))
    with pytest.raises(InvalidToken, match="does not exist"):
        manager.verify(manager.create("proj:gone:ci"), accounts={}, projects=_project([]))
    with pytest.raises(InvalidToken, match="malformed"):
        manager.verify(manager.create("proj:team"), accounts={}, projects=_project([]))


def test_project_tokens_without_jti_match_by_iat() -> None:
    manager = _manager()
    token = manager.create("proj:team:ci", token_id="")
    assert manager.verify(token, accounts={}, projects=_project([{"iat": NOW}])).role == "ci"
    with pytest.raises(InvalidToken, match="revoked"):
        manager.verify(token, accounts={}, projects=_project([{"iat": NOW - 1}]))


def test_short_keys_are_refused_and_reprs_hide_keys() -> None:
    with pytest.raises(ValueError, match="too short"):
        SessionManager(b"")
    assert "k" * 64 not in repr(_manager())
    token = _manager().create("alice:login")
    principal = _manager().verify(token, accounts=_accounts())
    assert token not in repr(principal)
