"""Local cluster throughput, latency and memory, each beside its SQLite floor.

Run: ``.venv/bin/python bench/localcluster/bench.py [--runs 5] [--objects 50000]``.
The server runs as its own process (``kaiun localcluster serve``) so RSS is its own; the
client is one keep-alive HTTPS connection (httpx). Baselines do the same operation directly
on SQLite (WAL, synchronous=NORMAL, one commit per write) in this process.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import sqlite3
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from kaiun.localcluster.server import free_port

PAYLOAD = "x" * 900  # with metadata, a ConfigMap of about 1 KiB


def cm(name: str) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "default"},
        "data": {"blob": PAYLOAD},
    }


class Server:
    def __init__(self, root: Path) -> None:
        self.dir = root / "state"
        self.port = free_port()
        self.log = (root / "server.log").open("w")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kaiun.cli",
                "localcluster",
                "serve",
                "--data-dir",
                str(self.dir),
                "--port",
                str(self.port),
            ],
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        assert self.proc.stdout is not None
        assert "ready" in self.proc.stdout.readline()
        self.token = (self.dir / "token").read_text().strip()
        self.ctx = ssl.create_default_context(cafile=str(self.dir / "pki" / "ca.crt"))

    def client(self) -> httpx.Client:
        return httpx.Client(
            base_url=f"https://127.0.0.1:{self.port}",
            verify=self.ctx,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=120,
        )

    def async_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=f"https://127.0.0.1:{self.port}",
            verify=self.ctx,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=120,
            limits=httpx.Limits(max_connections=300),
        )

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.communicate(timeout=30)
        self.log.close()


def sqlite_floor(root: Path, n: int) -> dict[str, float]:
    db = sqlite3.connect(str(root / "floor.db"), isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE o (k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID")
    blobs = [json.dumps(cm(f"c{i}")).encode() for i in range(n)]
    t = time.perf_counter()
    for i, b in enumerate(blobs):
        with db:
            db.execute("INSERT INTO o VALUES (?, ?)", (f"c{i}", b))
    creates = n / (time.perf_counter() - t)
    t = time.perf_counter()
    for i in range(n):
        db.execute("SELECT v FROM o WHERE k=?", (f"c{i}",)).fetchone()
    gets = n / (time.perf_counter() - t)
    t = time.perf_counter()
    rows = db.execute("SELECT v FROM o").fetchall()
    list_s = time.perf_counter() - t
    assert len(rows) == n
    db.close()
    return {"creates_per_s": creates, "gets_per_s": gets, "list_s": list_s}


def http_ops(server: Server, n: int, prefix: str) -> dict[str, float]:
    # The stdlib client: one keep-alive connection with little per-request overhead, so the
    # figure is the server's (httpx's sync TLS path costs ~2 ms a request on its own).
    path = "/api/v1/namespaces/default/configmaps"
    conn = http.client.HTTPSConnection("127.0.0.1", server.port, context=server.ctx)
    headers = {"Authorization": f"Bearer {server.token}", "Content-Type": "application/json"}
    bodies = [json.dumps(cm(f"{prefix}{i}")) for i in range(n)]
    t = time.perf_counter()
    for body in bodies:
        conn.request("POST", path, body=body, headers=headers)
        r = conn.getresponse()
        r.read()
        assert r.status == 201
    creates = n / (time.perf_counter() - t)
    t = time.perf_counter()
    for i in range(n):
        conn.request("GET", f"{path}/{prefix}{i}", headers=headers)
        r = conn.getresponse()
        r.read()
        assert r.status == 200
    gets = n / (time.perf_counter() - t)
    conn.close()
    return {"creates_per_s": creates, "gets_per_s": gets}


def http_list(server: Server) -> tuple[float, int]:
    with server.client() as c:
        t = time.perf_counter()
        r = c.get("/api/v1/namespaces/default/configmaps")
        items = len(r.json()["items"])
        return time.perf_counter() - t, items


async def watch_latency(server: Server, watchers: int, writes: int) -> list[float]:
    path = "/api/v1/namespaces/bench-watch/configmaps"
    sent: dict[str, float] = {}
    latencies: list[float] = []
    async with server.async_client() as c:
        await c.post(
            "/api/v1/namespaces",
            json={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bench-watch"}},
        )
        rv = (await c.get(path)).json()["metadata"]["resourceVersion"]
        ready = [asyncio.Event() for _ in range(watchers)]

        async def watch(i: int) -> None:
            got = 0
            async with c.stream("GET", path, params={"watch": "true", "resourceVersion": rv}) as r:
                ready[i].set()
                async for line in r.aiter_lines():
                    if not line:
                        continue
                    now = time.perf_counter()
                    name = json.loads(line)["object"]["metadata"]["name"]
                    latencies.append(now - sent[name])
                    got += 1
                    if got >= writes:
                        return

        tasks = [asyncio.create_task(watch(i)) for i in range(watchers)]
        await asyncio.gather(*(e.wait() for e in ready))
        with server.client() as sync:
            for i in range(writes):
                name = f"w{i}"
                sent[name] = time.perf_counter()
                body = cm(name)
                body["metadata"]["namespace"] = "bench-watch"
                await asyncio.to_thread(sync.post, path, json=body)
                await asyncio.sleep(0.02)
        await asyncio.wait_for(asyncio.gather(*tasks), 120)
    return latencies


def fill(server: Server, total: int) -> None:
    path = "/api/v1/namespaces/default/configmaps"
    with server.client() as c:
        have = len(c.get(path).json()["items"])
    conn = http.client.HTTPSConnection("127.0.0.1", server.port, context=server.ctx)
    headers = {"Authorization": f"Bearer {server.token}", "Content-Type": "application/json"}
    for i in range(have, total):
        conn.request("POST", path, body=json.dumps(cm(f"fill{i}")), headers=headers)
        r = conn.getresponse()
        r.read()
        assert r.status == 201
    conn.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--ops", type=int, default=2000)
    ap.add_argument("--objects", type=int, default=50_000)
    args = ap.parse_args()
    results: dict[str, list[float]] = {}

    def add(key: str, v: float) -> None:
        results.setdefault(key, []).append(v)

    for run in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            floor = sqlite_floor(root, args.ops)
            server = Server(root)
            try:
                ops = http_ops(server, args.ops, f"r{run}-")
                for k in ("creates_per_s", "gets_per_s"):
                    add(k, ops[k])
                    add(f"sqlite_{k}", floor[k])
                fill(server, 10_000)
                list_s, items = http_list(server)
                assert items >= 10_000
                db = sqlite3.connect(str(server.dir / "state.db"))
                t = time.perf_counter()
                db.execute("SELECT data FROM objects WHERE skey='/configmaps'").fetchall()
                add("sqlite_list_10k_s", time.perf_counter() - t)
                db.close()
                add("list_10k_s", list_s)
                lat = asyncio.run(watch_latency(server, 100, 50))
                lat.sort()
                add("watch_p50_ms", 1000 * lat[len(lat) // 2])
                add("watch_p99_ms", 1000 * lat[int(len(lat) * 0.99)])
                if run == 0:
                    fill(server, args.objects)
                    add("rss_mb_50k", server.rss_mb())
                    size = sum(f.stat().st_size for f in server.dir.glob("state.db*"))
                    add("sqlite_db_mb_50k", size / 1024 / 1024)
            finally:
                server.stop()
    print(json.dumps({k: round(statistics.median(v), 4) for k, v in results.items()}, indent=2))
    med = {k: statistics.median(v) for k, v in results.items()}
    print(
        f"creates/s {med['creates_per_s']:.0f} (SQLite floor {med['sqlite_creates_per_s']:.0f},"
        f" ratio {med['creates_per_s'] / med['sqlite_creates_per_s']:.3f})"
    )
    print(
        f"gets/s {med['gets_per_s']:.0f} (SQLite floor {med['sqlite_gets_per_s']:.0f},"
        f" ratio {med['gets_per_s'] / med['sqlite_gets_per_s']:.3f})"
    )
    print(
        f"LIST 10k {med['list_10k_s'] * 1000:.0f} ms (SQLite floor "
        f"{med['sqlite_list_10k_s'] * 1000:.1f} ms, ratio "
        f"{med['list_10k_s'] / med['sqlite_list_10k_s']:.1f}x)"
    )
    print(
        f"watch p99 {med['watch_p99_ms']:.1f} ms, p50 {med['watch_p50_ms']:.1f} ms (100 watchers)"
    )
    print(
        f"RSS with 50k objects {med['rss_mb_50k']:.0f} MB (SQLite file "
        f"{med['sqlite_db_mb_50k']:.0f} MB)"
    )
    print(f"machine: {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
