"""``kaiun up --demo`` as a user runs it: a process, then real kubectl."""

from __future__ import annotations

import base64
import json
import ssl
import subprocess
import sys
from pathlib import Path

import httpx

from kaiun.localcluster.server import free_port
from tests.support import Kubectl, wait_for


def _apps(kubectl: Kubectl) -> dict[str, tuple[str, str]]:
    out = json.loads(kubectl("get", "applications", "-n", "argocd", "-o", "json"))
    return {
        a["metadata"]["name"]: (
            (a.get("status") or {}).get("sync", {}).get("status", ""),
            (a.get("status") or {}).get("health", {}).get("status", ""),
        )
        for a in out["items"]
    }


def _api_lists_demo_apps(data_dir: Path, kubectl: Kubectl, api_port: int) -> None:
    """The API server of the same process answers with the demo apps after a real login."""
    secret = json.loads(
        kubectl("get", "secret", "argocd-initial-admin-secret", "-n", "argocd", "-o", "json")
    )
    password = base64.b64decode(secret["data"]["password"]).decode()
    verify = ssl.create_default_context(cafile=str(data_dir / "server-tls" / "ca.crt"))
    with httpx.Client(base_url=f"https://127.0.0.1:{api_port}", verify=verify) as api:
        login = api.post("/api/v1/session", json={"username": "admin", "password": password})
        assert login.status_code == 200, login.text
        token = login.json()["token"]
        apps = api.get("/api/v1/applications", headers={"Authorization": f"Bearer {token}"})
        assert apps.status_code == 200, apps.text
        by_name = {a["metadata"]["name"]: a for a in apps.json()["items"]}
        assert by_name["guestbook"]["status"]["sync"]["status"] == "Synced"
        assert password not in apps.text


def test_up_with_demo_syncs_every_demo_app(tmp_path: Path) -> None:
    port = free_port()
    api_port = free_port()
    metrics_port = free_port()
    with (tmp_path / "up.log").open("w") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kaiun.cli",
                "up",
                "--demo",
                "--port",
                str(port),
                "--data-dir",
                str(tmp_path / "kaiun"),
                "--api-port",
                str(api_port),
                "--metrics-port",
                str(metrics_port),
            ],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
    try:
        assert proc.stdout is not None
        seen = []
        for line in proc.stdout:
            seen.append(line)
            if line.startswith("Press Ctrl-C"):
                break
        text = "".join(seen)
        assert "application/guestbook created" in text, text
        assert "application/root-app created" in text, text
        kubeconfig = tmp_path / "kaiun" / "kubeconfig"
        assert f"export KUBECONFIG={kubeconfig}" in text
        assert f"API server: https://127.0.0.1:{api_port}" in text
        kubectl = Kubectl(kubeconfig)

        def all_synced() -> dict[str, tuple[str, str]] | None:
            apps = _apps(kubectl)
            ok = len(apps) >= 8 and all(v == ("Synced", "Healthy") for v in apps.values())
            return apps if ok else None

        apps = wait_for(all_synced, timeout=240, interval=1, what=f"demo apps {_apps(kubectl)}")
        assert {"guestbook", "helm-dev", "kustomize-prod", "jsonnet", "sync-waves"} <= set(apps)
        _api_lists_demo_apps(tmp_path / "kaiun", kubectl, api_port)
        assert f"Controller metrics: http://127.0.0.1:{metrics_port}/metrics" in text
        scraped = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text
        assert "argocd_app_info{" in scraped and 'name="guestbook"' in scraped, scraped[:2000]
        assert "argocd_app_sync_total{" in scraped
        dep = json.loads(kubectl("get", "deploy", "guestbook-ui", "-n", "guestbook", "-o", "json"))
        uid = dep["metadata"]["uid"]
        # Drift: a deleted deployment comes back (automated selfHeal).
        kubectl("delete", "deploy", "guestbook-ui", "-n", "guestbook")

        def healed() -> bool:
            proc = kubectl.run(
                "get", "deploy", "guestbook-ui", "-n", "guestbook", "-o", "json", check=False
            )
            return proc.returncode == 0 and json.loads(proc.stdout)["metadata"]["uid"] != uid

        wait_for(healed, timeout=120, interval=0.5, what="guestbook-ui healed")
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    assert proc.returncode == 0, (tmp_path / "up.log").read_text()[-3000:]
