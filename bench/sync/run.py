"""Sync of a 200-resource app over 5 waves: kaiun vs ``kubectl apply`` per wave.

Run: ``.venv/bin/python bench/sync/run.py [--resources 200] [--waves 5] [--runs 5]``.

The local cluster runs as its own process (``kaiun localcluster serve``, pod ready delay
``--ready-delay``). Each run uses two fresh namespaces and the same manifests (ConfigMaps,
Services and Deployments in equal thirds, spread evenly over the waves):
- kaiun: ``prepare_targets`` + ``run_operation`` with ``wave_delay=0`` (no configured wave
  delay), in this process, through one long-lived client as the controller has (warmed by a
  3-object sync, as kubectl's discovery cache is warmed). Between waves it waits
  for the wave to be healthy, as Argo CD does; kubectl does not wait.
- baseline: one ``kubectl apply -f <wave>.yaml`` process per wave, in wave order.
The order of the two alternates between runs; after each measurement the cluster settles
(every Deployment Available) and both namespaces are deleted at the end of a run, so each
measurement starts on a quiet cluster. Reports medians and the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import yaml

from kaiun.engine import SyncContext, prepare_targets, run_operation
from kaiun.kube import KubeClient, from_kubeconfig


class Server:
    """``kaiun localcluster serve`` in its own process."""

    def __init__(self, root: Path, ready_delay: float) -> None:
        from kaiun.localcluster.server import free_port

        self.dir = root / "state"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kaiun.cli", "localcluster", "serve",
             "--data-dir", str(self.dir), "--port", str(free_port()),
             "--pod-ready-delay", str(ready_delay)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        assert self.proc.stdout is not None
        assert "ready" in self.proc.stdout.readline()
        self.kubeconfig = self.dir / "kubeconfig"
        self.env = {
            **os.environ,
            "KUBECONFIG": str(self.kubeconfig),
            "KUBECACHEDIR": str(root / "kubectl-cache"),
        }

    def kubectl(self, *args: str, input: str | None = None) -> None:
        subprocess.run(["kubectl", *args], env=self.env, input=input, text=True, check=True,
                       capture_output=True)  # fmt: skip

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.communicate(timeout=30)


def manifests(total: int, waves: int, mix: str = "all") -> list[dict[str, Any]]:
    """ConfigMaps, Services and Deployments in equal shares (``mix="all"``) or ConfigMaps
    only (``"configmaps"``), spread evenly over ``waves``."""
    out: list[dict[str, Any]] = []
    for i in range(total):
        wave = i * waves // total
        ann = {"argocd.argoproj.io/sync-wave": str(wave)}
        name = f"r{i:03d}"
        if i % 3 == 0 or mix == "configmaps":
            out.append({"apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": {"name": name, "annotations": ann},
                        "data": {"key": "value " * 20, "index": str(i)}})  # fmt: skip
        elif i % 3 == 1:
            out.append({"apiVersion": "v1", "kind": "Service",
                        "metadata": {"name": name, "annotations": ann},
                        "spec": {"selector": {"app": name},
                                 "ports": [{"port": 80, "targetPort": 8080}]}})  # fmt: skip
        else:
            labels = {"app": name}
            container = {"name": "app", "image": "nginx:1.25", "ports": [{"containerPort": 8080}]}
            template = {"metadata": {"labels": labels}, "spec": {"containers": [container]}}
            spec = {"replicas": 1, "selector": {"matchLabels": labels}, "template": template}
            out.append({"apiVersion": "apps/v1", "kind": "Deployment",
                        "metadata": {"name": name, "annotations": ann}, "spec": spec})  # fmt: skip
    return out


async def kaiun_sync(client: KubeClient, objs: list[dict[str, Any]], namespace: str) -> float:
    """One sync operation through ``client`` (long-lived, as in the controller)."""

    async def persist(_state: dict[str, Any]) -> None:
        return None

    start = time.perf_counter()
    ctx = SyncContext(client=client, app_name="bench", app_namespace="argocd",
                      destination_namespace=namespace, wave_delay=0.0)  # fmt: skip
    desired = await prepare_targets(ctx, objs)
    result = await run_operation(
        ctx, desired=desired, live=[], operation={"sync": {"revision": "HEAD"}},
        sync_policy=None, revision="HEAD", state=None, persist=persist,
    )  # fmt: skip
    elapsed = time.perf_counter() - start
    assert result["phase"] == "Succeeded", result["message"]
    assert len(result["syncResult"]["resources"]) == len(objs)
    return elapsed


def kubectl_sync(server: Server, objs: list[dict[str, Any]], namespace: str, root: Path) -> float:
    by_wave: dict[int, list[dict[str, Any]]] = {}
    for obj in objs:
        wave = int(obj["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"])
        by_wave.setdefault(wave, []).append(obj)
    files = []
    for wave in sorted(by_wave):
        path = root / f"{namespace}-wave{wave}.yaml"
        path.write_text(yaml.safe_dump_all(by_wave[wave]))
        files.append(path)
    start = time.perf_counter()
    for path in files:
        server.kubectl("apply", "-n", namespace, "-f", str(path))
    return time.perf_counter() - start


def settle(server: Server, namespace: str, mix: str) -> None:
    """Wait until the namespace's Deployments are available, so the next measurement starts
    on a quiet cluster (kubectl does not wait; kaiun waits for all but its last wave)."""
    if mix == "configmaps":
        return
    server.kubectl("wait", "--for=condition=Available", "deployment", "--all", "-n", namespace,
                   "--timeout=300s")  # fmt: skip


async def measure(
    server: Server, root: Path, objs: list[dict[str, Any]], args: argparse.Namespace
) -> tuple[list[float], list[float]]:
    """Alternate kaiun and kubectl over ``args.runs`` runs; returns both lists of times."""
    kaiun_times: list[float] = []
    kubectl_times: list[float] = []
    async with await KubeClient.connect(from_kubeconfig(server.kubeconfig)) as client:
        # Warm both: kubectl's discovery cache, kaiun's discovery and imports.
        server.kubectl("create", "namespace", "warm-up")
        await kaiun_sync(client, manifests(3, 1), "warm-up")
        server.kubectl("get", "namespaces")
        for run in range(args.runs):
            ns_k, ns_b = f"k-{uuid.uuid4().hex[:6]}", f"b-{uuid.uuid4().hex[:6]}"
            for ns in (ns_k, ns_b):
                server.kubectl("create", "namespace", ns)
            order = ["kaiun", "kubectl"] if run % 2 == 0 else ["kubectl", "kaiun"]
            for tool in order:
                if tool == "kaiun":
                    kaiun_times.append(await kaiun_sync(client, objs, ns_k))
                    settle(server, ns_k, args.mix)
                else:
                    kubectl_times.append(kubectl_sync(server, objs, ns_b, root))
                    settle(server, ns_b, args.mix)
            server.kubectl("delete", "namespace", ns_k, ns_b, "--wait=true", "--timeout=300s")
            print(f"run {run + 1}: kaiun {kaiun_times[-1]:.2f} s, "
                  f"kubectl {kubectl_times[-1]:.2f} s, "
                  f"ratio {kaiun_times[-1] / kubectl_times[-1]:.2f}x", flush=True)  # fmt: skip
    return kaiun_times, kubectl_times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=200)
    parser.add_argument("--waves", type=int, default=5)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--ready-delay", type=float, default=0.2)
    parser.add_argument("--mix", choices=["all", "configmaps"], default="all")
    args = parser.parse_args()
    objs = manifests(args.resources, args.waves, args.mix)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        server = Server(root, args.ready_delay)
        try:
            kaiun_times, kubectl_times = asyncio.run(measure(server, root, objs, args))
        finally:
            server.stop()
    k, b = statistics.median(kaiun_times), statistics.median(kubectl_times)
    per_run = statistics.median(x / y for x, y in zip(kaiun_times, kubectl_times, strict=True))
    load = os.getloadavg()[0]
    print(f"median ({args.runs} runs, {args.resources} {args.mix} resources, {args.waves} waves, "
          f"ready delay {args.ready_delay}s, load {load:.1f}): kaiun {k:.2f} s, "
          f"kubectl apply {b:.2f} s, ratio of medians {k / b:.2f}x, "
          f"median of per-run ratios {per_run:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
