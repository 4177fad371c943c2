"""Deployments roll out through ReplicaSets and pods, as seen through real kubectl."""

from __future__ import annotations

from tests.integration.localcluster.workloads.workload_kit import Kns, cond, deployment

REVISION = "deployment.kubernetes.io/revision"


def test_deployment_rolls_out_to_ready_pods(k: Kns) -> None:
    k.apply(deployment("web", replicas=3))
    out = k("rollout", "status", "deploy/web", "--timeout=30s")
    assert 'deployment "web" successfully rolled out' in out
    d = k.get("deploy", "web")
    st = d["status"]
    assert st["observedGeneration"] == d["metadata"]["generation"]
    assert (st["replicas"], st["updatedReplicas"], st["readyReplicas"]) == (3, 3, 3)
    assert st["availableReplicas"] == 3 and "unavailableReplicas" not in st
    assert cond(d, "Available")["reason"] == "MinimumReplicasAvailable"
    progressing = cond(d, "Progressing")
    assert progressing["reason"] == "NewReplicaSetAvailable"
    assert d["metadata"]["annotations"][REVISION] == "1"

    (rs,) = k.items("rs", "-l", "app=web")
    h = rs["metadata"]["labels"]["pod-template-hash"]
    assert rs["metadata"]["name"] == f"web-{h}"
    assert rs["spec"]["selector"]["matchLabels"] == {"app": "web", "pod-template-hash": h}
    (ref,) = rs["metadata"]["ownerReferences"]
    assert ref["uid"] == d["metadata"]["uid"] and ref["controller"] and ref["blockOwnerDeletion"]
    assert progressing["message"] == f'ReplicaSet "web-{h}" has successfully progressed.'

    pods = k.items("pods", "-l", "app=web")
    assert len(pods) == 3
    for pod in pods:
        assert pod["metadata"]["name"].startswith(f"web-{h}-")
        assert pod["metadata"]["ownerReferences"][0]["uid"] == rs["metadata"]["uid"]
        assert pod["status"]["phase"] == "Running"
    assert len({p["status"]["podIP"] for p in pods}) == 3


