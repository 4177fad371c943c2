"""``kaiun up --demo`` as a user runs it: a process, then real kubectl."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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


def test_up_with_demo_syncs_every_demo_app(tmp_path: Path) -> None:
    port = free_port()
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
        kubectl = Kubectl(kubeconfig)

        def all_synced() -> dict[str, tuple[str, str]] | None:
            apps = _apps(kubectl)
            ok = len(apps) >= 8 and all(v == ("Synced", "Healthy") for v in apps.values())
            return apps if ok else None

        apps = wait_for(all_synced, timeout=240, interval=1, what=f"demo apps {_apps(kubectl)}")
        assert {"guestbook", "helm-dev", "kustomize-prod", "jsonnet", "sync-waves"} <= set(apps)
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
