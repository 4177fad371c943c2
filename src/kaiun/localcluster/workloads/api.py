"""What the simulated controllers share: typed access to the cluster and object helpers.

``Api`` wraps ``Cluster`` so controllers read and write by (apiVersion, plural) and name the
field manager of each write the way the real component would (``kube-controller-manager``,
``kubelet``, ``kube-scheduler``). The small functions below are the vocabulary every
controller speaks: owner references, conditions, timestamps, template hashes and the
failure switches users put on pod templates.
"""

from __future__ import annotations

import builtins
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson

from kaiun.localcluster.cluster import Cluster, WriteOptions
from kaiun.localcluster.errors import APIError, NotFound
from kaiun.localcluster.selectors import match_expressions

log = logging.getLogger("kaiun.localcluster.workloads")

Obj = dict[str, Any]
Key = tuple[str, str]

CONTROLLER_MANAGER = "kube-controller-manager"
KUBELET = "kubelet"
SCHEDULER = "kube-scheduler"
NODE_NAME = "kaiun-local"

# The failure switch: on a pod (or a pod template) this annotation selects a failure mode.
SIMULATE = "local.kaiun.io/simulate"
# How long a pod of a Job (restartPolicy Never/OnFailure) runs before it exits.
RUN_SECONDS = "local.kaiun.io/run-seconds"
MODES = ("ImagePullBackOff", "CrashLoopBackOff", "NotReady", "Fail")
# Image tags that select a failure mode for one container.
TAG_MODES = {"fail-pull": "ImagePullBackOff", "crash-loop": "CrashLoopBackOff", "fail": "Fail"}

POD = ("v1", "pods")
NODE = ("v1", "nodes")
EVENT = ("v1", "events")
SERVICE = ("v1", "services")
ENDPOINTS = ("v1", "endpoints")
PVC = ("v1", "persistentvolumeclaims")
PV = ("v1", "persistentvolumes")
DEPLOYMENT = ("apps/v1", "deployments")
REPLICASET = ("apps/v1", "replicasets")
STATEFULSET = ("apps/v1", "statefulsets")
DAEMONSET = ("apps/v1", "daemonsets")
REVISION = ("apps/v1", "controllerrevisions")
JOB = ("batch/v1", "jobs")
CRONJOB = ("batch/v1", "cronjobs")
INGRESS = ("networking.k8s.io/v1", "ingresses")
SLICE = ("discovery.k8s.io/v1", "endpointslices")
STORAGECLASS = ("storage.k8s.io/v1", "storageclasses")


def skey(kind: tuple[str, str]) -> str:
    """Storage key of a (apiVersion, plural) pair: ``apps/deployments``, ``/pods``."""
    api_version, plural = kind
    group = api_version.rpartition("/")[0]
    return f"{group}/{plural}"


class Api:
    """Reads and writes through ``Cluster``, as the named component."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    def get(self, kind: tuple[str, str], ns: str, name: str) -> Obj | None:
        entry = self.cluster.store.get(skey(kind), ns, name)
        return entry.load() if entry else None

    def list(self, kind: tuple[str, str], ns: str | None = None) -> list[Obj]:
        return [e.load() for _k, e in self.cluster.store.items(skey(kind), ns)]

    def owned(self, kind: tuple[str, str], ns: str, owner_uid: str) -> builtins.list[Obj]:
        """Objects of ``kind`` in ``ns`` whose controller reference is ``owner_uid``."""
        # The cluster's ownership index: no scan of every object of the kind.
        want = skey(kind)
        out = []
        for uid in list(self.cluster.dependents.get(owner_uid, ())):
            loc = self.cluster.uids.get(uid)
            if loc is None or loc[0] != want or loc[1] != ns:
                continue
            entry = self.cluster.store.get(*loc)
            if entry is None:
                continue
            obj = entry.load()
            if controller_uid(obj) == owner_uid:
                out.append(obj)
        out.sort(key=lambda o: str(o["metadata"]["name"]))
        return out

    def create(self, kind: tuple[str, str], obj: Obj, manager: str) -> Obj | None:
        """Create; ``None`` (logged) when the API refuses, e.g. a terminating namespace."""
        rt = self.cluster.type_for(*kind)
        ns = obj["metadata"].get("namespace", "")
        try:
            return self.cluster.create(rt, ns, obj, WriteOptions(field_manager=manager))
        except APIError as exc:
            log.debug("create %s %s/%s refused: %s", kind[1], ns, _name(obj), exc)
            return None

    def update(self, kind: tuple[str, str], obj: Obj, manager: str, *, status: bool = False) -> Obj:
        """Replace the object (or only its status); no-op writes are skipped by the API."""
        rt = self.cluster.type_for(*kind)
        meta = obj["metadata"]
        body = dict(obj)
        body["metadata"] = {k: v for k, v in meta.items() if k != "resourceVersion"}
        return self.cluster.update(
            rt,
            meta.get("namespace", ""),
            meta["name"],
            body,
            WriteOptions(field_manager=manager),
            subresource="status" if status else "",
        )

    def update_status(self, kind: tuple[str, str], obj: Obj, status: Obj, manager: str) -> None:
        """Write ``status`` if it differs from the object's current one."""
        if obj.get("status") == status:
            return
        obj["status"] = status
        with contextlib.suppress(NotFound):
            self.update(kind, obj, manager, status=True)

    def delete(self, kind: tuple[str, str], ns: str, name: str, propagation: str = "") -> bool:
        rt = self.cluster.type_for(*kind)
        try:
            self.cluster.delete(rt, ns, name, propagation=propagation or None)
        except APIError:
            return False
        return True


