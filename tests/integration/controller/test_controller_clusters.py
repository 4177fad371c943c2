"""Destinations from Argo CD cluster Secrets, settings from argocd-cm, and the command."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from kaiun.localcluster import LocalCluster
from tests.integration.controller.conftest import (
    ControllerRunner,
    Plane,
    configmap,
    fast,
    synced_healthy,
)
from tests.support import Kubectl

AUTO = {"prune": True, "selfHeal": True}


def test_destination_by_cluster_secret_name(plane: Plane, local_cluster: LocalCluster) -> None:
    # The same local cluster, registered under another address, as a remote cluster would be.
    server = local_cluster.url.replace("127.0.0.1", "localhost")
    config = {
        "bearerToken": local_cluster.token,
        "tlsClientConfig": {"caData": base64.b64encode(local_cluster.ca.read_bytes()).decode()},
    }
    secret = {
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "other", "namespace": plane.namespace,
                     "labels": {"argocd.argoproj.io/secret-type": "cluster"}},
        "stringData": {"name": "other-cluster", "server": server, "config": json.dumps(config)},
    }  # fmt: skip
    plane.apply(json.dumps(secret))
    plane.repo.commit({"app/cm.yaml": configmap("remote")})
    text = plane.app_yaml("remote", automated=AUTO).replace(
        "    server: https://kubernetes.default.svc\n", "    name: other-cluster\n"
    )
    plane.apply(text)
    plane.wait_app("remote", synced_healthy)
    live = plane.get("configmap", "remote")
    assert live is not None
    unknown = plane.app_yaml("lost", automated=AUTO).replace(
        "    server: https://kubernetes.default.svc\n", "    name: nowhere\n"
    )
    plane.apply(unknown)
    app = plane.wait_app(
        "lost",
        lambda a: any(
            c["type"] == "InvalidSpecError" for c in a.get("status", {}).get("conditions", [])
        ),
    )
    assert "nowhere" in app["status"]["conditions"][0]["message"]


def test_excluded_kind_is_a_warning(plane: Plane) -> None:
    exclusions = "- apiGroups: ['']\n  kinds: [Secret]\n"
    plane.kubectl(
        "patch", "configmap", "argocd-cm", "-n", plane.namespace, "--type", "merge",
        "-p", json.dumps({"data": {"resource.exclusions": exclusions}}),
    )  # fmt: skip
    plane.runner.stop()
    plane.runner = ControllerRunner(
        plane.runner.kubeconfig, plane.namespace, plane.runner.work_dir, fast
    )
    plane.runner.start()
    secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: hidden}\nstringData: {a: b}\n"
    plane.repo.commit({"app/secret.yaml": secret, "app/cm.yaml": configmap("visible")})
    plane.apply(plane.app_yaml("excluding", automated=AUTO))
    app = plane.wait_app("excluding", synced_healthy)
    conditions = {c["type"]: c["message"] for c in app["status"].get("conditions", [])}
    assert "Secret" in conditions["ExcludedResourceWarning"]
    assert [r["kind"] for r in app["status"]["resources"]] == ["ConfigMap"]


def test_kaiun_controller_command(
    local_cluster: LocalCluster, kubectl: Kubectl, tmp_path: Path
) -> None:
    from tests.integration.repo.repo_testkit import GitRepo

    namespace = f"cmd-{os.urandom(3).hex()}"
    dest = f"cmd-dest-{os.urandom(3).hex()}"
    repo = GitRepo(tmp_path / "origin")
    repo.commit({"app/cm.yaml": configmap("from-command")})
    proc = subprocess.Popen(
        [sys.executable, "-m", "kaiun.cli", "controller", "--kubeconfig",
         str(local_cluster.kubeconfig), "--namespace", namespace, "--status-processors", "2",
         "--operation-processors", "2", "--work-dir", str(tmp_path / "work")],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert f"namespace={namespace}" in line, line
        kubectl("create", "namespace", dest)
        app = {
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": {"name": "by-command", "namespace": namespace},
            "spec": {
                "project": "default",
                "source": {"repoURL": repo.url, "path": "app"},
                "destination": {"server": "https://kubernetes.default.svc", "namespace": dest},
                "syncPolicy": {"automated": {}},
            },
        }  # fmt: skip
        kubectl("apply", "-f", "-", input=json.dumps(app))
        plane = Plane(namespace, dest, repo, kubectl, runner=None)  # type: ignore[arg-type]
        plane.wait_app("by-command", synced_healthy)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    assert proc.returncode == 0
