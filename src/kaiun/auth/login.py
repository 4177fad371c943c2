"""Username/password login against the local accounts, behind the login throttle.

Every refusal — unknown user, wrong password, disabled account, no ``login`` capability,
too-long name, locked out — is the same InvalidLogin, so a caller learns nothing about which
accounts exist (CVE-2020-11576). bcrypt is slow on purpose: servers run this in a thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from kaiun.auth import passwords
from kaiun.auth.errors import InvalidLogin
from kaiun.auth.throttle import LoginThrottle
from kaiun.settings.accounts import MAX_USERNAME_LENGTH, Account

__all__ = ["authenticate"]


@cache
def _dummy_hash() -> str:
    # Checked against when the user does not exist, so both paths cost one bcrypt verify.
    return passwords.hash_password("kaiun-no-such-user", cost=passwords.DEFAULT_COST)


def authenticate(
    username: str, password: str, *, accounts: Mapping[str, Account], throttle: LoginThrottle
) -> Account:
    """The account ``username`` if ``password`` is its password and it may log in; else
    InvalidLogin (LoginThrottled when too many logins run at once)."""
    if not username or len(username) > MAX_USERNAME_LENGTH:
        raise InvalidLogin()
    with throttle.attempt():
        throttle.check(username)
        account = accounts.get(username)
        usable = account is not None and account.enabled and account.can("login")
        hashed = account.password_hash if account is not None and usable else _dummy_hash()
        if not passwords.verify_password(password, hashed) or not usable or account is None:
            throttle.failed(username)
            raise InvalidLogin()
        throttle.succeeded(username)
        return account
