"""Services get what a real API server allocates: cluster IPs, node ports, health-check ports."""

from __future__ import annotations

import json

from tests.support import Kubectl


def _service(name: str, ns: str, svc_type: str, *, extra: str = "", node_port: str = "") -> str:
    port_line = f"\n      nodePort: {node_port}" if node_port else ""
    return f"""
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: {ns}}}
spec:
  type: {svc_type}{extra}
  selector: {{app: web}}
  ports:
    - name: http
      port: 80{port_line}
    - name: metrics
      port: 9090
"""


def _get(kubectl: Kubectl, ns: str, name: str) -> dict:
    return json.loads(kubectl("get", "service", name, "-n", ns, "-o", "json"))


def test_node_ports_are_allocated_in_range_and_unique(kubectl: Kubectl, namespace: str) -> None:
    kubectl("apply", "-f", "-", input=_service("a", namespace, "NodePort"))
    kubectl("apply", "-f", "-", input=_service("b", namespace, "NodePort"))
    ports = [
        p["nodePort"] for name in "ab" for p in _get(kubectl, namespace, name)["spec"]["ports"]
    ]
    assert len(ports) == len(set(ports)) == 4
    assert all(30000 <= p <= 32767 for p in ports)


def test_cluster_ip_service_gets_no_node_port(kubectl: Kubectl, namespace: str) -> None:
    kubectl("apply", "-f", "-", input=_service("plain", namespace, "ClusterIP"))
    spec = _get(kubectl, namespace, "plain")["spec"]
    assert spec["clusterIP"].startswith("10.")
    assert all("nodePort" not in p for p in spec["ports"])


def test_reapply_keeps_allocated_ports(kubectl: Kubectl, namespace: str) -> None:
    manifest = _service("keep", namespace, "NodePort")
    kubectl("apply", "-f", "-", input=manifest)
    before = _get(kubectl, namespace, "keep")["spec"]
    kubectl("apply", "-f", "-", input=manifest.replace("app: web", "app: web2"))
    after = _get(kubectl, namespace, "keep")["spec"]
    assert after["selector"] == {"app": "web2"}
    assert [p["nodePort"] for p in after["ports"]] == [p["nodePort"] for p in before["ports"]]
    assert after["clusterIP"] == before["clusterIP"]


def test_taken_node_port_is_refused_and_freed_on_delete(kubectl: Kubectl, namespace: str) -> None:
    kubectl("apply", "-f", "-", input=_service("first", namespace, "NodePort", node_port="31234"))
    clash = kubectl.run(
        "apply", "-f", "-", input=_service("second", namespace, "NodePort", node_port="31234"),
        check=False,
    )  # fmt: skip
    assert clash.returncode != 0
    assert "spec.ports[0].nodePort" in clash.stderr
    assert "provided port is already allocated" in clash.stderr
    kubectl("delete", "service", "first", "-n", namespace)
    kubectl("apply", "-f", "-", input=_service("second", namespace, "NodePort", node_port="31234"))
    assert _get(kubectl, namespace, "second")["spec"]["ports"][0]["nodePort"] == 31234


def test_local_load_balancer_gets_health_check_node_port(kubectl: Kubectl, namespace: str) -> None:
    extra = "\n  externalTrafficPolicy: Local"
    kubectl("apply", "-f", "-", input=_service("lb", namespace, "LoadBalancer", extra=extra))
    spec = _get(kubectl, namespace, "lb")["spec"]
    node_ports = {p["nodePort"] for p in spec["ports"]}
    assert 30000 <= spec["healthCheckNodePort"] <= 32767
    assert spec["healthCheckNodePort"] not in node_ports