def test_changed_template_rolls_to_a_new_replicaset(k: Kns) -> None:
    k.apply(deployment("web", image="nginx:1.25", replicas=3))
    k("rollout", "status", "deploy/web", "--timeout=30s")
    k("set", "image", "deploy/web", "app=nginx:1.26")
    k("rollout", "status", "deploy/web", "--timeout=30s")
    rss = sorted(
        k.items("rs", "-l", "app=web"), key=lambda r: r["metadata"]["annotations"][REVISION]
    )
    assert [r["metadata"]["annotations"][REVISION] for r in rss] == ["1", "2"]
    old, new = rss
    assert (old["spec"]["replicas"], new["spec"]["replicas"]) == (0, 3)
    assert new["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.26"
    d = k.get("deploy", "web")
    assert d["metadata"]["annotations"][REVISION] == "2"
    assert d["status"]["updatedReplicas"] == 3
    pods = k.wait_count(3, "pods", "-l", "app=web")
    assert {p["spec"]["containers"][0]["image"] for p in pods} == {"nginx:1.26"}
    events = k("get", "events", "--field-selector", "involvedObject.kind=Deployment")
    new_name, old_name = new["metadata"]["name"], old["metadata"]["name"]
    assert f"Scaled up replica set {new_name} from 0 to 1" in events
    assert f"Scaled down replica set {old_name} from 3 to 2" in events


def test_rollout_respects_max_unavailable_zero(k: Kns) -> None:
    """With maxSurge 1 / maxUnavailable 0 there are never fewer than 3 ready pods."""
    k.apply(deployment("web", replicas=3))
    k("rollout", "status", "deploy/web", "--timeout=30s")
    k("set", "image", "deploy/web", "app=nginx:1.26")
    seen_ready: list[int] = []
    seen_total: list[int] = []

    def done() -> bool:
        d = k.get("deploy", "web")
        seen_ready.append(d["status"].get("availableReplicas", 0))
        seen_total.append(d["status"].get("replicas", 0))
        return d["status"].get("updatedReplicas") == 3 and d["status"].get("replicas") == 3

    k.wait(done, what="rollout finished")
    assert min(seen_ready) >= 3
    assert max(seen_total) <= 4


def test_scaling_up_and_down(k: Kns) -> None:
    k.apply(deployment("web", replicas=1))
    k("rollout", "status", "deploy/web", "--timeout=30s")
    k("scale", "deploy/web", "--replicas=4")
    k("rollout", "status", "deploy/web", "--timeout=30s")
    assert len(k.items("pods", "-l", "app=web")) == 4
    k("scale", "deploy/web", "--replicas=2")
    k.wait_count(2, "pods", "-l", "app=web")
    d = k.wait(
        lambda: (d := k.get("deploy", "web"))["status"].get("replicas") == 2 and d,
        what="status replicas 2",
    )
    assert d["status"]["availableReplicas"] == 2
    assert len(k.items("rs", "-l", "app=web")) == 1


def test_paused_deployment_does_not_roll(k: Kns) -> None:
    k.apply(deployment("web", replicas=2))
    k("rollout", "status", "deploy/web", "--timeout=30s")
    k("rollout", "pause", "deploy/web")
    k("set", "image", "deploy/web", "app=nginx:1.26")
    d = k.until(
        lambda: k.get("deploy", "web"),
        lambda d: d["status"]["observedGeneration"] == d["metadata"]["generation"],
        what="paused deployment observed",
    )
    assert cond(d, "Progressing")["reason"] == "DeploymentPaused"
    assert len(k.items("rs", "-l", "app=web")) == 1
    k("rollout", "resume", "deploy/web")
    k("rollout", "status", "deploy/web", "--timeout=30s")
    assert len(k.items("rs", "-l", "app=web")) == 2


def test_revision_history_limit_prunes_old_replicasets(k: Kns) -> None:
    k.apply(
        deployment("web", replicas=1).replace("revisionHistoryLimit: 10", "revisionHistoryLimit: 1")
    )
    for tag in ("1.25", "1.26", "1.27", "1.28"):
        k("set", "image", "deploy/web", f"app=nginx:{tag}")
        k("rollout", "status", "deploy/web", "--timeout=30s")
    rss = k.wait_count(2, "rs", "-l", "app=web")
    revisions = sorted(int(r["metadata"]["annotations"][REVISION]) for r in rss)
    assert revisions == [3, 4]


def test_rollback_reuses_the_old_replicaset(k: Kns) -> None:
    """``kubectl rollout undo`` revives the old ReplicaSet as the newest revision."""
    k("create", "-f", "-", input=deployment("web", replicas=1))
    k("rollout", "status", "deploy/web", "--timeout=30s")
    (first_rs,) = k.items("rs", "-l", "app=web")
    first = first_rs["metadata"]["name"]
    k("replace", "-f", "-", input=deployment("web", replicas=1, image="nginx:1.26"))
    k("rollout", "status", "deploy/web", "--timeout=30s")
    k("rollout", "undo", "deploy/web")
    k("rollout", "status", "deploy/web", "--timeout=30s")
    rss = {r["metadata"]["name"]: r for r in k.items("rs", "-l", "app=web")}
    assert len(rss) == 2
    assert rss[first]["spec"]["replicas"] == 1
    assert rss[first]["metadata"]["annotations"][REVISION] == "3"
    assert k.get("deploy", "web")["metadata"]["annotations"][REVISION] == "3"


def test_recreate_strategy_replaces_all_pods(k: Kns) -> None:
    manifest = deployment("web", replicas=2).replace(
        "strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}",
        "strategy: {type: Recreate}",
    )
    k.apply(manifest)
    k("rollout", "status", "deploy/web", "--timeout=30s")
    k("set", "image", "deploy/web", "app=nginx:1.26")
    k("rollout", "status", "deploy/web", "--timeout=30s")
    pods = k.items("pods", "-l", "app=web")
    assert {p["spec"]["containers"][0]["image"] for p in pods} == {"nginx:1.26"}
    events = k("get", "events", "--field-selector", "involvedObject.kind=Deployment")
    assert "from 2 to 0" in events


def test_rollout_history_lists_revisions(k: Kns) -> None:
    k.apply(deployment("web", replicas=1))
    k("rollout", "status", "deploy/web", "--timeout=30s")
    k("rollout", "restart", "deploy/web")
    k("rollout", "status", "deploy/web", "--timeout=30s")
    history = k("rollout", "history", "deploy/web")
    assert [line.split()[0] for line in history.splitlines()[2:] if line.strip()] == ["1", "2"]


def test_simulate_off_leaves_the_object_to_the_client(k: Kns) -> None:
    k.apply(
        deployment("manual", replicas=2).replace(
            "metadata: {name: manual}",
            "metadata: {name: manual, annotations: {local.kaiun.io/simulate: 'Off'}}",
        )
    )
    k.apply(deployment("auto", replicas=1))
    # Once the controllers have handled the later Deployment, they have seen the first.
    k("rollout", "status", "deploy/auto", "--timeout=30s")
    assert not k.get("deploy", "manual").get("status")
    assert k.items("rs", "-l", "app=manual") == []
