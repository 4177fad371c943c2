"""Server-side printing: ``meta.k8s.io/v1`` Table responses, as ``kubectl get`` asks for."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from kaiun.localcluster.resources import ResourceType

Row = list[Any]
Printer = tuple[list[tuple[str, str]], Callable[[dict[str, Any]], Row]]


def human_duration(seconds: float) -> str:
    """Kubernetes' short age format (``45s``, ``3m20s``, ``5h``, ``2d3h``)."""
    s = int(max(seconds, 0))
    if s < 120:
        return f"{s}s"
    m = s // 60
    if m < 10:
        return f"{m}m{s % 60}s" if s % 60 else f"{m}m"
    if m < 180:
        return f"{m}m"
    h = m // 60
    if h < 8:
        return f"{h}h{m % 60}m" if m % 60 else f"{h}h"
    if h < 48:
        return f"{h}h"
    d = h // 24
    if d < 8:
        return f"{d}d{h % 24}h" if h % 24 else f"{d}d"
    if d < 730:
        return f"{d}d"
    return f"{d // 365}y"


def _age(ts: str | None) -> str:
    if not ts:
        return "<unknown>"
    try:
        t = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return "<unknown>"
    return human_duration((datetime.now(UTC) - t).total_seconds())


def _g(obj: Any, *path: str, default: Any = None) -> Any:
    for p in path:
        if not isinstance(obj, dict):
            return default
        obj = obj.get(p)
    return default if obj is None else obj


def _pod_row(o: dict[str, Any]) -> Row:
    statuses = _g(o, "status", "containerStatuses", default=[])
    total = len(_g(o, "spec", "containers", default=[]))
    ready = sum(1 for c in statuses if c.get("ready"))
    restarts = sum(int(c.get("restartCount", 0)) for c in statuses)
    reason = _g(o, "status", "phase", default="Pending")
    running = False
    for c in statuses:
        waiting = _g(c, "state", "waiting", "reason")
        terminated = _g(c, "state", "terminated", "reason")
        if waiting:
            reason = waiting
        elif terminated:
            # kubectl shows why containers ended: Completed, Error, OOMKilled...
            reason = terminated
        elif c.get("ready") and _g(c, "state", "running"):
            running = True
    if reason == "Completed" and running:
        reason = "Running"
    if _g(o, "metadata", "deletionTimestamp"):
        reason = "Terminating"
    return [f"{ready}/{total}", reason, restarts]


def _ports(o: dict[str, Any]) -> str:
    ports = _g(o, "spec", "ports", default=[])
    parts = []
    for p in ports:
        node = f":{p['nodePort']}" if p.get("nodePort") else ""
        parts.append(f"{p.get('port')}{node}/{p.get('protocol', 'TCP')}")
    return ",".join(parts) or "<none>"


def _external_ip(o: dict[str, Any]) -> str:
    ing = _g(o, "status", "loadBalancer", "ingress", default=[])
    ips = [i.get("ip") or i.get("hostname") for i in ing]
    if ips:
        return ",".join(str(i) for i in ips)
    if _g(o, "spec", "type") == "LoadBalancer":
        return "<pending>"
    return ",".join(_g(o, "spec", "externalIPs", default=[])) or "<none>"


def _endpoints(o: dict[str, Any]) -> str:
    pairs = [
        f"{a.get('ip')}:{p.get('port')}"
        for sub in _g(o, "subsets", default=[])
        for a in sub.get("addresses") or []
        for p in sub.get("ports") or [{}]
    ]
    if not pairs:
        return "<none>"
    return ",".join(pairs[:3]) + (f" + {len(pairs) - 3} more..." if len(pairs) > 3 else "")


