"""Pods are scheduled to the simulated node and run like a kubelet would run them."""

from __future__ import annotations

from typing import Any

from tests.integration.localcluster.workloads.workload_kit import Kns, cond, deployment

POD = """
apiVersion: v1
kind: Pod
metadata:
  name: {name}
  annotations: {annotations}
spec:
  restartPolicy: {policy}
  containers: [{{name: app, image: "{image}"}}]
"""


def pod(name: str, *, image: str = "nginx:1.25", policy: str = "Always", mode: str = "") -> str:
    annotations = f"{{local.kaiun.io/simulate: {mode}}}" if mode else "{}"
    return POD.format(name=name, image=image, policy=policy, annotations=annotations)


def ready(k: Kns, name: str) -> Any:
    return k.until(
        lambda: k.get("pod", name),
        lambda p: cond(p, "Ready").get("status") == "True",
        what=f"pod {name} Ready",
    )


def test_pod_runs_and_becomes_ready_on_the_node(k: Kns) -> None:
    k.apply(pod("solo"))
    p = ready(k, "solo")
    st = p["status"]
    assert p["spec"]["nodeName"] == "kaiun-local"
    assert st["phase"] == "Running"
    assert st["podIP"].startswith("10.244.") and st["hostIP"] and st["startTime"]
    types = {c["type"]: c["status"] for c in st["conditions"]}
    assert types == {
        "PodReadyToStartContainers": "True",
        "Initialized": "True",
        "Ready": "True",
        "ContainersReady": "True",
        "PodScheduled": "True",
    }
    (cs,) = st["containerStatuses"]
    assert cs["ready"] and cs["started"] and cs["restartCount"] == 0
    assert "running" in cs["state"] and cs["image"] == "docker.io/library/nginx:1.25"
    node = k.get("node", "kaiun-local")
    assert cond(node, "Ready")["status"] == "True"
    assert st["hostIP"] == next(
        a["address"] for a in node["status"]["addresses"] if a["type"] == "InternalIP"
    )


def test_kubectl_wait_and_events_show_the_pod_lifecycle(k: Kns) -> None:
    k.apply(pod("solo"))
    k("wait", "--for=condition=Ready", "pod/solo", "--timeout=30s")
    events = k("get", "events", "--field-selector", "involvedObject.name=solo")
    for reason in ("Scheduled", "Pulling", "Pulled", "Created", "Started"):
        assert reason in events
    assert f"Successfully assigned {k.ns}/solo to kaiun-local" in events
    described = k("describe", "pod", "solo")
    assert "Started container app" in described and "default-scheduler" in described


def test_image_tag_fail_pull_gives_image_pull_backoff(k: Kns) -> None:
    k.apply(pod("broken", image="nginx:fail-pull"))

    def waiting() -> Any:
        p = k.get("pod", "broken")
        statuses = p["status"].get("containerStatuses") or [{}]
        reason = (statuses[0].get("state", {}).get("waiting") or {}).get("reason")
        return p if reason == "ImagePullBackOff" else None

    p = waiting_pod = k.wait(waiting, what="ImagePullBackOff")
    assert p["status"]["phase"] == "Pending"
    assert cond(waiting_pod, "Ready")["reason"] == "ContainersNotReady"
    msg = p["status"]["containerStatuses"][0]["state"]["waiting"]["message"]
    assert 'Back-off pulling image "nginx:fail-pull"' in msg
    assert "ImagePullBackOff" in k("get", "pod", "broken")
    events = k("get", "events", "--field-selector", "involvedObject.name=broken")
    assert "Error: ErrImagePull" in events and "Back-off pulling image" in events


