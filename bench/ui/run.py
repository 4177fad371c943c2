"""The web UI over 10,000 Applications: what the applications page downloads and how fast
headless chromium shows it and filters it.

An in-memory local cluster holds 10,000 Applications shaped like synced ones (resources,
history, operation state); kaiun's API server with the UI mounted serves them (allow-all
security double) on 127.0.0.1. Baselines in the same run: the full list
(``GET /api/v1/applications``, what a UI without paging and ``fields`` would fetch before
its first paint) and the full stream snapshot. Run: ``python bench/ui/run.py [--runs 3]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from playwright.sync_api import sync_playwright

from kaiun.engine import install_control_plane
from kaiun.kube import KubeClient, from_kubeconfig
from kaiun.localcluster import LocalCluster, Options
from kaiun.localcluster.server import free_port
from kaiun.server import Caller, ServerContext, create_app
from kaiun.ui import mount

APPS = 10_000
NS = "argocd"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
FIELDS = [
    "metadata.name",
    "metadata.namespace",
    "metadata.labels",
    "metadata.annotations",
    "metadata.creationTimestamp",
    "spec.project",
    "spec.source",
    "spec.sources",
    "spec.destination",
    "spec.syncPolicy",
    "status.sync.status",
    "status.sync.revision",
    "status.health.status",
    "status.health.message",
    "status.conditions",
    "status.operationState.phase",
    "status.operationState.message",
    "status.operationState.finishedAt",
    "status.summary.externalURLs",
    "status.reconciledAt",
    "operation",
]  # fmt: skip  (the same list as pages/applications.js)


class AllowAll:
    async def authenticate(self, token: str) -> Caller | None:
        return Caller("admin")

    def enforce(self, caller: Caller | None, resource: str, action: str, obj: str) -> bool:
        return True


def _app(i: int) -> dict[str, Any]:
    rev = f"{i:040x}"
    source = {"repoURL": f"https://example.com/r{i % 20}.git", "path": f"apps/{i}",
              "targetRevision": "main"}  # fmt: skip
    resources = [
        {"group": g, "version": "v1", "kind": k, "namespace": f"n{i}",
         "name": f"app-{i}-{k.lower()}", "status": "Synced", "health": {"status": "Healthy"}}
        for g, k in (("", "ConfigMap"), ("", "Service"), ("apps", "Deployment"),
                     ("networking.k8s.io", "Ingress"), ("", "ServiceAccount"))
    ]  # fmt: skip
    results = [{**{k: r[k] for k in ("group", "version", "kind", "namespace", "name")},
                "status": "Synced", "message": "configured", "syncPhase": "Sync",
                "hookPhase": "Succeeded"} for r in resources]  # fmt: skip
    when = "2026-11-22T10:00:00Z"
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": f"app-{i:05d}", "namespace": NS, "labels": {"team": f"t{i % 7}"}},
        "spec": {
            "project": "default", "source": source,
            "destination": {"server": "https://kubernetes.default.svc", "namespace": f"n{i}"},
            "syncPolicy": {"automated": {"prune": True, "selfHeal": True}},
        },
        "status": {
            "sync": {"status": "Synced", "revision": rev, "comparedTo": {"source": source,
                     "destination": {"server": "https://kubernetes.default.svc"}}},
            "health": {"status": "Healthy"},
            "resources": resources,
            "history": [{"id": n, "revision": rev, "deployedAt": when, "deployStartedAt": when,
                         "source": source} for n in range(3)],
            "operationState": {"phase": "Succeeded", "message": "successfully synced",
                               "startedAt": when, "finishedAt": when,
                               "operation": {"sync": {"revision": rev}},
                               "syncResult": {"revision": rev, "source": source,
                                              "resources": results}},
            "reconciledAt": when, "sourceType": "Directory",
            "summary": {"images": [f"registry.example.com/app{i % 50}:1.{i % 9}"]},
        },
    }  # fmt: skip


def _stream_snapshot(url: str, fields: str | None) -> tuple[int, float]:
    """Bytes and seconds until the stream has delivered every app once."""
    params = {"fields": fields} if fields else {}
    seen = 0
    size = 0
    t = time.perf_counter()
    with (
        httpx.Client(base_url=url, timeout=300) as http,
        http.stream("GET", "/api/v1/stream/applications", params=params) as resp,
    ):
        for line in resp.iter_lines():
            size += len(line) + 1
            if line.startswith("data:"):
                seen += 1
                if seen == APPS:
                    break
    return size, time.perf_counter() - t


def _browser(url: str) -> dict[str, float]:
    """Seconds to the first tile, to every app loaded, and from typing to a filtered list."""
    out: dict[str, float] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        ctx = browser.new_context(viewport={"width": 1280, "height": 900})
        ctx.add_cookies([{"name": "argocd.token", "value": "x", "url": url}])
        page = ctx.new_page()
        t = time.perf_counter()
        page.goto(f"{url}/applications")
        page.wait_for_selector("article.app-tile", timeout=120_000)
        out["first_tile"] = time.perf_counter() - t
        page.wait_for_function(
            f"() => document.querySelector('#apps-count')?.textContent === '{APPS} applications'"
            " && !document.querySelector('#apps-loading')", timeout=300_000, polling=50,
        )  # fmt: skip
        out["all_loaded"] = time.perf_counter() - t
        page.fill("input[name=search]", "")
        t = time.perf_counter()
        page.type("input[name=search]", "app-0999")
        page.wait_for_function(
            "() => document.querySelector('#apps-count')?.textContent.startsWith('10 of ')",
            timeout=60_000, polling=10,
        )  # fmt: skip
        out["search"] = time.perf_counter() - t
        t = time.perf_counter()
        page.select_option("select[data-filter=sync]", "OutOfSync")
        page.wait_for_selector(".apps-body .empty", timeout=60_000)
        out["filter"] = time.perf_counter() - t
        browser.close()
    return out


async def _seed(lc: LocalCluster) -> float:
    """Create the fleet; then time one read of it from the cluster API (the baseline: what
    every list request and stream snapshot cost before the server's Application cache)."""
    async with await KubeClient.connect(from_kubeconfig(lc.kubeconfig)) as client:
        await install_control_plane(client, NS)
        for start in range(0, APPS, 100):
            await asyncio.gather(*(client.create(_app(i)) for i in range(start, start + 100)))
        t = time.perf_counter()
        listed = await client.list("argoproj.io/v1alpha1", "Application", NS)
        assert len(listed.items) == APPS
        return time.perf_counter() - t


def _rss_mib() -> float:
    """This process's resident memory (server, cluster and bench share it)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _cold(http: httpx.Client, fields: str, raw_list_s: float) -> dict[str, list[float]]:
    """The first request (it waits for the cache's first list) and the memory that took."""
    rss = _rss_mib()
    t = time.perf_counter()
    cold = http.get("/api/v1/applications", params={"fields": fields, "limit": 200})
    took = time.perf_counter() - t
    assert cold.status_code == 200
    return {
        "raw_list_s": [raw_list_s],
        "cold_first_page_s": [took],
        "cache_rss_mib": [_rss_mib() - rss],
    }


def bench(lc: LocalCluster, runs: int) -> dict[str, list[float]]:
    raw_list_s = asyncio.run(_seed(lc))
    holder: dict[str, Any] = {"port": free_port()}
    ready = threading.Event()

    async def connect() -> KubeClient:
        return await KubeClient.connect(from_kubeconfig(lc.kubeconfig))

    # The server gets its own loop (thread) and client; the bench drives it synchronously.
    def serve() -> None:
        async def main() -> None:
            async with await connect() as client:
                ctx = ServerContext(client=client, namespace=NS, security=AllowAll())
                app = create_app(ctx)
                mount(app)
                config = uvicorn.Config(app, host="127.0.0.1", port=holder["port"],
                                        log_level="warning", lifespan="off")  # fmt: skip
                holder["server"] = uvicorn.Server(config)
                ready.set()
                await holder["server"].serve()

        asyncio.run(main())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    ready.wait(60)
    while not holder["server"].started:
        time.sleep(0.05)
    url = f"http://127.0.0.1:{holder['port']}"
    fields = ",".join(["metadata.continue", "metadata.remainingItemCount",
                       *(f"items.{f}" for f in FIELDS)])  # fmt: skip
    stream_fields = ",".join(["result.type", *(f"result.application.{f}" for f in FIELDS)])

    def add(key: str, value: float) -> None:
        out.setdefault(key, []).append(value)

    try:
        with httpx.Client(base_url=url, timeout=300) as http:
            out = _cold(http, fields, raw_list_s)
            for _ in range(runs):
                t = time.perf_counter()
                full = http.get("/api/v1/applications")
                add("full_list_s", time.perf_counter() - t)
                add("full_list_bytes", len(full.content))
                assert len(full.json()["items"]) == APPS
                t = time.perf_counter()
                first = http.get("/api/v1/applications", params={"fields": fields, "limit": 200})
                add("first_page_s", time.perf_counter() - t)
                add("first_page_bytes", len(first.content))
                rest = http.get("/api/v1/applications", params={"fields": fields})
                add("trimmed_list_bytes", len(rest.content))
                size, secs = _stream_snapshot(url, stream_fields)
                add("trimmed_stream_bytes", size)
                add("trimmed_stream_s", secs)
                size, secs = _stream_snapshot(url, None)
                add("full_stream_bytes", size)
                add("full_stream_s", secs)
                for key, value in _browser(url).items():
                    add(f"browser_{key}_s", value)
    finally:
        holder["server"].should_exit = True
        thread.join(30)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        lc = LocalCluster(Options(data_dir=None, kubeconfig=Path(tmp) / "config"))
        lc.start()
        try:
            results = bench(lc, args.runs)
        finally:
            lc.stop()
    med = {k: statistics.median(v) for k, v in results.items()}
    mb = 1024 * 1024
    print(f"runs={args.runs} apps={APPS} (medians)")
    print(f"raw cluster list (the per-request cost before the cache): {med['raw_list_s']:.2f} s;"
          f" cold first page (waits for the cache's first list) {med['cold_first_page_s']:.2f} s;"
          f" RSS growth filling the cache {med['cache_rss_mib']:.0f} MiB")  # fmt: skip
    print(f"full list: {med['full_list_bytes'] / mb:.1f} MiB in {med['full_list_s']:.2f} s")
    print(f"first page (200, fields): {med['first_page_bytes'] / 1024:.0f} KiB in "
          f"{med['first_page_s']:.2f} s ({med['first_page_s'] / med['raw_list_s']:.4f} of the raw"
          f" list); whole trimmed list {med['trimmed_list_bytes'] / mb:.1f}"
          f" MiB ({med['trimmed_list_bytes'] / med['full_list_bytes']:.3f} of full)")  # fmt: skip
    print(f"stream snapshot: trimmed {med['trimmed_stream_bytes'] / mb:.1f} MiB in "
          f"{med['trimmed_stream_s']:.2f} s; full {med['full_stream_bytes'] / mb:.1f} MiB in "
          f"{med['full_stream_s']:.2f} s (ratio "
          f"{med['trimmed_stream_bytes'] / med['full_stream_bytes']:.3f})")  # fmt: skip
    print(f"browser: first tile {med['browser_first_tile_s']:.2f} s "
          f"({med['browser_first_tile_s'] / med['full_list_s']:.2f} of the full list's), "
          f"all {APPS} loaded {med['browser_all_loaded_s']:.2f} s, search typed -> filtered "
          f"{med['browser_search_s']:.3f} s, "
          f"sync filter {med['browser_filter_s']:.3f} s")  # fmt: skip


if __name__ == "__main__":
    main()
