"""Controllers derive everything from stored state: a restarted server carries on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kaiun.localcluster import LocalCluster, Options
from tests.integration.localcluster.workloads.workload_kit import Kns, deployment
from tests.support import Kubectl


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "state"


def start(data_dir: Path) -> LocalCluster:
    return LocalCluster(
        Options(data_dir=data_dir, pod_ready_delay=0.2, kubeconfig=data_dir / "kubeconfig")
    ).start()


JOB = """
apiVersion: batch/v1
kind: Job
metadata: {name: slow}
spec:
  backoffLimit: 0
  template:
    metadata: {annotations: {local.kaiun.io/run-seconds: "2"}}
    spec:
      restartPolicy: Never
      containers: [{name: work, image: busybox}]
"""


def test_restart_resumes_without_duplicates(kubectl: Kubectl, data_dir: Path) -> None:
    lc = start(data_dir)
    try:
        k = Kns(Kubectl(lc.kubeconfig), "default")
        k.apply(deployment("web", replicas=3))
        k("rollout", "status", "deploy/web", "--timeout=30s")
        k.apply(JOB)
        k.until(
            lambda: k.items("pods", "-l", "job-name=slow"),
            lambda pods: pods and pods[0]["status"].get("phase") == "Running",
            what="job pod running",
        )
        before = {p["metadata"]["name"]: p for p in k.items("pods", "-l", "app=web")}
    finally:
        lc.stop()
    lc = start(data_dir)
    try:
        k = Kns(Kubectl(lc.kubeconfig), "default")
        k("wait", "--for=condition=Complete", "job/slow", "--timeout=30s")
        assert len(k.items("pods", "-l", "job-name=slow")) == 1
        k("rollout", "status", "deploy/web", "--timeout=30s")
        after = {p["metadata"]["name"]: p for p in k.items("pods", "-l", "app=web")}
        assert after.keys() == before.keys()
        assert {p["status"]["podIP"] for p in after.values()} == {
            p["status"]["podIP"] for p in before.values()
        }
        assert len(k.items("rs", "-l", "app=web")) == 1
        assert len(k.items("nodes")) == 1
        # New pods after the restart get IPs distinct from the surviving ones.
        k("scale", "deploy/web", "--replicas=5")
        k("rollout", "status", "deploy/web", "--timeout=30s")
        ips = [p["status"]["podIP"] for p in k.items("pods", "-l", "app=web")]
        assert len(set(ips)) == 5
    finally:
        lc.stop()


def test_restart_mid_rollout_keeps_the_rollout_going(kubectl: Kubectl, data_dir: Path) -> None:
    lc = start(data_dir)
    try:
        k = Kns(Kubectl(lc.kubeconfig), "default")
        k.apply(deployment("web", replicas=3))
        k("rollout", "status", "deploy/web", "--timeout=30s")
        k("set", "image", "deploy/web", "app=nginx:fail-pull")
        k.until(
            lambda: k.items("pods", "-l", "app=web"),
            lambda pods: "ImagePullBackOff" in str(pods),
            what="the new pod stuck pulling",
        )
    finally:
        lc.stop()
    lc = start(data_dir)
    try:
        k = Kns(Kubectl(lc.kubeconfig), "default")
        stalled = k("rollout", "status", "deploy/web", "--watch=false")
        assert "1 out of 3 new replicas have been updated" in stalled
        pods = k.items("pods", "-l", "app=web")
        assert len(pods) == 4 and len(k.items("rs", "-l", "app=web")) == 2
        k("set", "image", "deploy/web", "app=nginx:1.26")
        k("rollout", "status", "deploy/web", "--timeout=30s")
        pods = k.wait_count(3, "pods", "-l", "app=web")
        assert {p["spec"]["containers"][0]["image"] for p in pods} == {"nginx:1.26"}
    finally:
        lc.stop()