PRINTERS: dict[tuple[str, str], Printer] = {
    ("", "Endpoints"): ([("Endpoints", "string")], lambda o: [_endpoints(o)]),
    ("", "Namespace"): ([("Status", "string")], lambda o: [_g(o, "status", "phase", default="")]),
    ("", "ConfigMap"): (
        [("Data", "integer")],
        lambda o: [len(_g(o, "data", default={})) + len(_g(o, "binaryData", default={}))],
    ),
    ("", "Secret"): (
        [("Type", "string"), ("Data", "integer")],
        lambda o: [o.get("type", "Opaque"), len(_g(o, "data", default={}))],
    ),
    ("", "Service"): (
        [
            ("Type", "string"),
            ("Cluster-IP", "string"),
            ("External-IP", "string"),
            ("Port(s)", "string"),
        ],
        lambda o: [
            _g(o, "spec", "type", default="ClusterIP"),
            _g(o, "spec", "clusterIP", default="<none>"),
            _external_ip(o),
            _ports(o),
        ],
    ),
    ("", "Pod"): ([("Ready", "string"), ("Status", "string"), ("Restarts", "string")], _pod_row),
    ("apps", "Deployment"): (
        [("Ready", "string"), ("Up-to-date", "integer"), ("Available", "integer")],
        lambda o: [
            f"{_g(o, 'status', 'readyReplicas', default=0)}/{_g(o, 'spec', 'replicas', default=1)}",
            _g(o, "status", "updatedReplicas", default=0),
            _g(o, "status", "availableReplicas", default=0),
        ],
    ),
    ("apps", "ReplicaSet"): (
        [("Desired", "integer"), ("Current", "integer"), ("Ready", "integer")],
        lambda o: [
            _g(o, "spec", "replicas", default=1),
            _g(o, "status", "replicas", default=0),
            _g(o, "status", "readyReplicas", default=0),
        ],
    ),
    ("apps", "StatefulSet"): (
        [("Ready", "string")],
        lambda o: [
            f"{_g(o, 'status', 'readyReplicas', default=0)}/{_g(o, 'spec', 'replicas', default=1)}"
        ],
    ),
    ("apps", "DaemonSet"): (
        [
            ("Desired", "integer"),
            ("Current", "integer"),
            ("Ready", "integer"),
            ("Up-to-date", "integer"),
            ("Available", "integer"),
        ],
        lambda o: [
            _g(o, "status", k, default=0)
            for k in (
                "desiredNumberScheduled",
                "currentNumberScheduled",
                "numberReady",
                "updatedNumberScheduled",
                "numberAvailable",
            )
        ],
    ),
    ("batch", "Job"): (
        [("Status", "string"), ("Completions", "string")],
        lambda o: [
            _job_status(o),
            f"{_g(o, 'status', 'succeeded', default=0)}/{_g(o, 'spec', 'completions', default=1)}",
        ],
    ),
    ("batch", "CronJob"): (
        [
            ("Schedule", "string"),
            ("Suspend", "boolean"),
            ("Active", "integer"),
            ("Last Schedule", "string"),
        ],
        lambda o: [
            _g(o, "spec", "schedule", default=""),
            str(_g(o, "spec", "suspend", default=False)),
            len(_g(o, "status", "active", default=[])),
            _age(_g(o, "status", "lastScheduleTime"))
            if _g(o, "status", "lastScheduleTime")
            else "<none>",
        ],
    ),
    ("networking.k8s.io", "Ingress"): (
        [("Class", "string"), ("Hosts", "string"), ("Address", "string"), ("Ports", "string")],
        lambda o: [
            _g(o, "spec", "ingressClassName", default="<none>"),
            ",".join(r.get("host", "*") for r in _g(o, "spec", "rules", default=[])) or "*",
            ",".join(
                i.get("ip") or i.get("hostname", "")
                for i in _g(o, "status", "loadBalancer", "ingress", default=[])
            ),
            "443, 80" if _g(o, "spec", "tls") else "80",
        ],
    ),
    ("", "PersistentVolumeClaim"): (
        [
            ("Status", "string"),
            ("Volume", "string"),
            ("Capacity", "string"),
            ("StorageClass", "string"),
        ],
        lambda o: [
            _g(o, "status", "phase", default=""),
            _g(o, "spec", "volumeName", default=""),
            _g(o, "status", "capacity", "storage", default=""),
            _g(o, "spec", "storageClassName", default=""),
        ],
    ),
    ("apiextensions.k8s.io", "CustomResourceDefinition"): (
        [("Created At", "date")],
        lambda o: [_g(o, "metadata", "creationTimestamp")],
    ),
}


