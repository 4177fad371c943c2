"""Fixtures for the kube room's integration tests: a client on the session's local cluster."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import pytest

from kaiun.kube import ClusterConfig, from_kubeconfig
from kaiun.localcluster import LocalCluster

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
    """Run ``coro`` on a fresh event loop, failing (not hanging) after ``timeout``."""

    async def bounded() -> T:
        async with asyncio.timeout(timeout):
            return await coro

    return asyncio.run(bounded())


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
