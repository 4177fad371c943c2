"""Login failure counts that survive a restart (GHSA-x32m-mvfj-52xv: a crash used to reset
Argo CD's in-memory counter and with it the brute-force protection).

``ClusterFailureStore`` is a ``kaiun.auth.FailureStore`` kept in memory and written through
to ConfigMap ``kaiun-login-failures`` (key: the hex of the counted name, value:
``COUNT,LAST_FAILED``; admin and the 2,000 latest names). The throttle calls it from
login worker threads; each change is written on the server's event loop before the login
answers, so no failure is lost.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from kaiun.auth.throttle import LoginFailures
from kaiun.kube import KubeClient
from kaiun.kube import errors as kerrors
from kaiun.settings.accounts import ADMIN

log = logging.getLogger(__name__)

FAILURES_CM = "kaiun-login-failures"
_WRITE_TIMEOUT = 10.0
_RETRIES = 5
MAX_PERSISTED = 2000


def _encode(key: str) -> str:
    return key.encode().hex()


def _decode(name: str) -> str | None:
    try:
        return bytes.fromhex(name).decode()
    except ValueError:
        return None


def _parse(value: Any) -> LoginFailures | None:
    count, _, last = str(value).partition(",")
    try:
        return LoginFailures(int(count), float(last))
    except ValueError:
        return None


class ClusterFailureStore:
    """A FailureStore in memory, persisted to a ConfigMap of the server's namespace."""

    def __init__(self, client: KubeClient, namespace: str) -> None:
        self.client = client
        self.namespace = namespace
        self._data: dict[str, LoginFailures] = {}
        self._mutex = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def __repr__(self) -> str:
        return f"ClusterFailureStore(namespace={self.namespace!r})"

    async def load(self) -> None:
        """Read the stored counts; later changes are written through on this loop."""
        self._loop = asyncio.get_running_loop()
        try:
            cm = await self.client.get("v1", "ConfigMap", FAILURES_CM, self.namespace)
        except kerrors.NotFound:
            return
        with self._mutex:
            for name, value in (cm.get("data") or {}).items():
                key, failures = _decode(name), _parse(value)
                if key is not None and failures is not None:
                    self._data[key] = failures

    def get(self, key: str) -> LoginFailures | None:
        """The failures recorded for ``key``."""
        with self._mutex:
            return self._data.get(key)

    def put(self, key: str, failures: LoginFailures) -> None:
        """Record failures for ``key`` (and persist them)."""
        with self._mutex:
            self._data[key] = failures
        self._persist()

    def delete(self, key: str) -> None:
        """Forget ``key`` (and persist that)."""
        with self._mutex:
            if self._data.pop(key, None) is None:
                return
        self._persist()

    def names(self) -> list[str]:
        """Every key recorded."""
        with self._mutex:
            return list(self._data)

    def _persist(self) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            # Called on the loop itself (not from a login thread): write in the background.
            task = loop.create_task(self._write())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return
        future = asyncio.run_coroutine_threadsafe(self._write(), loop)
        try:
            future.result(timeout=_WRITE_TIMEOUT)
        except Exception as exc:  # the count still holds in memory
            log.warning("login failures not persisted: %s", type(exc).__name__)

    async def _write(self) -> None:
        with self._mutex:
            # A flood of made-up names must not outgrow a ConfigMap (1 MiB): persist admin
            # and the most recent failures; memory still holds them all.
            ranked = sorted(self._data.items(), key=lambda kv: -kv[1].last_failed)
            kept = [kv for kv in ranked if kv[0] == ADMIN] + [
                kv for kv in ranked if kv[0] != ADMIN
            ][:MAX_PERSISTED]
            data = {_encode(k): f"{v.count},{v.last_failed:.3f}" for k, v in kept}
        for _ in range(_RETRIES):
            try:
                cm = await self.client.get("v1", "ConfigMap", FAILURES_CM, self.namespace)
            except kerrors.NotFound:
                meta = {"name": FAILURES_CM, "namespace": self.namespace}
                try:
                    await self.client.create(
                        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}
                    )
                    return
                except kerrors.AlreadyExists:
                    continue
            try:
                await self.client.replace({**cm, "data": data})
                return
            except kerrors.Conflict:
                continue