def _job_status(o: dict[str, Any]) -> str:
    for c in _g(o, "status", "conditions", default=[]):
        if c.get("type") in ("Complete", "Failed") and c.get("status") == "True":
            return str(c["type"])
    return "Running"


def _event_row(o: dict[str, Any]) -> Row:
    inv = o.get("involvedObject") or {}
    last = o.get("lastTimestamp") or o.get("eventTime") or _g(o, "metadata", "creationTimestamp")
    return [
        _age(last if isinstance(last, str) else None),
        o.get("type", ""),
        o.get("reason", ""),
        f"{str(inv.get('kind', '')).lower()}/{inv.get('name', '')}",
        o.get("message", ""),
    ]


# A printer column's JSONPath: fields, list indexes ``[0]`` and the equality filters CRDs use
# for conditions, ``[?(@.type=="Ready")]`` (the first match, as kubectl shows one cell).
_STEP = re.compile(r"""([^.\[]+)|\[\?\(@\.([\w-]+)\s*==\s*["']([^"']*)["']\)\]|\[(\d+)\]""")


def _jsonpath(obj: Any, path: str) -> Any:
    cur = obj
    for name, key, value, index in _STEP.findall(path.strip()):
        if name:
            cur = cur.get(name) if isinstance(cur, dict) else None
        elif key:
            found = cur if isinstance(cur, list) else []
            cur = next((i for i in found if isinstance(i, dict) and str(i.get(key)) == value),
                       None)  # fmt: skip
        else:
            cur = cur[int(index)] if isinstance(cur, list) and int(index) < len(cur) else None
    return cur


def table(
    rt: ResourceType,
    objects: list[dict[str, Any]],
    rv: int,
    *,
    include: str = "Metadata",
    continue_token: str = "",
) -> dict[str, Any]:
    """A Table of ``objects`` with the columns ``kubectl get`` shows for this kind."""
    if rt.kind == "Event" and not rt.group:
        cols = [
            ("Last Seen", "string"),
            ("Type", "string"),
            ("Reason", "string"),
            ("Object", "string"),
            ("Message", "string"),
        ]

        def cells(o: dict[str, Any]) -> Row:
            return _event_row(o)
    else:
        extra, row = _printer(rt)
        cols = [("Name", "string"), *extra, ("Age", "string")]

        def cells(o: dict[str, Any]) -> Row:
            return [o["metadata"]["name"], *row(o), _age(o["metadata"].get("creationTimestamp"))]

    rows = []
    for o in objects:
        if include == "Object":
            attached: Any = o
        elif include == "None":
            attached = None
        else:
            attached = {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": o.get("metadata", {}),
            }
        rows.append({"cells": cells(o), "object": attached})
    meta: dict[str, Any] = {"resourceVersion": str(rv)}
    if continue_token:
        meta["continue"] = continue_token
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": meta,
        "columnDefinitions": [
            {
                "name": n,
                "type": t,
                "format": "name" if n == "Name" else "",
                "description": "",
                "priority": 0,
            }
            for n, t in cols
        ],
        "rows": rows,
    }


def _printer(rt: ResourceType) -> Printer:
    builtin = PRINTERS.get((rt.group, rt.kind))
    if builtin and not rt.crd_name:
        return builtin
    columns = rt.printer_columns
    if not columns:
        return ([], lambda o: [])
    cols = [(c["name"], "string") for c in columns]
    paths = [c["jsonPath"] for c in columns]
    return (cols, lambda o: [_cell(_jsonpath(o, p)) for p in paths])


def _cell(v: Any) -> Any:
    if v is None:
        return "<none>"
    return v if isinstance(v, (int, float, str, bool)) else str(v)
