"""Durability: a ``kill -9`` mid-write-stream loses no acknowledged write."""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import sys
import threading
from pathlib import Path

import httpx

from kaiun.localcluster.server import free_port


def _start(data_dir: Path, port: int) -> subprocess.Popen[str]:
    data_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "kaiun.cli", "localcluster", "serve"]
    with (data_dir / "server.log").open("a") as log:
        proc = subprocess.Popen(
            [*cmd, "--data-dir", str(data_dir), "--port", str(port)],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert "ready" in line, line + (data_dir / "server.log").read_text()
    return proc


def _finish(proc: subprocess.Popen[str], *, kill: bool = False) -> int:
    if kill:
        os.kill(proc.pid, signal.SIGKILL)
    elif proc.poll() is None:
        proc.terminate()
    proc.communicate(timeout=15)
    return proc.returncode


def _client(data_dir: Path, port: int) -> httpx.Client:
    token = (data_dir / "token").read_text().strip()
    return httpx.Client(
        base_url=f"https://127.0.0.1:{port}",
        timeout=10,
        verify=ssl.create_default_context(cafile=str(data_dir / "pki" / "ca.crt")),
        headers={"Authorization": f"Bearer {token}"},
    )


def test_kill_9_loses_no_acknowledged_write(tmp_path: Path) -> None:
    data_dir, port = tmp_path / "state", free_port()
    proc = _start(data_dir, port)
    acked: dict[str, int] = {}
    enough = threading.Event()

    def writer() -> None:
        with _client(data_dir, port) as client:
            i = 0
            while True:
                try:
                    r = client.post(
                        "/api/v1/namespaces/default/configmaps",
                        json={
                            "apiVersion": "v1",
                            "kind": "ConfigMap",
                            "metadata": {"name": f"cm-{i}"},
                            "data": {"i": str(i)},
                        },
                    )
                except httpx.HTTPError:
                    return
                if r.status_code == 201:
                    acked[f"cm-{i}"] = int(r.json()["metadata"]["resourceVersion"])
                if len(acked) >= 200:
                    enough.set()
                i += 1

    t = threading.Thread(target=writer)
    t.start()
    assert enough.wait(60)
    _finish(proc, kill=True)
    t.join(30)
    assert not t.is_alive()

    proc = _start(data_dir, port)
    try:
        with _client(data_dir, port) as client:
            listed = client.get("/api/v1/namespaces/default/configmaps").json()
            present = {i["metadata"]["name"] for i in listed["items"]}
            assert set(acked) <= present
            new = client.post(
                "/api/v1/namespaces/default/configmaps",
                json={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "after"}},
            )
            assert int(new.json()["metadata"]["resourceVersion"]) > max(acked.values())
    finally:
        _finish(proc)


def test_sigterm_stops_cleanly(tmp_path: Path) -> None:
    data_dir, port = tmp_path / "state", free_port()
    proc = _start(data_dir, port)
    assert _finish(proc) == 0
    kubeconfig = (data_dir / "kubeconfig").read_text()
    assert f"https://127.0.0.1:{port}" in kubeconfig
