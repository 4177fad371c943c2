"""The web UI served by a real API server (``kaiun.cli.server.run_api_server``, which mounts
``kaiun.ui``) with kaiun.auth accounts and RBAC, over its own namespace of the local cluster."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kaiun.localcluster import LocalCluster
from tests.integration.server.authserver import AuthServer, auth_server


def application(name: str, project: str = "default", **status: Any) -> dict[str, Any]:
    """An Application object (status written directly: the CRD has no status subresource)."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name},
        "spec": {
            "project": project,
            "source": {"repoURL": "https://example.com/repo.git", "path": name},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": name},
        },
        "status": status,
    }


@pytest.fixture(scope="module")
def ui(local_cluster: LocalCluster) -> Iterator[AuthServer]:
    """A running API server with the UI; admin's token in ``tokens['admin']``."""
    with auth_server(local_cluster) as server:
        yield server
