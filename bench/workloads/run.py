"""Simulated workloads: how long a big Deployment takes to become available and to roll.

Run: ``.venv/bin/python bench/workloads/run.py [--runs 5] [--replicas 200]``.
In-process, no HTTP: a ``Cluster`` on an in-memory store with the real controller runtime
(``controllers.run``) and ``pod_ready_delay=0``, so the figure is the controllers' own cost.
Baseline, in the same run: the API floor of the same pods — creating ``replicas`` Pods from
the same template and writing each one's Running and Ready status directly through
``Cluster`` (3 writes per pod, no controllers).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

from kaiun.localcluster import controllers, gc, workloads
from kaiun.localcluster.cluster import Cluster, WriteOptions
from kaiun.localcluster.store import Store
from kaiun.localcluster.workloads.podstatus import READY, RUNNING, build

TEMPLATE: dict[str, Any] = {
    "metadata": {"labels": {"app": "big"}},
    "spec": {"containers": [{"name": "app", "image": "nginx:1.25"}]},
}


def deployment(replicas: int) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "big", "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "big"}},
            "template": TEMPLATE,
        },
    }


def baseline(replicas: int) -> float:
    """Create the pods and write their two status steps straight through the API."""
    c = Cluster(Store(None))
    rt = c.type_for("v1", "pods")
    opts = WriteOptions(field_manager="bench")
    start = time.perf_counter()
    for i in range(replicas):
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"big-{i}"}, **TEMPLATE}
        pod["metadata"] = {**TEMPLATE["metadata"], "name": f"big-{i}", "namespace": "default"}
        created = c.create(rt, "default", pod, opts)
        for stage in (RUNNING, READY):
            now = c.now()
            created["status"] = build(
                created,
                stage,
                pod_ip="10.244.0.2",
                host_ip="172.18.0.2",
                start_time=now,
                started_at=now,
                now=now,
            )
            created = c.update(rt, "default", f"big-{i}", created, opts, subresource="status")
    return time.perf_counter() - start


async def _until(c: Cluster, check: Any) -> None:
    rt = c.type_for("apps/v1", "deployments")
    while True:
        st = c.get(rt, "default", "big").get("status") or {}
        if check(st):
            return
        await asyncio.sleep(0.005)


async def _simulated(replicas: int) -> tuple[float, float]:
    c = Cluster(Store(None))
    stopping = asyncio.Event()
    ctls = [gc.GarbageCollector(c), *workloads.controllers(c, pod_ready_delay=0.0)]
    tasks = [asyncio.ensure_future(controllers.run(c, ctl, stopping)) for ctl in ctls]
    rt = c.type_for("apps/v1", "deployments")
    opts = WriteOptions(field_manager="bench")
    await asyncio.sleep(0.05)
    start = time.perf_counter()
    c.create(rt, "default", deployment(replicas), opts)
    await _until(c, lambda st: st.get("availableReplicas") == replicas)
    ready = time.perf_counter() - start
    d = c.get(rt, "default", "big")
    d["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.26"
    start = time.perf_counter()
    gen = c.update(rt, "default", "big", d, opts)["metadata"]["generation"]
    await _until(
        c,
        lambda st: (
            st.get("observedGeneration") == gen
            and st.get("updatedReplicas") == replicas
            and st.get("availableReplicas") == replicas
            and st.get("replicas") == replicas
        ),
    )
    rolled = time.perf_counter() - start
    stopping.set()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return ready, rolled


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--replicas", type=int, default=200)
    args = parser.parse_args()
    base, ready, rolled = [], [], []
    for _ in range(args.runs):
        base.append(baseline(args.replicas))
        r, u = asyncio.run(_simulated(args.replicas))
        ready.append(r)
        rolled.append(u)
    b = statistics.median(base)
    print(f"replicas: {args.replicas}, median of {args.runs} runs")
    print(f"{'operation':44} {'seconds':>8} {'x baseline':>11}")
    for name, values in (
        ("baseline: create pods + 2 status writes each", base),
        ("Deployment created -> all available", ready),
        ("image changed -> rollout complete", rolled),
    ):
        m = statistics.median(values)
        print(f"{name:44} {m:8.3f} {m / b:11.2f}")


if __name__ == "__main__":
    main()
