"""The ``scale`` subresource (``autoscaling/v1`` Scale) of Deployments, ReplicaSets, ..."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from kaiun.localcluster import admission
from kaiun.localcluster.errors import BadRequest, MethodNotAllowed
from kaiun.localcluster.resources import ResourceType

if TYPE_CHECKING:
    from kaiun.localcluster.cluster import Cluster
    from kaiun.localcluster.routes import Request


def to_scale(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj["metadata"]
    selector = (obj.get("spec") or {}).get("selector") or {}
    labels = selector.get("matchLabels") or {}
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: meta[k]
            for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
            if k in meta
        },
        "spec": {"replicas": (obj.get("spec") or {}).get("replicas", 1)},
        "status": {
            "replicas": (obj.get("status") or {}).get("replicas", 0),
            "selector": ",".join(f"{k}={v}" for k, v in sorted(labels.items())),
        },
    }


def handle(cluster: Cluster, rt: ResourceType, ns: str, name: str, req: Request) -> dict[str, Any]:
    """GET, PUT or PATCH a Scale; writes change only ``spec.replicas``."""
    obj = cluster.get(rt, ns, name)
    if req.method == "GET":
        return to_scale(obj)
    if req.method == "PUT":
        body = admission.parse_body(req.body, "json")
    elif req.method == "PATCH":
        ctype = req.headers.get("content-type", "")
        ptype = "json" if "json-patch" in ctype else "merge"
        body = admission.apply_patch(rt, to_scale(obj), ptype, req.body)
    else:
        raise MethodNotAllowed("the server does not allow this method on scale")
    try:
        replicas = int(body["spec"]["replicas"])
    except (KeyError, TypeError, ValueError) as exc:
        raise BadRequest("scale body must set spec.replicas") from exc
    patch = orjson.dumps({"spec": {"replicas": replicas}})
    updated = cluster.patch(rt, ns, name, "merge", patch, req.write_options())
    return to_scale(updated)
