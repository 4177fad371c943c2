"""Fixtures for the auth room's integration tests: the session's local cluster via kubeconfig."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from kaiun.kube import ClusterConfig, from_kubeconfig
from kaiun.localcluster import LocalCluster


@pytest.fixture
def kube_config(local_cluster: LocalCluster) -> ClusterConfig:
    """Connection settings read from the local cluster's kubeconfig."""
    return from_kubeconfig(local_cluster.kubeconfig)


@pytest.fixture(autouse=True)
def _no_leaked_sockets() -> Iterator[None]:
    """Collect garbage after each test so a socket left open fails the test that leaked it."""
    yield
    gc.collect()
