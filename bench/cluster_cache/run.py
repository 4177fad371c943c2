"""Cluster cache initial sync and "app touched" latency against the local cluster.

Run: ``.venv/bin/python bench/cluster_cache/run.py [--objects 50000] [--runs 5] [--gc pause]``
(``--gc both`` runs one sync of each mode per run against the same baseline).

The local cluster runs as its own process (``kaiun localcluster serve``), filled with
``--objects`` objects over 30 kinds (10 built-in, 20 CRDs; one in five tracked by an app).
Each run, in order:
- baseline: ``kubectl get --raw <collection>`` of each of the 30 kinds, one after another;
- kaiun: a fresh Python process builds a ``ClusterCache`` (default settings: every listable
  kind; ``--gc pause``, the default here, opts into ``pause_gc=True``, ``--gc default``
  leaves the collector alone as the cache does by default) and waits until it is synced;
  reports the time and its RSS growth;
- latency: in that process, a writer thread creates tracked ConfigMaps at 200/s while the
  cache watches; the time from sending a write to the "app touched" callback, p50/p99.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

BUILTIN = [
    ("v1", "configmaps", "ConfigMap", True),
    ("v1", "secrets", "Secret", True),
    ("v1", "serviceaccounts", "ServiceAccount", True),
    ("rbac.authorization.k8s.io/v1", "roles", "Role", True),
    ("rbac.authorization.k8s.io/v1", "rolebindings", "RoleBinding", True),
    ("networking.k8s.io/v1", "networkpolicies", "NetworkPolicy", True),
    ("v1", "limitranges", "LimitRange", True),
    ("rbac.authorization.k8s.io/v1", "clusterroles", "ClusterRole", False),
    ("rbac.authorization.k8s.io/v1", "clusterrolebindings", "ClusterRoleBinding", False),
    ("networking.k8s.io/v1", "ingressclasses", "IngressClass", False),
]
CRDS = [("bench.example.com/v1", f"gadget{i}s", f"Gadget{i}", True) for i in range(20)]
KINDS = BUILTIN + CRDS
NS = "bench"
TRACKING = "argocd.argoproj.io/tracking-id"


def collection(api_version: str, plural: str, namespaced: bool) -> str:
    base = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
    return f"{base}/namespaces/{NS}/{plural}" if namespaced else f"{base}/{plural}"


def body(api_version: str, kind: str, namespaced: bool, i: int) -> dict[str, object]:
    name = f"o{i}"
    group = api_version.rpartition("/")[0]
    meta: dict[str, object] = {"name": name, "labels": {"bench": "yes"}}
    if namespaced:
        meta["namespace"] = NS
    if i % 5 == 0:
        meta["annotations"] = {
            TRACKING: f"app{i % 50}:{group}/{kind}:{NS if namespaced else ''}/{name}"
        }
    obj: dict[str, object] = {"apiVersion": api_version, "kind": kind, "metadata": meta}
    extra: dict[str, dict[str, object]] = {
        "ConfigMap": {"data": {"k": "v" * 400}},
        "Secret": {"stringData": {"k": "v" * 200}},
        "Role": {"rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]},
        "ClusterRole": {"rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]},
        "RoleBinding": {
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
            "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": NS}],
        },
        "ClusterRoleBinding": {
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "r",
            },
            "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": NS}],
        },
        "NetworkPolicy": {"spec": {"podSelector": {}, "policyTypes": ["Ingress"]}},
        "LimitRange": {"spec": {"limits": [{"type": "Container", "max": {"cpu": "2"}}]}},
        "IngressClass": {"spec": {"controller": "example.com/ingress"}},
    }
    obj.update(extra.get(kind, {"spec": {"replicas": i % 7, "image": f"repo/app:{i}"}}))
    return obj


def crd(i: int) -> dict[str, object]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"gadget{i}s.bench.example.com"},
        "spec": {
            "group": "bench.example.com",
            "scope": "Namespaced",
            "names": {"plural": f"gadget{i}s", "singular": f"gadget{i}", "kind": f"Gadget{i}"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "x-kubernetes-preserve-unknown-fields": True,
                        }
                    },
                }
            ],
        },
    }


class Server:
    """``kaiun localcluster serve`` in its own process."""

    def __init__(self, root: Path) -> None:
        from kaiun.localcluster.server import free_port

        self.dir = root / "state"
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kaiun.cli", "localcluster", "serve",
             "--data-dir", str(self.dir), "--port", str(self.port)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        assert self.proc.stdout is not None
        assert "ready" in self.proc.stdout.readline()
        self.kubeconfig = self.dir / "kubeconfig"
        self.url = f"https://127.0.0.1:{self.port}"
        self.token = (self.dir / "token").read_text().strip()
        self.ctx = ssl.create_default_context(cafile=str(self.dir / "pki" / "ca.crt"))

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.communicate(timeout=30)


async def fill(server: Server, total: int) -> None:
    async with httpx.AsyncClient(
        base_url=server.url, verify=server.ctx, timeout=120,
        headers={"Authorization": f"Bearer {server.token}"},
    ) as c:  # fmt: skip
        ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}
        await c.post("/api/v1/namespaces", json=ns)
        for i in range(len(CRDS)):
            r = await c.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", json=crd(i))
            assert r.status_code == 201, r.text
        per_kind = total // len(KINDS)
        jobs = [(k, i) for k in KINDS for i in range(per_kind)]

        async def worker(start: int) -> None:
            for (api_version, plural, kind, namespaced), i in jobs[start::8]:
                path = collection(api_version, plural, namespaced)
                r = await c.post(path, json=body(api_version, kind, namespaced, i))
                assert r.status_code == 201, r.text

        await asyncio.gather(*(worker(s) for s in range(8)))


def kubectl_lists(server: Server) -> float:
    env = {
        **os.environ,
        "KUBECONFIG": str(server.kubeconfig),
        "KUBECACHEDIR": "/tmp/kaiun-bench-kc",
    }
    t = time.perf_counter()
    for api_version, plural, _kind, namespaced in KINDS:
        out = subprocess.run(
            ["kubectl", "get", "--raw", collection(api_version, plural, namespaced)],
            env=env, capture_output=True, check=True,
        ).stdout  # fmt: skip
        assert out.startswith(b"{")
    return time.perf_counter() - t


PROBE = r"""
import asyncio, http.client, json, ssl, sys, threading, time
from kaiun.kube import KubeClient, from_kubeconfig
from kaiun.kube.cache import ClusterCache

