"""Fixtures for the Application controller: a control plane per test, a real git repo, and
the controller running in a background thread against the session's local cluster."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kaiun.controllers.application import ApplicationController
from kaiun.engine import install_control_plane
from kaiun.kube import KubeClient, from_kubeconfig
from kaiun.localcluster import LocalCluster
from kaiun.repo import RepoService
from kaiun.settings.controller import ControllerSettings
from tests.integration.repo.repo_testkit import GitRepo
from tests.support import Kubectl, wait_for

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
      - name: main
        image: {image}
"""

CONFIGMAP = """apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}
data:
  key: {value}
"""


def deployment(name: str, replicas: int = 1, image: str = "nginx:1.27") -> str:
    return DEPLOYMENT.format(name=name, replicas=replicas, image=image)


def configmap(name: str, value: str = "v1") -> str:
    return CONFIGMAP.format(name=name, value=value)


class ControllerRunner:
    """An ApplicationController on its own event loop in a thread (stoppable, restartable)."""

    def __init__(
        self,
        kubeconfig: Path,
        namespace: str,
        work_dir: Path,
        adjust: Callable[[ControllerSettings], ControllerSettings],
        revision_cache_seconds: float = 0,
        **controller_args: Any,
    ) -> None:
        self.revision_cache_seconds = revision_cache_seconds
        self.controller_args = controller_args
        self.controller: ApplicationController | None = None
        self.kubeconfig = kubeconfig
        self.namespace = namespace
        self.work_dir = work_dir
        self.adjust = adjust
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._started = threading.Event()
        self.error: BaseException | None = None

    def start(self) -> None:
        self._started.clear()
        self._thread = threading.Thread(target=self._main, name="controller", daemon=True)
        self._thread.start()
        if not self._started.wait(60):
            raise AssertionError(f"controller did not start: {self.error!r}")
        if self.error is not None:
            raise AssertionError(f"controller failed to start: {self.error!r}")

    def _main(self) -> None:
        try:
            asyncio.run(self._run())
        except BaseException as exc:
            self.error = exc
            self._started.set()

    async def _run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with await KubeClient.connect(from_kubeconfig(self.kubeconfig)) as client:
            repo = RepoService(self.work_dir, revision_cache_seconds=self.revision_cache_seconds)
            controller = ApplicationController(
                client, repo, self.namespace, settings=self.adjust, **self.controller_args
            )
            self.controller = controller
            await controller.start()
            self._started.set()
            try:
                await self._stop.wait()
            finally:
                await controller.stop()

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(60)
        self._thread = None


@dataclasses.dataclass
class Plane:
    """One test's control plane: its namespace, git repo, destination namespace, kubectl."""

    namespace: str
    dest: str
    repo: GitRepo
    kubectl: Kubectl
    runner: ControllerRunner

    def app_yaml(
        self,
        name: str,
        *,
        path: str = "app",
        automated: dict[str, Any] | None = None,
        extra_spec: str = "",
        project: str = "default",
        finalizer: bool = False,
        dest_namespace: str | None = None,
    ) -> str:
        policy = ""
        if automated is not None:
            policy = f"  syncPolicy:\n    automated: {json.dumps(automated)}\n"
        fin = "  finalizers: [resources-finalizer.argocd.argoproj.io]\n" if finalizer else ""
        return (
            f"apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n"
            f"  name: {name}\n  namespace: {self.namespace}\n{fin}"
            f"spec:\n  project: {project}\n"
            f"  source:\n    repoURL: {self.repo.url}\n    path: {path}\n"
            f"    targetRevision: main\n"
            f"  destination:\n    server: https://kubernetes.default.svc\n"
            f"    namespace: {dest_namespace or self.dest}\n{policy}{extra_spec}"
        )

    def apply(self, text: str) -> None:
        self.kubectl("apply", "-f", "-", input=text)

    def app(self, name: str) -> dict[str, Any]:
        out = self.kubectl("get", "application", name, "-n", self.namespace, "-o", "json")
        return dict(json.loads(out))

    def wait_app(
        self, name: str, predicate: Callable[[dict[str, Any]], object], timeout: float = 60
    ) -> dict[str, Any]:
        def check() -> dict[str, Any] | None:
            app = self.app(name)
            return app if predicate(app) else None

        try:
            return wait_for(check, timeout=timeout, interval=0.2, what=f"app {name}")
        except AssertionError as exc:
            state = json.dumps(self.app(name), indent=1)
            raise AssertionError(f"{exc}\nlast state: {state}") from exc

    def get(self, kind: str, name: str) -> dict[str, Any] | None:
        proc = self.kubectl.run("get", kind, name, "-n", self.dest, "-o", "json", check=False)
        return dict(json.loads(proc.stdout)) if proc.returncode == 0 else None


def synced_healthy(app: dict[str, Any]) -> bool:
    status = app.get("status") or {}
    return (status.get("sync") or {}).get("status") == "Synced" and (
        status.get("health") or {}
    ).get("status") == "Healthy"


def fast(cs: ControllerSettings) -> ControllerSettings:
    """Short resync and no wave delay, so tests do not wait on timers."""
    return dataclasses.replace(
        cs, resync_seconds=2.0, resync_jitter_seconds=0.5, wave_delay=0.0, status_processors=4
    )


async def _install(kubeconfig: Path, namespace: str) -> None:
    async with await KubeClient.connect(from_kubeconfig(kubeconfig)) as client:
        await install_control_plane(client, namespace)


@pytest.fixture
def plane(local_cluster: LocalCluster, kubectl: Kubectl, tmp_path: Path) -> Iterator[Plane]:
    """A fresh control plane with a running controller; stopped after the test."""
    suffix = uuid.uuid4().hex[:6]
    namespace = f"argocd-{suffix}"
    dest = f"dest-{suffix}"
    asyncio.run(_install(local_cluster.kubeconfig, namespace))
    kubectl("create", "namespace", dest)
    repo = GitRepo(tmp_path / "origin")
    runner = ControllerRunner(local_cluster.kubeconfig, namespace, tmp_path / "work", fast)
    runner.start()
    plane = Plane(namespace, dest, repo, kubectl, runner)
    try:
        yield plane
    finally:
        plane.runner.stop()  # the test may have replaced it (restart scenarios)
        gc.collect()
