"""Local accounts from argocd-cm + argocd-secret, token records and the password policy,
from fixture tables."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from kaiun.settings import accounts as acc

FIXTURES = Path(__file__).parent / "fixtures"
ACCOUNTS = yaml.safe_load((FIXTURES / "accounts.yaml").read_text())
POLICY = yaml.safe_load((FIXTURES / "password_policy.yaml").read_text())


@pytest.mark.parametrize("case", ACCOUNTS, ids=[c["name"] for c in ACCOUNTS])
def test_parse_accounts(case: dict[str, Any]) -> None:
    cm, secret = case["cm"], case.get("secret") or {}
    if "error" in case:
        with pytest.raises(acc.AccountSettingsError, match=case["error"].replace("(", r"\(")):
            acc.parse_accounts(cm, secret)
        return
    parsed = acc.parse_accounts(cm, secret)
    got = [
        [
            a.name,
            a.enabled,
            list(a.capabilities),
            a.password_hash,
            acc.format_mtime(a.password_mtime) if a.password_mtime else None,
            [t.id for t in a.tokens],
        ]
        for a in sorted(parsed.values(), key=lambda a: a.name)
    ]
    assert got == case["accounts"]


@pytest.mark.parametrize(("pattern", "password", "accepted"), POLICY)
def test_password_policy(pattern: str | None, password: str, accepted: bool) -> None:
    cm = {"passwordPattern": pattern} if pattern else {}
    effective = acc.password_pattern(cm)
    if pattern is None:
        assert effective == "^.{8,32}$"
    if accepted:
        acc.check_password(password, effective)
    else:
        with pytest.raises(acc.PasswordPolicyError, match="password policy"):
            acc.check_password(password, effective)


def test_broken_password_pattern_is_reported() -> None:
    with pytest.raises(acc.PasswordPolicyError, match="not a valid regex"):
        acc.check_password("whatever1", "([")


def test_token_records_round_trip() -> None:
    tokens = (acc.AccountToken("a", 10), acc.AccountToken("b", 20, 30))
    text = acc.encode_tokens(tokens)
    assert text == '[{"id":"a","iat":10},{"id":"b","iat":20,"exp":30}]'
    assert acc.parse_tokens(text, "k") == tokens
    assert acc.parse_tokens("", "k") == ()
    assert not tokens[0].expired(10**12)
    assert not tokens[1].expired(29)
    assert tokens[1].expired(30)


def test_secret_keys_and_mtimes() -> None:
    assert acc.secret_keys("admin") == acc.SecretKeys(
        "admin.password", "admin.passwordMtime", "admin.tokens"
    )
    assert acc.secret_keys("bob").tokens == "accounts.bob.tokens"
    when = datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert acc.format_mtime(when) == "2026-05-06T07:08:09Z"
    assert acc.parse_mtime("2026-05-06T07:08:09Z") == when
    assert acc.parse_mtime("2026-05-06T07:08:09") == when
    assert acc.parse_mtime("2026-05-06T09:08:09+02:00") == when
