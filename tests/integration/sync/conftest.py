"""Fixtures for the sync engine's integration tests: a kube client on the local cluster and
a runner that syncs manifests the way the application controller will."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest

from kaiun.engine import SyncContext, prepare_targets, run_operation
from kaiun.kube import ClusterConfig, KubeClient, from_kubeconfig
from kaiun.localcluster import LocalCluster

T = TypeVar("T")
Obj = dict[str, Any]


def run(coro: Coroutine[Any, Any, T], timeout: float = 90) -> T:
    """Run ``coro`` on a fresh event loop, failing (not hanging) after ``timeout``."""

    async def bounded() -> T:
        async with asyncio.timeout(timeout):
            return await coro

    return asyncio.run(bounded())


@pytest.fixture
def kube_config(local_cluster: LocalCluster) -> ClusterConfig:
    return from_kubeconfig(local_cluster.kubeconfig)


@pytest.fixture(autouse=True)
def _no_leaked_sockets() -> Iterator[None]:
    yield
    gc.collect()


@dataclass
class Recorder:
    """Collects every persisted operation state and every injected sleep."""

    states: list[Obj] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)

    async def persist(self, state: Obj) -> None:
        self.states.append(state)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


async def sync_app(
    config: ClusterConfig,
    manifests: Sequence[Obj],
    *,
    namespace: str,
    app: str = "app",
    live: Sequence[Obj] = (),
    sync: Obj | None = None,
    sync_policy: Obj | None = None,
    retry: Obj | None = None,
    recorder: Recorder | None = None,
    state: Obj | None = None,
    terminate_requested: Callable[[], bool] = lambda: False,
    wave_delay: float = 0.0,
    ignore_differences: Sequence[Obj] = (),
    prune_confirmed: Callable[[], bool] = lambda: False,
) -> Obj:
    """Prepare ``manifests`` and run one sync operation; returns the final operationState."""
    rec = recorder or Recorder()
    async with await KubeClient.connect(config) as client:
        ctx = SyncContext(
            client=client,
            app_name=app,
            app_namespace="argocd",
            destination_namespace=namespace,
            wave_delay=wave_delay,
        )
        desired = await prepare_targets(ctx, manifests)
        operation: Obj = {"sync": {"revision": "abc1234def", **(sync or {})}}
        if retry is not None:
            operation["retry"] = retry
        result = await run_operation(
            ctx,
            desired=desired,
            live=live,
            operation=operation,
            sync_policy=sync_policy,
            revision="abc1234def",
            state=state,
            persist=rec.persist,
            terminate_requested=terminate_requested,
            ignore_differences=ignore_differences,
            sleep=rec.sleep,
            prune_confirmed=prune_confirmed,
        )
        return result


async def tracked(config: ClusterConfig, namespace: str, app: str = "app") -> list[Obj]:
    """Live objects tracked by ``app`` in ``namespace`` (ConfigMaps, Services, Deployments)."""
    from kaiun.model import tracking

    out = []
    async with await KubeClient.connect(config) as client:
        for api_version, kind in (
            ("v1", "ConfigMap"),
            ("v1", "Service"),
            ("apps/v1", "Deployment"),
        ):
            for item in (await client.list(api_version, kind, namespace)).items:
                item.setdefault("apiVersion", api_version)
                item.setdefault("kind", kind)
                if tracking.owning_app(item) == app:
                    out.append(item)
    return out


def cm(name: str, wave: int | None = None, data: Obj | None = None, **annotations: str) -> Obj:
    ann = dict(annotations)
    if wave is not None:
        ann["argocd.argoproj.io/sync-wave"] = str(wave)
    meta: Obj = {"name": name}
    if ann:
        meta["annotations"] = ann
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data or {"k": name}}


def deployment(name: str, wave: int | None = None, **annotations: str) -> Obj:
    ann = dict(annotations)
    if wave is not None:
        ann["argocd.argoproj.io/sync-wave"] = str(wave)
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, **({"annotations": ann} if ann else {})},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]},
            },
        },
    }


def job_hook(
    name: str, hook: str, *, policy: str | None = None, fail: bool = False, generate: bool = False
) -> Obj:
    ann = {"argocd.argoproj.io/hook": hook}
    if policy:
        ann["argocd.argoproj.io/hook-delete-policy"] = policy
    meta: Obj = {"annotations": ann}
    meta["generateName" if generate else "name"] = name
    pod_ann = {"local.kaiun.io/simulate": "Fail"} if fail else {}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": meta,
        "spec": {
            "backoffLimit": 0,
            "template": {
                "metadata": {"annotations": pod_ann},
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{"name": "m", "image": "busybox:1.36", "command": ["true"]}],
                },
            },
        },
    }
