"""Service endpoints, load-balancer and Ingress addresses.

The endpoints controller keeps an Endpoints object and one EndpointSlice per selector
Service, listing matching pods with an IP (ready ones as addresses, the rest as not-ready).
The service controller gives ``LoadBalancer`` Services and the ingress controller gives
Ingresses a ``status.loadBalancer.ingress`` address, which is what health checks wait for.
"""

from __future__ import annotations

from collections.abc import Iterable

from kaiun.localcluster.watchlog import WatchEvent
from kaiun.localcluster.workloads.api import (
    CONTROLLER_MANAGER,
    ENDPOINTS,
    INGRESS,
    POD,
    SERVICE,
    SLICE,
    Api,
    Key,
    Obj,
    alive,
    labels,
    owner_ref,
    selector_matcher,
    skey,
)
from kaiun.localcluster.workloads.events import Recorder
from kaiun.localcluster.workloads.reconciler import Reconciler
from kaiun.localcluster.workloads.replicaset import is_ready

LB_ADDRESS = "127.0.0.1"
SERVICE_NAME = "kubernetes.io/service-name"
MANAGED_BY = "endpointslice.kubernetes.io/managed-by"
SLICE_MANAGER = "endpointslice-controller.k8s.io"
EP_MANAGED_BY = "endpoints.kubernetes.io/managed-by"


def target_port(port: Obj, pod: Obj) -> int | None:
    """The container port a Service port sends to on ``pod`` (named ports looked up)."""
    target = port.get("targetPort", port.get("port"))
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    for c in pod.get("spec", {}).get("containers") or ():
        for cp in c.get("ports") or ():
            if cp.get("name") == target:
                return int(cp["containerPort"])
    return None


def _target_ref(pod: Obj) -> Obj:
    m = pod["metadata"]
    return {"kind": "Pod", "namespace": m.get("namespace", ""), "name": m["name"], "uid": m["uid"]}


class EndpointsController(Reconciler):
    """Endpoints and EndpointSlices for every Service with a selector."""

    primary = skey(SERVICE)

    def keys_for(self, ev: WatchEvent) -> Iterable[Key]:
        if ev.skey == skey(POD):
            return [k for k, _e in self.api.cluster.store.items(self.primary, ev.ns)]
        return super().keys_for(ev)

    def reconcile(self, ns: str, name: str) -> float | None:
        svc = self.api.get(SERVICE, ns, name)
        if svc is None:
            ep = self.api.get(ENDPOINTS, ns, name)
            if ep is not None and labels(ep).get(EP_MANAGED_BY):
                self.api.delete(ENDPOINTS, ns, name)
            return None
        if not alive(svc):
            return None
        spec = svc.get("spec") or {}
        selector = spec.get("selector")
        if not selector or spec.get("type") == "ExternalName":
            return None
        match = selector_matcher({"matchLabels": selector})
        pods = [
            p
            for p in self.api.list(POD, ns)
            if alive(p)
            and match(labels(p))
            and (p.get("status") or {}).get("podIP")
            and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
        ]
        pods.sort(key=lambda p: p["status"]["podIP"])
        publish = bool(spec.get("publishNotReadyAddresses"))
        self._endpoints(svc, pods, publish)
        self._slice(svc, pods, publish)
        return None

    def _endpoints(self, svc: Obj, pods: list[Obj], publish: bool) -> None:
        ports = (svc.get("spec") or {}).get("ports") or []
        subsets: list[Obj] = []
        for pod in pods:
            resolved = []
            for p in ports:
                tp = target_port(p, pod)
                if tp is not None:
                    entry: Obj = {"port": tp, "protocol": p.get("protocol", "TCP")}
                    if p.get("name"):
                        entry["name"] = p["name"]
                    resolved.append(entry)
            addr = {
                "ip": pod["status"]["podIP"],
                "nodeName": pod["spec"].get("nodeName", ""),
                "targetRef": _target_ref(pod),
            }
            field = "addresses" if is_ready(pod) or publish else "notReadyAddresses"
            for s in subsets:
                if s["ports"] == resolved:
                    s.setdefault(field, []).append(addr)
                    break
            else:
                subsets.append({field: [addr], "ports": resolved})
        meta = svc["metadata"]
        body: Obj = {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {
                "name": meta["name"],
                "namespace": meta.get("namespace", ""),
                "labels": {**labels(svc), EP_MANAGED_BY: "endpoint-controller"},
            },
        }
        if subsets:
            body["subsets"] = subsets
        self._put(
            ENDPOINTS, body, existing=self.api.get(ENDPOINTS, meta["namespace"], meta["name"])
        )

    def _slice(self, svc: Obj, pods: list[Obj], publish: bool) -> None:
        meta = svc["metadata"]
        ns = meta.get("namespace", "")
        existing = [
            s
            for s in self.api.owned(SLICE, ns, meta["uid"])
            if labels(s).get(SERVICE_NAME) == meta["name"]
        ]
        ports = []
        for p in (svc.get("spec") or {}).get("ports") or ():
            tp = target_port(p, pods[0]) if pods else None
            entry: Obj = {"name": p.get("name", ""), "protocol": p.get("protocol", "TCP")}
            if tp is not None:
                entry["port"] = tp
            ports.append(entry)
        endpoints = [
            {
                "addresses": [pod["status"]["podIP"]],
                "conditions": {
                    "ready": is_ready(pod) or publish,
                    "serving": is_ready(pod),
                    "terminating": False,
                },
                "nodeName": pod["spec"].get("nodeName", ""),
                "targetRef": _target_ref(pod),
            }
            for pod in pods
        ]
        body: Obj = {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {
                "namespace": ns,
                "labels": {**labels(svc), SERVICE_NAME: meta["name"], MANAGED_BY: SLICE_MANAGER},
                "ownerReferences": [owner_ref(svc)],
            },
            "addressType": "IPv4",
            "endpoints": endpoints,
            "ports": ports,
        }
        if existing:
            body["metadata"]["name"] = existing[0]["metadata"]["name"]
        else:
            body["metadata"]["generateName"] = f"{meta['name']}-"
        self._put(SLICE, body, existing=existing[0] if existing else None)

    def _put(self, kind: tuple[str, str], body: Obj, *, existing: Obj | None) -> None:
        if existing is None:
            self.api.create(kind, body, CONTROLLER_MANAGER)
            return
        merged = dict(existing)
        for k, v in body.items():
            if k != "metadata":
                merged[k] = v
        if "subsets" not in body:
            merged.pop("subsets", None)
        merged["metadata"] = {**existing["metadata"], "labels": body["metadata"]["labels"]}
        if merged != existing:
            self.api.update(kind, merged, CONTROLLER_MANAGER)