def _name(obj: Obj) -> str:
    return str(obj.get("metadata", {}).get("name") or obj.get("metadata", {}).get("generateName"))


# object helpers ----------------------------------------------------------------------------


def controller_ref(obj: Obj) -> Obj | None:
    """The owner reference marked ``controller: true``, if any."""
    for ref in obj.get("metadata", {}).get("ownerReferences") or ():
        if ref.get("controller"):
            return dict(ref)
    return None


def controller_uid(obj: Obj) -> str:
    ref = controller_ref(obj)
    return str(ref.get("uid", "")) if ref else ""


def raw_controller(raw: bytes) -> Obj | None:
    """The controller reference of a serialized object (cheap pre-check first)."""
    if b'"controller":true' not in raw:
        return None
    return controller_ref(orjson.loads(raw))


def owner_ref(owner: Obj) -> Obj:
    """A controller reference to ``owner``, as the real controllers set it."""
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def alive(obj: Obj) -> bool:
    """Not being deleted."""
    return not obj.get("metadata", {}).get("deletionTimestamp")


def selector_matcher(selector: Obj | None) -> Callable[[dict[str, str]], bool]:
    return match_expressions(selector or {})


def labels(obj: Obj) -> dict[str, str]:
    return dict(obj.get("metadata", {}).get("labels") or {})


def fnv32a(data: bytes) -> int:
    """32-bit FNV-1a, the hash family Kubernetes uses for template hashes."""
    h = 0x811C9DC5
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


_SAFE = "bcdfghjklmnpqrstvwxz2456789"


def normalized(value: Any) -> Any:
    """``value`` without nulls and empty maps or lists, as a typed client would see it.

    kubectl round-trips templates through typed structs (``rollout undo`` writes back
    ``creationTimestamp: null`` and ``resources: {}``); those must not make a template
    look changed.
    """
    if isinstance(value, dict):
        out = {k: normalized(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, {}, [])}
    if isinstance(value, list):
        return [normalized(v) for v in value]
    return value


def template_hash(template: Obj) -> str:
    """A short, stable, DNS-safe hash of a pod template (``pod-template-hash``)."""
    data = orjson.dumps(normalized(template), option=orjson.OPT_SORT_KEYS)
    digits = str(fnv32a(data))
    return "".join(_SAFE[ord(c) % len(_SAFE)] for c in digits)


# time ---------------------------------------------------------------------------------------


def rfc3339(epoch: float | None = None) -> str:
    """An epoch time (default: now) as Kubernetes writes timestamps."""
    t = datetime.fromtimestamp(time.time() if epoch is None else epoch, UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(ts: str | None) -> float | None:
    if not ts:
        return None
    try:
        return datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return None


def since(ts: str | None) -> float:
    """Seconds elapsed since an RFC 3339 timestamp (0 when absent)."""
    t = parse_time(ts)
    return 0.0 if t is None else time.time() - t


# conditions ---------------------------------------------------------------------------------


def condition(obj_status: Obj, ctype: str) -> Obj | None:
    """A copy of the condition of type ``ctype`` in a status, if present."""
    for c in obj_status.get("conditions") or ():
        if c.get("type") == ctype:
            return dict(c)
    return None


def set_condition(
    conditions: list[Obj],
    ctype: str,
    status: str,
    reason: str,
    message: str,
    *,
    now: str,
    update_time: bool = False,
    probe_time: bool = False,
) -> list[Obj]:
    """``conditions`` with one condition set; transition time moves only when status does."""
    out = [dict(c) for c in conditions]
    for c in out:
        if c.get("type") != ctype:
            continue
        if c.get("status") != status:
            c["lastTransitionTime"] = now
        c.update(status=status, reason=reason, message=message)
        if update_time:
            c["lastUpdateTime"] = now
        return out
    new: Obj = {"type": ctype, "status": status}
    if probe_time:
        new["lastProbeTime"] = None
    if update_time:
        new["lastUpdateTime"] = now
    new.update(lastTransitionTime=now, reason=reason, message=message)
    out.append(new)
    return out


def int_or_percent(value: Any, total: int, *, round_up: bool) -> int:
    """An IntOrString like ``25%`` resolved against ``total``."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.endswith("%"):
        pct = int(text[:-1] or 0)
        scaled = pct * total
        return -(-scaled // 100) if round_up else scaled // 100
    return int(text)
