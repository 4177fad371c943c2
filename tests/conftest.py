"""Fixtures shared by the integration and end-to-end suites."""

from __future__ import annotations

import ssl
import uuid
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import settings

from kaiun.localcluster import LocalCluster, Options
from tests.support import Kubectl

# Tests do not time things: hypothesis's per-example deadline would turn a loaded CI machine
# into failures, so it is off; example counts stay as each test sets them.
settings.register_profile("kaiun", deadline=None)
settings.load_profile("kaiun")


@pytest.fixture(scope="session")
def local_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """One in-memory local cluster for the whole session (tests use their own namespaces)."""
    lc = LocalCluster(
        Options(
            data_dir=None,
            pod_ready_delay=0.2,
            kubeconfig=tmp_path_factory.mktemp("kube") / "config",
        )
    )
    lc.start()
    try:
        yield lc
    finally:
        lc.stop()


@pytest.fixture(scope="session")
def kubectl(local_cluster: LocalCluster) -> Kubectl:
    return Kubectl(local_cluster.kubeconfig)


@pytest.fixture
def namespace(kubectl: Kubectl) -> str:
    """A fresh namespace for one test."""
    name = f"t-{uuid.uuid4().hex[:8]}"
    kubectl(
        "create", "-f", "-", input=f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n"
    )
    return name


@pytest.fixture
def api(local_cluster: LocalCluster) -> Iterator[httpx.Client]:
    """An HTTPS client for the local cluster's REST API, authenticated with its token."""
    with httpx.Client(
        base_url=local_cluster.url,
        verify=ssl.create_default_context(cafile=str(local_cluster.ca)),
        headers={"Authorization": f"Bearer {local_cluster.token}"},
        timeout=30,
    ) as client:
        yield client
