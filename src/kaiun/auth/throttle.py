"""Login throttling: per-user failure counts with a lockout window, and a cap on logins in
flight at once — Argo CD's rules, hardened against its advisories.

- Failures are keyed by the NFKC-normalised, trimmed, case-folded username, so ``Admin``,
  `` admin`` and fullwidth ``admin`` share one counter with ``admin`` (no bypass by spelling).
- When the table is full a random entry is evicted, never ``admin`` nor the user now failing
  (GHSA-2vgg-9h6w-m454: flooding the table must not clear the admin's count).
- The table sits behind ``FailureStore`` so a server can keep it in a shared store that
  survives restarts (GHSA-x32m-mvfj-52xv); ``MemoryFailureStore`` is the in-process one.
"""

from __future__ import annotations

import secrets
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from kaiun.auth.errors import InvalidLogin, LoginThrottled
from kaiun.settings.accounts import ADMIN
from kaiun.settings.login_throttle import LoginThrottleSettings

__all__ = ["FailureStore", "LoginFailures", "LoginThrottle", "MemoryFailureStore", "user_key"]


def user_key(username: str) -> str:
    """The key failures are counted under: every spelling of a name counts as one."""
    return unicodedata.normalize("NFKC", username).strip().casefold()


@dataclass(frozen=True)
class LoginFailures:
    """Failed logins of one user: how many, and when the last one was (epoch seconds)."""

    count: int
    last_failed: float


class FailureStore(Protocol):
    """Where failure counts live (in memory, or shared between server replicas)."""

    def get(self, key: str) -> LoginFailures | None:
        """The failures recorded for ``key``."""

    def put(self, key: str, failures: LoginFailures) -> None:
        """Record failures for ``key``."""

    def delete(self, key: str) -> None:
        """Forget ``key``."""

    def names(self) -> list[str]:
        """Every key recorded."""


class MemoryFailureStore:
    """An in-process FailureStore."""

    def __init__(self) -> None:
        self._data: dict[str, LoginFailures] = {}

    def get(self, key: str) -> LoginFailures | None:
        """The failures recorded for ``key``."""
        return self._data.get(key)

    def put(self, key: str, failures: LoginFailures) -> None:
        """Record failures for ``key``."""
        self._data[key] = failures

    def delete(self, key: str) -> None:
        """Forget ``key``."""
        self._data.pop(key, None)

    def names(self) -> list[str]:
        """Every key recorded."""
        return list(self._data)


class LoginThrottle:
    """Decides whether a login may be tried, and learns from its outcome."""

    def __init__(
        self,
        settings: LoginThrottleSettings | None = None,
        *,
        store: FailureStore | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings or LoginThrottleSettings()
        self._store: FailureStore = store if store is not None else MemoryFailureStore()
        self._clock = clock
        self._in_flight = 0
        # Logins run in worker threads (bcrypt is slow): the counters are shared.
        self._lock = threading.Lock()

    def _live(self, failures: LoginFailures | None) -> LoginFailures | None:
        window = self.settings.window_seconds
        if failures is None or (window and self._clock() - failures.last_failed >= window):
            return None
        return failures

    def locked(self, username: str) -> bool:
        """Whether ``username`` has failed too often within the window."""
        limit = self.settings.max_failures
        failures = self._live(self._store.get(user_key(username)))
        return limit > 0 and failures is not None and failures.count >= limit

    def check(self, username: str) -> None:
        """Raise InvalidLogin (the same answer as a wrong password) while locked out."""
        if self.locked(username):
            raise InvalidLogin()

    def failed(self, username: str) -> None:
        """Count one failed login of ``username``."""
        key = user_key(username)
        self._expire()
        if (
            self._store.get(key) is None
            and len(self._store.names()) >= self.settings.max_cache_size
        ):
            self._evict(keep=key)
        previous = self._live(self._store.get(key))
        count = previous.count + 1 if previous else 1
        self._store.put(key, LoginFailures(count, self._clock()))

    def succeeded(self, username: str) -> None:
        """Clear ``username``'s failures after a good login."""
        with self._lock:
            self._store.delete(user_key(username))

    def failures(self, username: str) -> int:
        """Failures of ``username`` still within the window."""
        failures = self._live(self._store.get(user_key(username)))
        return failures.count if failures else 0

    def _expire(self) -> None:
        if not self.settings.window_seconds:
            return
        for key in self._store.names():
            if self._live(self._store.get(key)) is None:
                self._store.delete(key)

    def _evict(self, *, keep: str) -> None:
        candidates = [k for k in self._store.names() if k not in (ADMIN, keep)]
        if candidates:
            self._store.delete(secrets.choice(candidates))

    @contextmanager
    def attempt(self) -> Iterator[None]:
        """Hold one of the concurrent-login slots for the duration of a login."""
        limit = self.settings.max_concurrent
        with self._lock:
            if limit and self._in_flight >= limit:
                raise LoginThrottled(
                    f"too many concurrent login requests (limit {limit}): try again shortly"
                )
            self._in_flight += 1
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1