def test_crash_loop_restarts_with_growing_count(k: Kns) -> None:
    k.apply(pod("crashy", mode="CrashLoopBackOff"))

    def restarted_twice() -> Any:
        p = k.get("pod", "crashy")
        cs = (p["status"].get("containerStatuses") or [{}])[0]
        return p if cs.get("restartCount", 0) >= 2 else None

    k.wait(restarted_twice, timeout=30, what="two restarts")
    p = k.until(
        lambda: k.get("pod", "crashy"),
        lambda p: "waiting" in p["status"]["containerStatuses"][0]["state"],
        what="back-off state",
    )
    cs = p["status"]["containerStatuses"][0]
    assert cs["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert cs["lastState"]["terminated"]["exitCode"] == 1
    assert cs["lastState"]["terminated"]["reason"] == "Error"
    assert not cs["ready"]
    events = k.items("events", "--field-selector", "involvedObject.name=crashy,reason=BackOff")
    assert events and events[0]["type"] == "Warning"
    assert "Back-off restarting failed container app" in events[0]["message"]


def test_crash_loop_image_tag(k: Kns) -> None:
    k.apply(pod("crashy", image="busybox:crash-loop"))
    k.wait(
        lambda: "CrashLoopBackOff" in k("get", "pod", "crashy"),
        what="CrashLoopBackOff in kubectl get",
    )


def test_not_ready_mode_runs_but_never_becomes_ready(k: Kns) -> None:
    k.apply(pod("lame", mode="NotReady"))
    events = k.wait(
        lambda: k.items("events", "--field-selector", "involvedObject.name=lame,reason=Unhealthy"),
        timeout=20,
        what="Unhealthy event",
    )
    assert "Readiness probe failed" in events[0]["message"]
    p = k.get("pod", "lame")
    assert p["status"]["phase"] == "Running"
    assert cond(p, "Ready")["status"] == "False"


def test_run_to_completion_pods_succeed_or_fail(k: Kns) -> None:
    k.apply(pod("once", policy="Never"))
    k.apply(pod("dies", policy="Never", mode="Fail"))
    ok = k.wait(
        lambda: (p := k.get("pod", "once"))["status"].get("phase") == "Succeeded" and p,
        what="pod Succeeded",
    )
    term = ok["status"]["containerStatuses"][0]["state"]["terminated"]
    assert (term["exitCode"], term["reason"]) == (0, "Completed")
    assert cond(ok, "Ready")["reason"] == "PodCompleted"
    bad = k.wait(
        lambda: (p := k.get("pod", "dies"))["status"].get("phase") == "Failed" and p,
        what="pod Failed",
    )
    term = bad["status"]["containerStatuses"][0]["state"]["terminated"]
    assert (term["exitCode"], term["reason"]) == (1, "Error")
    table = k("get", "pods", "once", "dies")
    assert [line.split()[:3] for line in table.splitlines()[1:]] == [
        ["once", "0/1", "Completed"],
        ["dies", "0/1", "Error"],
    ]


def test_image_fixed_in_place_recovers(k: Kns) -> None:
    """Changing a failing pod's simulate annotation lets it start, like fixing an image."""
    k.apply(pod("flaky", mode="ImagePullBackOff"))
    k.wait(lambda: "ImagePullBackOff" in k("get", "pod", "flaky"), what="ImagePullBackOff")
    k("annotate", "pod", "flaky", "local.kaiun.io/simulate-", "--overwrite")
    ready(k, "flaky")


def test_deleted_pods_are_replaced_never_duplicated(k: Kns) -> None:
    k.apply(deployment("web", replicas=2))
    k("rollout", "status", "deploy/web", "--timeout=30s")
    victim = k.items("pods", "-l", "app=web")[0]["metadata"]["name"]
    k("delete", "pod", victim, "--wait=false")
    k("rollout", "status", "deploy/web", "--timeout=30s")
    pods = k.wait_count(2, "pods", "-l", "app=web")
    assert victim not in {p["metadata"]["name"] for p in pods}
    assert len({p["status"]["podIP"] for p in pods}) == 2
    killing = k.items("events", "--field-selector", f"involvedObject.name={victim},reason=Killing")
    assert killing[0]["message"] == "Stopping container app"
