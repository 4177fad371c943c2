"""``kaiun up --demo`` as a user runs it: a process, then real kubectl."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from kaiun.localcluster.server import free_port
from tests.support import Kubectl


def test_up_with_demo_serves_the_demo_app(tmp_path: Path) -> None:
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
        assert "deployment/guestbook-ui created" in text, text
        kubeconfig = tmp_path / "kaiun" / "kubeconfig"
        assert f"export KUBECONFIG={kubeconfig}" in text
        kubectl = Kubectl(kubeconfig)
        dep = json.loads(kubectl("get", "deploy", "guestbook-ui", "-n", "guestbook", "-o", "json"))
        assert dep["spec"]["template"]["spec"]["containers"][0]["name"] == "guestbook-ui"
        svc = json.loads(kubectl("get", "svc", "guestbook-ui", "-n", "guestbook", "-o", "json"))
        assert svc["spec"]["ports"][0]["port"] == 80
    finally:
        proc.terminate()
        proc.communicate(timeout=15)
    assert proc.returncode == 0
