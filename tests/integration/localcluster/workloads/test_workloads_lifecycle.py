"""Workloads go away cleanly: cascading deletes and namespace deletion do not fight them."""

from __future__ import annotations

import pytest

from tests.integration.localcluster.workloads.workload_kit import Kns, deployment
from tests.support import Kubectl


@pytest.mark.parametrize("cascade", ["background", "foreground"])
def test_deleting_a_deployment_removes_its_replicasets_and_pods(k: Kns, cascade: str) -> None:
    k.apply(deployment("web", replicas=2))
    k("rollout", "status", "deploy/web", "--timeout=30s")
    k("delete", "deploy", "web", f"--cascade={cascade}", "--timeout=30s")
    k.wait_count(0, "rs", "-l", "app=web")
    k.wait_count(0, "pods", "-l", "app=web")


def test_orphaned_replicaset_keeps_its_pods(k: Kns) -> None:
    k.apply(deployment("web", replicas=2))
    k("rollout", "status", "deploy/web", "--timeout=30s")
    k("delete", "deploy", "web", "--cascade=orphan", "--timeout=30s")
    (rs,) = k.until(
        lambda: k.items("rs", "-l", "app=web"),
        lambda items: len(items) == 1 and not items[0]["metadata"].get("ownerReferences"),
        what="orphaned replicaset",
    )
    assert len(k.items("pods", "-l", "app=web")) == 2
    assert rs["status"]["readyReplicas"] == 2


def test_namespace_with_workloads_is_deleted(kubectl: Kubectl, k: Kns) -> None:
    k.apply(
        deployment("web", replicas=2)
        + """---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: tick, annotations: {local.kaiun.io/every-seconds: "1"}}
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        spec: {restartPolicy: Never, containers: [{name: a, image: busybox}]}
"""
    )
    k("rollout", "status", "deploy/web", "--timeout=30s")
    k.wait(lambda: k.items("jobs"), what="a cron job run")
    kubectl("delete", "namespace", k.ns, "--timeout=60s")
    gone = kubectl.run("get", "namespace", k.ns, check=False)
    assert gone.returncode != 0 and "NotFound" in gone.stderr
