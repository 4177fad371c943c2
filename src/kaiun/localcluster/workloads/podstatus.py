"""Pod status documents as the kubelet writes them, for each simulated lifecycle stage.

Pure functions of (pod, stage, times): the kubelet module decides which stage a pod is in
and when it moves on; this module only knows what each stage looks like in
``status.containerStatuses`` and ``status.conditions`` (shapes and wording copied from
observing a real kubelet, not from its code).
"""

from __future__ import annotations

import hashlib
from typing import Any

from kaiun.localcluster.workloads.api import RUN_SECONDS, SIMULATE, TAG_MODES, Obj

RUNNING, READY, PULL_ERR, PULL_BACKOFF, CRASHED, DONE, FAILED = (
    "running",
    "ready",
    "pull-error",
    "pull-backoff",
    "crashed",
    "succeeded",
    "failed",
)


def mode_of(pod: Obj) -> str:
    """The failure mode a pod simulates: an annotation, else an image tag, else ``""``."""
    ann = (pod.get("metadata", {}).get("annotations") or {}).get(SIMULATE, "")
    if ann:
        return str(ann)
    for c in pod.get("spec", {}).get("containers") or ():
        tag = image_tag(c.get("image", ""))
        if tag in TAG_MODES:
            return TAG_MODES[tag]
    return ""


def image_tag(image: str) -> str:
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else ""


def run_seconds(pod: Obj, default: float) -> float:
    ann = (pod.get("metadata", {}).get("annotations") or {}).get(RUN_SECONDS)
    try:
        return float(ann) if ann is not None else default
    except ValueError:
        return default


def runs_to_completion(pod: Obj) -> bool:
    return bool(pod.get("spec", {}).get("restartPolicy", "Always") != "Always")


def full_image(image: str) -> str:
    """``nginx:1.25`` as the runtime reports it: ``docker.io/library/nginx:1.25``."""
    first = image.split("/", 1)[0]
    if "/" not in image:
        image = f"docker.io/library/{image}"
    elif "." not in first and ":" not in first and first != "localhost":
        image = f"docker.io/{image}"
    if ":" not in image.rsplit("/", 1)[-1] and "@" not in image:
        image += ":latest"
    return image


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _container_status(
    pod: Obj, c: Obj, stage: str, *, started_at: str, now: str, restarts: int
) -> Obj:
    image = c.get("image", "")
    uid = pod["metadata"].get("uid", "")
    cname = c.get("name", "")
    cid = "containerd://" + _digest(f"{uid}/{cname}/{restarts}")
    st: Obj = {
        "name": c.get("name", ""),
        "image": full_image(image),
        "imageID": "",
        "ready": stage == READY,
        "started": stage in (RUNNING, READY),
        "restartCount": restarts,
        "lastState": {},
        "state": {},
    }
    if stage not in (PULL_ERR, PULL_BACKOFF):
        st["imageID"] = f"{full_image(image).rsplit(':', 1)[0]}@sha256:{_digest(image)}"
        st["containerID"] = cid
    if stage in (RUNNING, READY):
        st["state"] = {"running": {"startedAt": started_at}}
    elif stage == PULL_ERR:
        st["state"] = {"waiting": {"reason": "ErrImagePull", "message": pull_error(image)}}
    elif stage == PULL_BACKOFF:
        st["state"] = {
            "waiting": {
                "reason": "ImagePullBackOff",
                "message": f'Back-off pulling image "{image}": ErrImagePull: {pull_error(image)}',
            }
        }
    elif stage == CRASHED:
        ns, name = pod["metadata"].get("namespace", ""), pod["metadata"]["name"]
        backoff = min(10 * 2 ** max(restarts - 1, 0), 300)
        st["state"] = {
            "waiting": {
                "reason": "CrashLoopBackOff",
                "message": f"back-off {_dur(backoff)} restarting failed "
                f"container={c.get('name')} pod={name}_{ns}({uid})",
            }
        }
        st["lastState"] = {"terminated": _terminated(1, "Error", started_at, now, cid)}
    elif stage in (DONE, FAILED):
        code, reason = (0, "Completed") if stage == DONE else (1, "Error")
        st["state"] = {"terminated": _terminated(code, reason, started_at, now, cid)}
    return st