def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

async def main(kubeconfig, port, ca, token, writes, pause_gc):
    cfg = from_kubeconfig(kubeconfig)
    base = rss()
    client = await KubeClient.connect(cfg)
    cache = ClusterCache(client, pause_gc=pause_gc)
    t = time.perf_counter()
    await cache.start()
    status = await cache.wait_synced(600)
    sync_s = time.perf_counter() - t
    grown = rss() - base
    sent, lat = {}, []
    def touched(ev):
        s = sent.get(ev.key.name)
        if s is not None and ev.type == "ADDED":
            lat.append(time.perf_counter() - s)
    cache.subscribe(touched)
    def writer(part, parts):
        # Several connections, so the server's per-request latency does not cap the rate.
        ctx = ssl.create_default_context(cafile=ca)
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
        hdr = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
        for i in range(part, writes, parts):
            name = f"lat{i}"
            obj = {"apiVersion": "v1", "kind": "ConfigMap",
                   "metadata": {"name": name, "namespace": "bench",
                                "annotations": {"argocd.argoproj.io/tracking-id":
                                                f"lat:/ConfigMap:bench/{name}"}},
                   "data": {"i": str(i)}}
            delay = start + i / 200.0 - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            sent[name] = time.perf_counter()
            path = "/api/v1/namespaces/bench/configmaps"
            conn.request("POST", path, body=json.dumps(obj), headers=hdr)
            r = conn.getresponse(); r.read()
        conn.close()
    start = time.perf_counter() + 0.1
    threads = [threading.Thread(target=writer, args=(p, 4)) for p in range(4)]
    for th in threads:
        th.start()
    while any(th.is_alive() for th in threads):
        await asyncio.sleep(0.05)
    for _ in range(100):
        if len(lat) >= writes:
            break
        await asyncio.sleep(0.05)
    rate = writes / (max(sent.values()) - min(sent.values()))
    await cache.stop(); await client.aclose()
    lat.sort()
    print(json.dumps({"sync_s": sync_s, "rss_mb": grown, "objects": status.objects,
                      "kinds": status.kinds, "p50_ms": 1000 * lat[len(lat) // 2],
                      "p99_ms": 1000 * lat[int(len(lat) * 0.99)], "seen": len(lat),
                      "write_rate": rate}))

asyncio.run(main(*sys.argv[1:5], int(sys.argv[5]), sys.argv[6] == "pause"))
"""


def probe(server: Server, writes: int, gc_mode: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(server.kubeconfig), str(server.port),
         str(server.dir / "pki" / "ca.crt"), server.token, str(writes), gc_mode],
        capture_output=True, text=True, check=True, timeout=1200,
    ).stdout  # fmt: skip
    return dict(json.loads(out.strip().splitlines()[-1]))


def clear_latency_writes(server: Server) -> None:
    """Delete a run's latency writes so every sync lists the same set."""
    subprocess.run(
        ["kubectl", "delete", "configmap", "-n", NS, "--wait=false", "-l", "!bench"],
        env={**os.environ, "KUBECONFIG": str(server.kubeconfig)},
        capture_output=True, check=True,
    )  # fmt: skip


def report(mode: str, results: dict[str, list[float]]) -> None:
    """Medians of one GC mode's runs."""
    med = {k: statistics.median(v) for k, v in results.items()}
    print(f"--gc {mode}:")
    print(json.dumps({k: round(v, 4) for k, v in med.items()}, indent=2))
    print(
        f"initial sync of {med['objects']:.0f} objects ({med['kinds']:.0f} kinds watched):"
        f" {med['sync_s']:.2f} s vs kubectl get --raw of the 30 filled kinds"
        f" {med['kubectl_s']:.2f} s"
        f" -> ratio {med['ratio']:.2f}x (median of per-run ratios)"
    )
    print(f"RSS growth {med['rss_mb']:.0f} MB")
    print(
        f"event -> app touched at {med['write_rate']:.0f} writes/s: p50 {med['p50_ms']:.1f} ms,"
        f" p99 {med['p99_ms']:.1f} ms"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--objects", type=int, default=50_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--writes", type=int, default=1000)
    ap.add_argument("--data-dir", type=Path, help="keep the filled cluster here for reruns")
    ap.add_argument(
        "--gc",
        choices=("pause", "default", "both"),
        default="pause",
        help="pause: ClusterCache(pause_gc=True) (opt-in); default: the collector untouched;"
        " both: one of each per run, against the same baseline",
    )
    args = ap.parse_args()
    modes = ["pause", "default"] if args.gc == "both" else [args.gc]
    results: dict[str, dict[str, list[float]]] = {m: {} for m in modes}
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        root = args.data_dir or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        marker = root / f"filled-{args.objects}"
        server = Server(root)
        try:
            if not marker.exists():
                t = time.perf_counter()
                asyncio.run(fill(server, args.objects))
                print(f"filled {args.objects} objects in {time.perf_counter() - t:.0f} s")
                marker.touch()
            for run in range(args.runs):
                baseline = kubectl_lists(server)
                for mode in modes:
                    res = results[mode]
                    res.setdefault("kubectl_s", []).append(baseline)
                    for key, value in probe(server, args.writes, mode).items():
                        res.setdefault(key, []).append(value)
                    res.setdefault("ratio", []).append(res["sync_s"][-1] / baseline)
                    clear_latency_writes(server)
                    print(
                        f"run {run} gc={mode}: "
                        + ", ".join(f"{k}={v[-1]:.3f}" for k, v in res.items()),
                        flush=True,
                    )
        finally:
            server.stop()
    for mode in modes:
        report(mode, results[mode])
    load = f"{load_start:.1f} -> {os.getloadavg()[0]:.1f}"
    print(f"machine: {os.cpu_count()} cores, 1-minute load average {load}")


if __name__ == "__main__":
    main()
