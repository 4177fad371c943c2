"""Claims bind to dynamically provisioned volumes; pods wait for their claims."""

from __future__ import annotations

from tests.integration.localcluster.workloads.workload_kit import Kns

PVC = """
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {{name: {name}, annotations: {annotations}}}
spec:
  accessModes: [ReadWriteOnce]
  resources: {{requests: {{storage: 2Gi}}}}
"""


def test_claim_binds_to_a_provisioned_volume(k: Kns) -> None:
    k.apply(PVC.format(name="data", annotations="{}"))
    pvc = k.until(
        lambda: k.get("pvc", "data"),
        lambda p: p.get("status", {}).get("phase") == "Bound",
        what="claim Bound",
    )
    assert pvc["status"]["capacity"] == {"storage": "2Gi"}
    pv = k.get("pv", pvc["spec"]["volumeName"])
    assert pv["status"]["phase"] == "Bound"
    assert pv["spec"]["claimRef"]["uid"] == pvc["metadata"]["uid"]
    assert pvc["spec"]["storageClassName"] == "standard"
    assert k.get("storageclass", "standard")["provisioner"]
    k("delete", "pvc", "data")
    k.wait(
        lambda: k.run("get", "pv", pvc["spec"]["volumeName"]).returncode != 0,
        what="volume deleted with its claim",
    )


def test_pending_claim_keeps_its_pod_unscheduled(k: Kns) -> None:
    k.apply(
        PVC.format(name="stuck", annotations="{local.kaiun.io/simulate: Pending}")
        + """---
apiVersion: v1
kind: Pod
metadata: {name: user}
spec:
  containers: [{name: app, image: nginx}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: stuck}}]
"""
    )
    events = k.wait(
        lambda: k.items("events", "--field-selector", "reason=FailedScheduling"),
        what="FailedScheduling",
    )
    assert "unbound immediate PersistentVolumeClaims" in events[0]["message"]
    assert k.get("pvc", "stuck")["status"]["phase"] == "Pending"
    assert not k.get("pod", "user")["spec"].get("nodeName")
    k("annotate", "pvc", "stuck", "local.kaiun.io/simulate-")
    k("wait", "--for=condition=Ready", "pod/user", "--timeout=30s")