def _terminated(code: int, reason: str, started: str, finished: str, cid: str) -> Obj:
    return {
        "exitCode": code,
        "reason": reason,
        "startedAt": started,
        "finishedAt": finished,
        "containerID": cid,
    }


def _dur(seconds: int) -> str:
    return f"{seconds // 60}m{seconds % 60}s" if seconds >= 60 else f"{seconds}s"


def pull_error(image: str) -> str:
    ref = full_image(image)
    return (
        f'failed to pull and unpack image "{ref}": failed to resolve reference "{ref}": '
        f"{ref}: not found"
    )


def qos_class(spec: Obj) -> str:
    resources = [c.get("resources") or {} for c in spec.get("containers") or ()]
    if not any(r.get("requests") or r.get("limits") for r in resources):
        return "BestEffort"
    for r in resources:
        limits, requests = r.get("limits") or {}, r.get("requests") or {}
        for res in ("cpu", "memory"):
            if res not in limits or requests.get(res, limits[res]) != limits[res]:
                return "Burstable"
    return "Guaranteed"


def build(
    pod: Obj,
    stage: str,
    *,
    pod_ip: str,
    host_ip: str,
    start_time: str,
    started_at: str,
    now: str,
    restarts: int = 0,
) -> Obj:
    """The whole ``status`` of a pod that the kubelet has started, in ``stage``."""
    spec = pod.get("spec", {})
    old = pod.get("status") or {}
    statuses = [
        _container_status(pod, c, stage, started_at=started_at, now=now, restarts=restarts)
        for c in spec.get("containers") or ()
    ]
    not_ready = [s["name"] for s in statuses if not s["ready"]]
    phase = {DONE: "Succeeded", FAILED: "Failed"}.get(stage, "Running")
    if stage in (PULL_ERR, PULL_BACKOFF):
        phase = "Pending"
    terminal = phase in ("Succeeded", "Failed")
    ready_reason = "PodCompleted" if terminal else "ContainersNotReady"
    msg = "" if terminal else f"containers with unready status: [{' '.join(not_ready)}]"
    conds = _conditions(old, now, ready=not not_ready, reason=ready_reason, message=msg)
    if terminal:
        conds = [
            {**c, "reason": "PodCompleted"} if c["type"] == "Initialized" else c for c in conds
        ]
    status: Obj = {
        "phase": phase,
        "conditions": conds,
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
        "podIP": pod_ip,
        "podIPs": [{"ip": pod_ip}],
        "startTime": start_time,
        "containerStatuses": statuses,
        "qosClass": qos_class(spec),
    }
    inits = spec.get("initContainers") or ()
    if inits:
        status["initContainerStatuses"] = [
            _container_status(pod, c, DONE, started_at=start_time, now=start_time, restarts=0)
            for c in inits
        ]
    return status


def _conditions(old: Obj, now: str, *, ready: bool, reason: str, message: str) -> list[Obj]:
    previous = {c.get("type"): c for c in old.get("conditions") or ()}
    wanted: list[tuple[str, bool]] = [
        ("PodReadyToStartContainers", True),
        ("Initialized", True),
        ("Ready", ready),
        ("ContainersReady", ready),
        ("PodScheduled", True),
    ]
    out = []
    for ctype, ok in wanted:
        status = "True" if ok else "False"
        prev = previous.get(ctype)
        cond: dict[str, Any] = {
            "type": ctype,
            "status": status,
            "lastProbeTime": None,
            "lastTransitionTime": prev["lastTransitionTime"]
            if prev and prev.get("status") == status
            else now,
        }
        if not ok:
            cond["reason"], cond["message"] = reason, message
        out.append(cond)
    return out


def pending(pod: Obj, now: str) -> Obj:
    """Status of a pod just bound to the node: scheduled, nothing started yet."""
    status = dict(pod.get("status") or {})
    status["phase"] = "Pending"
    status["conditions"] = [
        {"type": "PodScheduled", "status": "True", "lastProbeTime": None, "lastTransitionTime": now}
    ]
    status["qosClass"] = qos_class(pod.get("spec", {}))
    return status
