"""Fixtures for the kube room's integration tests: a client on the session's local cluster."""

from __future__ import annotations

import asyncio
import gc
import ssl
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from kaiun.kube import ClusterConfig, from_kubeconfig
from kaiun.kube.transport import https_transport
from kaiun.localcluster import LocalCluster

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
    """Run ``coro`` on a fresh event loop, failing (not hanging) after ``timeout``."""

    async def bounded() -> T:
        async with asyncio.timeout(timeout):
            return await coro

    return asyncio.run(bounded())


class InterceptingTransport(httpx.AsyncBaseTransport):
    """Real HTTPS to the local cluster, except the requests ``intercept`` answers itself.

    Subclasses play what the local cluster cannot (RBAC denials, expired watches...).
    """

    def __init__(self, ca: Path) -> None:
        self.inner = https_transport(ssl.create_default_context(cafile=str(ca)))

    def intercept(self, request: httpx.Request) -> httpx.Response | None:
        """An answer of our own for ``request``, or None to pass it to the cluster."""
        return None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        answer = self.intercept(request)
        return answer if answer is not None else await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def status_response(code: int, reason: str, message: str) -> httpx.Response:
    """An API ``Status`` failure answer, as the API server sends it."""
    body = {"kind": "Status", "status": "Failure", "reason": reason, "code": code}
    return httpx.Response(code, json={**body, "message": message})


@pytest.fixture
def kube_config(local_cluster: LocalCluster) -> ClusterConfig:
    """Connection settings read from the local cluster's kubeconfig."""
    return from_kubeconfig(local_cluster.kubeconfig)


@pytest.fixture(autouse=True)
def _no_leaked_sockets() -> Iterator[None]:
    """Collect garbage after each test, so a socket this test left unclosed fails this test
    (pytest turns the ResourceWarning into an error) instead of whichever test runs next."""
    yield
    gc.collect()
