"""Fixtures shared by the integration and end-to-end suites."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from kaiun.localcluster import LocalCluster, Options


@dataclass
class Kubectl:
    """Real kubectl pointed at a local cluster's kubeconfig."""

    kubeconfig: Path

    def run(
        self, *args: str, input: str | None = None, check: bool = True, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "KUBECONFIG": str(self.kubeconfig),
            "KUBECACHEDIR": str(self.kubeconfig.parent / "kubectl-cache"),
        }
        proc = subprocess.run(
            ["kubectl", *args],
            input=input,
            capture_output=True,
            text=True,
            env=env,
            timeout=timeout,
            check=False,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"kubectl {' '.join(args)} exited {proc.returncode}\n"
                f"stdout: {proc.stdout}\nstderr: {proc.stderr}"
            )
        return proc

    def __call__(self, *args: str, input: str | None = None) -> str:
        return self.run(*args, input=input).stdout


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
        verify=str(local_cluster.ca),
        headers={"Authorization": f"Bearer {local_cluster.token}"},
        timeout=30,
    ) as client:
        yield client
