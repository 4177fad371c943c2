"""Fixtures for ``kaiun app`` tests: a control plane of its own per test, and the CLI."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from click.testing import CliRunner, Result

from kaiun.cli.main import cli
from kaiun.engine import install_control_plane
from kaiun.kube import KubeClient, from_kubeconfig
from kaiun.localcluster import LocalCluster
from tests.integration.controller.conftest import plane  # noqa: F401  (a fixture, re-exported)
from tests.support import Kubectl


async def _install(lc: LocalCluster, namespace: str) -> None:
    async with await KubeClient.connect(from_kubeconfig(lc.kubeconfig)) as client:
        await install_control_plane(client, namespace)


@dataclass
class AppCLI:
    """``kaiun app`` against the local cluster, with the test's control-plane namespace."""

    lc: LocalCluster
    kubectl: Kubectl
    namespace: str

    def __call__(self, *args: str, input: str | None = None) -> Result:
        runner = CliRunner()
        return runner.invoke(
            cli,
            ["app", "--kubeconfig", str(self.lc.kubeconfig), "-n", self.namespace, *args],
            input=input,
            catch_exceptions=False,
        )

    def app(self, name: str) -> dict[str, Any]:
        """The Application as kubectl sees it."""
        out = self.kubectl(
            "get", "applications.argoproj.io", name, "-n", self.namespace, "-o", "json"
        )
        return dict(json.loads(out))

    def exists(self, name: str) -> bool:
        proc = self.kubectl.run(
            "get", "applications.argoproj.io", name, "-n", self.namespace, check=False
        )
        return proc.returncode == 0

    def patch(self, name: str, patch: dict[str, Any]) -> None:
        self.kubectl(
            "patch", "applications.argoproj.io", name, "-n", self.namespace,
            "--type", "merge", "-p", json.dumps(patch),
        )  # fmt: skip


@pytest.fixture
def app_cli(local_cluster: LocalCluster, kubectl: Kubectl) -> AppCLI:
    ns = f"cp-{uuid.uuid4().hex[:8]}"
    asyncio.run(_install(local_cluster, ns))
    return AppCLI(local_cluster, kubectl, ns)


CreateArgs = Callable[..., list[str]]


@pytest.fixture
def guestbook() -> CreateArgs:
    """``app create`` arguments for a plain guestbook app."""

    def args(name: str = "guestbook", *extra: str) -> list[str]:
        return [
            "create", name,
            "--repo", "https://github.com/argoproj/argocd-example-apps.git",
            "--path", "guestbook",
            "--dest-server", "https://kubernetes.default.svc",
            "--dest-namespace", "default",
            *extra,
        ]  # fmt: skip

    return args
