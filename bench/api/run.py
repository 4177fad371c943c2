"""API server over 1,000 Applications: list, single get, and change fan-out to SSE clients.

kaiun's API server (uvicorn on 127.0.0.1, an allow-all security double) in front of an
in-memory local cluster. Baselines in the same run: the same list and get straight from the
cluster's API with our Kubernetes client (what the API server itself has to do), and
``kubectl get applications -o json``. Run: ``python bench/api/run.py [--runs 5]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import uvicorn

from kaiun.engine import install_control_plane
from kaiun.kube import KubeClient, from_kubeconfig
from kaiun.localcluster import LocalCluster, Options
from kaiun.localcluster.server import free_port
from kaiun.server import Caller, ServerContext, create_app

APPS = 1000
SUBSCRIBERS = 100
NS = "argocd"


class AllowAll:
    async def authenticate(self, token: str) -> Caller | None:
        return Caller("admin")

    def enforce(self, caller: Caller | None, resource: str, action: str, obj: str) -> bool:
        return True


def _app(i: int) -> dict[str, object]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": f"app-{i:04d}", "namespace": NS},
        "spec": {
            "project": "default",
            "source": {"repoURL": f"https://example.com/r{i % 20}.git", "path": f"apps/{i}",
                       "targetRevision": "main"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": f"n{i}"},
        },
        "status": {"sync": {"status": "Synced"}, "health": {"status": "Healthy"}},
    }  # fmt: skip


def _rss_mib() -> float:
    """This process's resident memory (server, cluster and bench share it)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _fanout(url: str, client: KubeClient, run: int) -> list[float]:
    """Seconds from a patch to each subscriber seeing it."""
    target = "app-0000"
    ready = 0
    got: list[float] = []
    all_ready = asyncio.Event()
    done = asyncio.Event()
    start = 0.0
    marker = f"bench-{run}"

    async def subscriber(http: httpx.AsyncClient) -> None:
        nonlocal ready
        params = {"name": target}
        async with http.stream("GET", "/api/v1/stream/applications", params=params) as resp:
            first = True
            async for line in resp.aiter_lines():
                if not line.startswith("data:"):
                    continue
                if first:
                    first = False
                    ready += 1
                    if ready == SUBSCRIBERS:
                        all_ready.set()
                    continue
                if marker in line:
                    got.append(time.perf_counter() - start)
                    if len(got) == SUBSCRIBERS:
                        done.set()
                    return

    limits = httpx.Limits(max_connections=SUBSCRIBERS + 10)
    auth = {"Authorization": "Bearer x"}
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits, headers=auth) as http:
        tasks = [asyncio.create_task(subscriber(http)) for _ in range(SUBSCRIBERS)]
        await asyncio.wait_for(all_ready.wait(), 120)
        start = time.perf_counter()
        patch = {"metadata": {"annotations": {"bench": marker}}}
        await client.patch("argoproj.io/v1alpha1", "Application", target, patch, namespace=NS)
        try:
            await asyncio.wait_for(done.wait(), 120)
        except TimeoutError:
            raise TimeoutError(f"run {run}: {len(got)} of {SUBSCRIBERS} saw the change") from None
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return got


async def bench(lc: LocalCluster, runs: int) -> dict[str, list[float]]:
    keys = ("list", "get", "raw_list", "raw_get", "kubectl", "fanout_p99", "fanout_p50",
            "cold_list", "cache_rss_mib")  # fmt: skip
    out: dict[str, list[float]] = {k: [] for k in keys}
    async with await KubeClient.connect(from_kubeconfig(lc.kubeconfig)) as client:
        await install_control_plane(client, NS)
        for i in range(APPS):
            await client.create(_app(i))
        port = free_port()
        ctx = ServerContext(client=client, namespace=NS, security=AllowAll())
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(ctx),
                host="127.0.0.1",
                port=port,
                log_level="warning",
                lifespan="off",
                timeout_keep_alive=300,
            )
        )
        serving = asyncio.create_task(server.serve())
        for _ in range(1200):
            if server.started:
                break
            await asyncio.sleep(0.05)
        url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "KUBECONFIG": str(lc.kubeconfig)}
        # The API server runs in this process's loop, so requests go through a thread.
        rss = _rss_mib()
        with httpx.Client(base_url=url, headers={"Authorization": "Bearer x"}) as http:
            t = time.perf_counter()
            resp = await asyncio.to_thread(http.get, "/api/v1/applications")
            out["cold_list"].append(time.perf_counter() - t)
            assert len(resp.json()["items"]) == APPS
        out["cache_rss_mib"].append((_rss_mib() - rss) / 1000)  # printed x1000 below
        for run in range(runs):
            lists, gets, raw_lists, raw_gets = [], [], [], []
            with httpx.Client(base_url=url, headers={"Authorization": "Bearer x"}) as http:
                for _ in range(5):
                    t = time.perf_counter()
                    resp = await asyncio.to_thread(http.get, "/api/v1/applications")
                    lists.append(time.perf_counter() - t)
                    assert len(resp.json()["items"]) == APPS
                for i in range(50):
                    t = time.perf_counter()
                    r = await asyncio.to_thread(http.get, f"/api/v1/applications/app-{i:04d}")
                    gets.append(time.perf_counter() - t)
                    assert r.status_code == 200
            for _ in range(5):
                t = time.perf_counter()
                listed = await client.list("argoproj.io/v1alpha1", "Application", NS)
                raw_lists.append(time.perf_counter() - t)
                assert len(listed.items) == APPS
            for i in range(50):
                t = time.perf_counter()
                await client.get("argoproj.io/v1alpha1", "Application", f"app-{i:04d}", NS)
                raw_gets.append(time.perf_counter() - t)
            t = time.perf_counter()
            await asyncio.to_thread(
                subprocess.run, ["kubectl", "get", "applications.argoproj.io", "-n", NS,
                                 "-o", "json"], env=env, check=True, capture_output=True,
            )  # fmt: skip
            out["kubectl"].append(time.perf_counter() - t)
            fan = await _fanout(url, client, run)
            out["list"].append(statistics.median(lists))
            out["get"].append(statistics.median(gets))
            out["raw_list"].append(statistics.median(raw_lists))
            out["raw_get"].append(statistics.median(raw_gets))
            out["fanout_p99"].append(_p(fan, 0.99))
            out["fanout_p50"].append(_p(fan, 0.5))
        server.should_exit = True
        await serving
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        lc = LocalCluster(Options(data_dir=None, kubeconfig=Path(tmp) / "config"))
        lc.start()
        try:
            results = asyncio.run(bench(lc, args.runs))
        finally:
            lc.stop()
    med = {k: statistics.median(v) * 1000 for k, v in results.items()}
    print(f"runs={args.runs} apps={APPS} subscribers={SUBSCRIBERS} (medians, ms)")
    print(f"GET /api/v1/applications p50 {med['list']:.1f}  raw list {med['raw_list']:.1f}  "
          f"ratio {med['list'] / med['raw_list']:.2f}  kubectl {med['kubectl']:.1f}")  # fmt: skip
    print(f"GET /api/v1/applications/NAME p50 {med['get']:.2f}  raw get {med['raw_get']:.2f}  "
          f"ratio {med['get'] / med['raw_get']:.2f}")  # fmt: skip
    print(f"first list (waits for the cache's first list) {med['cold_list']:.1f}; RSS growth "
          f"{med['cache_rss_mib']:.1f} MiB")  # fmt: skip
    print(f"SSE fan-out to {SUBSCRIBERS}: p50 {med['fanout_p50']:.1f}  "
          f"p99 {med['fanout_p99']:.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
