"""Services get endpoints from ready pods; LoadBalancers and Ingresses get an address."""

from __future__ import annotations

from typing import Any

from tests.integration.localcluster.workloads.workload_kit import Kns, deployment

SERVICE = """
apiVersion: v1
kind: Service
metadata: {{name: web}}
spec:
  type: {type}
  selector: {{app: web}}
  ports: [{{name: http, port: 8080, targetPort: http, protocol: TCP}}]
"""


def ready_ips(k: Kns) -> set[str]:
    return {
        p["status"]["podIP"]
        for p in k.items("pods", "-l", "app=web")
        if any(
            c["type"] == "Ready" and c["status"] == "True"
            for c in p["status"].get("conditions", [])
        )
    }


def endpoint_ips(ep: Any) -> set[str]:
    return {a["ip"] for s in ep.get("subsets") or () for a in s.get("addresses") or ()}


def test_service_endpoints_follow_ready_pods(k: Kns) -> None:
    k.apply(deployment("web", replicas=2) + "---\n" + SERVICE.format(type="ClusterIP"))
    k("rollout", "status", "deploy/web", "--timeout=30s")
    ep = k.until(
        lambda: k.get("endpoints", "web"),
        lambda e: len(endpoint_ips(e)) == 2,
        what="2 endpoint addresses",
    )
    assert endpoint_ips(ep) == ready_ips(k)
    (subset,) = ep["subsets"]
    assert subset["ports"] == [{"name": "http", "port": 80, "protocol": "TCP"}]
    assert {a["targetRef"]["kind"] for a in subset["addresses"]} == {"Pod"}
    (es,) = k.items("endpointslices", "-l", "kubernetes.io/service-name=web")
    assert es["addressType"] == "IPv4"
    assert {e["addresses"][0] for e in es["endpoints"]} == endpoint_ips(ep)
    assert all(e["conditions"]["ready"] for e in es["endpoints"])
    assert es["ports"] == [{"name": "http", "port": 80, "protocol": "TCP"}]
    assert es["metadata"]["ownerReferences"][0]["kind"] == "Service"
    k("scale", "deploy/web", "--replicas=3")
    k.until(
        lambda: k.get("endpoints", "web"),
        lambda e: len(endpoint_ips(e)) == 3,
        what="3 endpoint addresses",
    )
    assert "8080/TCP" in k("get", "svc", "web")


def test_not_ready_pods_are_not_ready_addresses(k: Kns) -> None:
    manifest = deployment("web", replicas=1).replace(
        "metadata: {labels: {app: web}}",
        "metadata: {labels: {app: web}, annotations: {local.kaiun.io/simulate: NotReady}}",
    )
    k.apply(manifest + "---\n" + SERVICE.format(type="ClusterIP"))
    ep = k.until(
        lambda: k.get("endpoints", "web"),
        lambda e: any(s.get("notReadyAddresses") for s in e.get("subsets") or ()),
        what="a not-ready address",
    )
    assert endpoint_ips(ep) == set()


def test_deleting_the_service_removes_its_endpoints(k: Kns) -> None:
    k.apply(deployment("web", replicas=1) + "---\n" + SERVICE.format(type="ClusterIP"))
    k.until(lambda: k.items("endpoints"), lambda items: len(items) == 1, what="endpoints")
    k("delete", "svc", "web")
    k.wait_count(0, "endpoints")
    k.wait_count(0, "endpointslices")


def test_load_balancer_service_gets_an_ingress_address(k: Kns) -> None:
    k.apply(SERVICE.format(type="LoadBalancer"))
    svc = k.until(
        lambda: k.get("svc", "web"),
        lambda s: s.get("status", {}).get("loadBalancer", {}).get("ingress"),
        what="load balancer address",
    )
    assert svc["status"]["loadBalancer"]["ingress"][0]["ip"] == "127.0.0.1"
    events = k("get", "events", "--field-selector", "involvedObject.kind=Service")
    assert "EnsuredLoadBalancer" in events
    assert "127.0.0.1" in k("get", "svc", "web")


def test_ingress_gets_an_address(k: Kns) -> None:
    k.apply("""
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  rules:
  - host: web.local
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 8080}}}}
""")
    ing = k.until(
        lambda: k.get("ingress", "web"),
        lambda i: i.get("status", {}).get("loadBalancer", {}).get("ingress"),
        what="ingress address",
    )
    assert ing["status"]["loadBalancer"]["ingress"] == [{"ip": "127.0.0.1"}]