class LoadBalancerController(Reconciler):
    """Gives LoadBalancer Services an ingress address (and takes it away on type change)."""

    primary = skey(SERVICE)

    def __init__(self, api: Api) -> None:
        super().__init__(api)
        self.events = Recorder(api, "service-controller")

    def reconcile(self, ns: str, name: str) -> float | None:
        svc = self.api.get(SERVICE, ns, name)
        if svc is None or not alive(svc):
            return None
        is_lb = (svc.get("spec") or {}).get("type") == "LoadBalancer"
        status = dict(svc.get("status") or {})
        has = bool((status.get("loadBalancer") or {}).get("ingress"))
        if is_lb and not has:
            self.events.emit(svc, "Normal", "EnsuringLoadBalancer", "Ensuring load balancer")
            status["loadBalancer"] = {"ingress": [{"ip": LB_ADDRESS, "ipMode": "VIP"}]}
            self.api.update_status(SERVICE, svc, status, CONTROLLER_MANAGER)
            self.events.emit(svc, "Normal", "EnsuredLoadBalancer", "Ensured load balancer")
        elif not is_lb and has:
            status["loadBalancer"] = {}
            self.api.update_status(SERVICE, svc, status, CONTROLLER_MANAGER)
            self.events.emit(svc, "Normal", "DeletedLoadBalancer", "Deleted load balancer")
        return None


class IngressController(Reconciler):
    """Publishes the local address on every Ingress, as an ingress controller would."""

    primary = skey(INGRESS)

    def __init__(self, api: Api) -> None:
        super().__init__(api)
        self.events = Recorder(api, "ingress-controller")

    def reconcile(self, ns: str, name: str) -> float | None:
        ing = self.api.get(INGRESS, ns, name)
        if ing is None or not alive(ing):
            return None
        status = dict(ing.get("status") or {})
        if (status.get("loadBalancer") or {}).get("ingress"):
            return None
        status["loadBalancer"] = {"ingress": [{"ip": LB_ADDRESS}]}
        self.api.update_status(INGRESS, ing, status, CONTROLLER_MANAGER)
        self.events.emit(ing, "Normal", "Sync", "Scheduled for sync")
        return None
