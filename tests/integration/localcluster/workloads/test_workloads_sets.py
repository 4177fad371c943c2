"""StatefulSets, DaemonSets and standalone ReplicaSets, through real kubectl."""

from __future__ import annotations

from tests.integration.localcluster.workloads.workload_kit import Kns, cond

STS = """
apiVersion: apps/v1
kind: StatefulSet
metadata: {{name: db}}
spec:
  replicas: {replicas}
  serviceName: db
  podManagementPolicy: {policy}
  updateStrategy: {{type: RollingUpdate, rollingUpdate: {{partition: 0}}}}
  revisionHistoryLimit: 10
  selector: {{matchLabels: {{app: db}}}}
  template:
    metadata: {{labels: {{app: db}}}}
    spec: {{containers: [{{name: db, image: "{image}"}}]}}
  volumeClaimTemplates:
  - metadata: {{name: data}}
    spec: {{accessModes: [ReadWriteOnce], resources: {{requests: {{storage: 1Gi}}}}}}
"""


def sts(replicas: int = 3, image: str = "postgres:16", policy: str = "OrderedReady") -> str:
    return STS.format(replicas=replicas, image=image, policy=policy)


def test_statefulset_creates_ordered_pods_with_claims(k: Kns) -> None:
    k.apply(sts())
    out = k("rollout", "status", "sts/db", "--timeout=40s")
    assert "partitioned roll out complete" in out or "rolling update complete" in out
    pods = k.items("pods", "-l", "app=db")
    assert sorted(p["metadata"]["name"] for p in pods) == ["db-0", "db-1", "db-2"]
    for p in pods:
        assert p["spec"]["hostname"] == p["metadata"]["name"]
        assert p["spec"]["subdomain"] == "db"
        claim = next(v for v in p["spec"]["volumes"] if v["name"] == "data")
        assert claim["persistentVolumeClaim"]["claimName"] == f"data-{p['metadata']['name']}"
    # OrderedReady: each pod started only after the previous one was Ready.
    by_name = {p["metadata"]["name"]: p for p in pods}
    for a, b in (("db-0", "db-1"), ("db-1", "db-2")):
        assert (
            cond(by_name[a], "Ready")["lastTransitionTime"]
            <= (by_name[b]["metadata"]["creationTimestamp"])
        )
    claims = k.items("pvc")
    assert sorted(c["metadata"]["name"] for c in claims) == ["data-db-0", "data-db-1", "data-db-2"]
    assert {c["status"]["phase"] for c in claims} == {"Bound"}
    st = k.get("sts", "db")["status"]
    assert st["readyReplicas"] == st["availableReplicas"] == st["replicas"] == 3
    assert st["currentRevision"] == st["updateRevision"]
    assert st["updateRevision"] in {
        r["metadata"]["name"] for r in k.items("controllerrevisions", "-l", "app=db")
    }


def test_statefulset_rolling_update_and_scale_down(k: Kns) -> None:
    k.apply(sts(policy="Parallel"))
    k("rollout", "status", "sts/db", "--timeout=40s")
    before = k.get("sts", "db")["status"]["currentRevision"]
    k.apply(sts(policy="Parallel", image="postgres:17"))
    k("rollout", "status", "sts/db", "--timeout=40s")
    st = k.until(
        lambda: k.get("sts", "db")["status"],
        lambda s: s.get("currentRevision") == s.get("updateRevision") != before,
        what="currentRevision caught up",
    )
    assert st["updatedReplicas"] == 3
    images = {p["spec"]["containers"][0]["image"] for p in k.items("pods", "-l", "app=db")}
    assert images == {"postgres:17"}
    k("scale", "sts/db", "--replicas=1")
    pods = k.wait_count(1, "pods", "-l", "app=db")
    assert pods[0]["metadata"]["name"] == "db-0"
    # Claims outlive their pods (retention policy Retain).
    assert len(k.items("pvc")) == 3


def test_daemonset_runs_one_pod_on_the_node(k: Kns) -> None:
    manifest = """
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  updateStrategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 1}}
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: a, image: "busybox:IMAGE"}]}
"""
    k.apply(manifest.replace("IMAGE", "1.36"))
    out = k("rollout", "status", "ds/agent", "--timeout=30s")
    assert 'daemon set "agent" successfully rolled out' in out
    (pod,) = k.items("pods", "-l", "app=agent")
    assert pod["spec"]["nodeName"] == "kaiun-local"
    st = k.get("ds", "agent")["status"]
    assert st["desiredNumberScheduled"] == st["numberReady"] == st["numberAvailable"] == 1
    k.apply(manifest.replace("IMAGE", "1.37"))
    k("rollout", "status", "ds/agent", "--timeout=30s")
    (pod,) = k.wait_count(1, "pods", "-l", "app=agent")
    assert pod["spec"]["containers"][0]["image"] == "busybox:1.37"


def test_daemonset_with_unmatched_node_selector_wants_nothing(k: Kns) -> None:
    k.apply("""
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: gpu}
spec:
  updateStrategy: {type: RollingUpdate}
  selector: {matchLabels: {app: gpu}}
  template:
    metadata: {labels: {app: gpu}}
    spec:
      nodeSelector: {accelerator: gpu}
      containers: [{name: a, image: busybox}]
""")
    st = k.until(
        lambda: k.get("ds", "gpu").get("status") or {},
        lambda s: "desiredNumberScheduled" in s,
        what="daemonset status",
    )
    assert st["desiredNumberScheduled"] == 0
    assert k.items("pods", "-l", "app=gpu") == []


def test_standalone_replicaset_keeps_its_replicas(k: Kns) -> None:
    k.apply("""
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: plain}
spec:
  replicas: 2
  selector: {matchLabels: {app: plain}}
  template:
    metadata: {labels: {app: plain}}
    spec: {containers: [{name: a, image: nginx}]}
""")
    rs = k.until(
        lambda: k.get("rs", "plain"),
        lambda r: r.get("status", {}).get("readyReplicas") == 2,
        what="2 ready replicas",
    )
    assert rs["status"]["availableReplicas"] == 2
    assert rs["status"]["observedGeneration"] == rs["metadata"]["generation"]
    events = k("get", "events", "--field-selector", "involvedObject.name=plain")
    assert "SuccessfulCreate" in events and "Created pod: plain-" in events
