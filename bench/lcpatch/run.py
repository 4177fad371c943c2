"""Throughput of the local cluster's patch and apply logic on a realistic Deployment.

Each operation is timed over many iterations, five runs, median reported, beside a
baseline measured in the same run: a JSON encode+decode round trip of the same object
(what the server does anyway to store and serve it). Run:
``python bench/lcpatch/run.py``.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from kaiun.localcluster import fieldmanager, patch

NOW = "2026-01-01T00:00:00Z"


def _deployment(image: str, replicas: int) -> dict[str, Any]:
    containers = [
        {
            "name": name,
            "image": f"{name}:{image}",
            "ports": [{"containerPort": 8080 + i, "protocol": "TCP"}],
            "env": [{"name": f"E{j}", "value": str(j)} for j in range(5)],
            "resources": {"limits": {"cpu": "1", "memory": "1Gi"}},
            "volumeMounts": [{"name": "data", "mountPath": f"/data/{name}"}],
        }
        for i, name in enumerate(["app", "sidecar", "proxy"])
    ]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web", "tier": "fe"}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": containers, "volumes": [{"name": "data", "emptyDir": {}}]},
            },
        },
    }


def _rate(fn: Callable[[], object], iterations: int) -> float:
    start = time.perf_counter()
    for _ in range(iterations):
        fn()
    return iterations / (time.perf_counter() - start)


def main() -> None:
    v1, v2 = _deployment("1", 2), _deployment("2", 3)
    live = fieldmanager.apply(
        None, v1, manager="kubectl", force=False, now=NOW, group="apps", kind="Deployment"
    )
    created = fieldmanager.record_update(
        None, v1, manager="kubectl-create", now=NOW, group="apps", kind="Deployment"
    )
    smp = {
        "spec": {
            "replicas": 3,
            "template": {"spec": {"containers": [{"name": "app", "image": "app:2"}]}},
        }
    }
    encoded = json.dumps(live)
    ops: dict[str, Callable[[], object]] = {
        "baseline: JSON round trip": lambda: json.loads(json.dumps(live)),
        "json decode only (floor)": lambda: json.loads(encoded),
        "apply (create)": lambda: fieldmanager.apply(
            None, v1, manager="kubectl", force=False, now=NOW, group="apps", kind="Deployment"
        ),
        "apply (no-op re-apply)": lambda: fieldmanager.apply(
            live, v1, manager="kubectl", force=False, now=NOW, group="apps", kind="Deployment"
        ),
        "apply (changed image)": lambda: fieldmanager.apply(
            live, v2, manager="kubectl", force=False, now=NOW, group="apps", kind="Deployment"
        ),
        "record_update (create)": lambda: fieldmanager.record_update(
            None, v1, manager="m", now=NOW, group="apps", kind="Deployment"
        ),
        "record_update (update)": lambda: fieldmanager.record_update(
            created, v2, manager="m", now=NOW, group="apps", kind="Deployment"
        ),
        "strategic_merge_patch": lambda: patch.strategic_merge_patch(
            live, smp, group="apps", kind="Deployment"
        ),
        "merge_patch": lambda: patch.merge_patch(live, {"spec": {"replicas": 3}}),
    }
    runs: dict[str, list[float]] = {name: [] for name in ops}
    for _ in range(5):
        for name, fn in ops.items():
            runs[name].append(_rate(fn, 300))
    base = statistics.median(runs["baseline: JSON round trip"])
    print(f"{'operation':32} {'ops/s':>10} {'x baseline':>11}")
    for name, rates in runs.items():
        median = statistics.median(rates)
        print(f"{name:32} {median:10.0f} {median / base:11.2f}")


if __name__ == "__main__":
    main()
