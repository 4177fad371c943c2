"""Defaulting matches what a Kubernetes 1.32 API server stores (fixtures/defaults.yaml)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from kaiun.localcluster import defaults
from kaiun.localcluster.podspec_defaults import image_tag

FIXTURES = Path(__file__).parent / "fixtures"
CASES = yaml.safe_load((FIXTURES / "defaults.yaml").read_text())


def _default_all(obj: dict[str, Any]) -> None:
    if obj.get("kind") == "List":
        for item in obj["items"]:
            defaults.apply_defaults(item)
    else:
        defaults.apply_defaults(obj)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_defaults_fixture(case: dict[str, Any]) -> None:
    obj = copy.deepcopy(case["input"])
    _default_all(obj)
    assert obj == case["expected"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_defaulting_is_idempotent(case: dict[str, Any]) -> None:
    # The server re-applies defaults on every read and write; a second pass changes nothing.
    obj = copy.deepcopy(case["expected"])
    _default_all(obj)
    assert obj == case["expected"]


@pytest.mark.parametrize(
    ("image", "tag"),
    [
        ("nginx", "latest"),
        ("nginx:latest", "latest"),
        ("nginx:1.27", "1.27"),
        ("nginx:V1", "V1"),
        ("docker.io/library/nginx", "latest"),
        ("registry.local:5000/team/app", "latest"),
        ("registry.local:5000/team/app:2", "2"),
        ("nginx@sha256:" + "a" * 64, ""),
        ("nginx:1.27@sha256:" + "a" * 64, "1.27"),
        ("", ""),
        ("Nginx", ""),
        (" nginx", ""),
    ],
)
def test_image_tag_rule(image: str, tag: str) -> None:
    assert image_tag(image) == tag


def test_job_without_uid_still_gets_selector_keys() -> None:
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"}, "spec": {}}
    defaults.apply_defaults(job)
    assert job["spec"]["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": ""}}
    assert job["metadata"]["labels"]["job-name"] == "j"


def test_backoff_limit_per_index_defaults_backoff_to_max_int32() -> None:
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "j", "uid": "u"},
        "spec": {"completionMode": "Indexed", "completions": 3, "backoffLimitPerIndex": 1},
    }
    defaults.apply_defaults(job)
    assert job["spec"]["backoffLimit"] == 2147483647
    assert job["spec"]["parallelism"] == 1
    assert job["spec"]["completions"] == 3


def test_hpa_v1_only_gets_min_replicas() -> None:
    hpa = {
        "apiVersion": "autoscaling/v1",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "h"},
        "spec": {"maxReplicas": 3},
    }
    defaults.apply_defaults(hpa)
    assert hpa["spec"] == {"maxReplicas": 3, "minReplicas": 1}


def test_has_defaults() -> None:
    assert defaults.has_defaults("apps", "Deployment")
    assert not defaults.has_defaults("", "ConfigMap")


@pytest.mark.parametrize(
    ("obj", "status"),
    [
        ({"apiVersion": "v1", "kind": "Namespace"}, {"phase": "Active"}),
        ({"apiVersion": "v1", "kind": "Service"}, {"loadBalancer": {}}),
        ({"apiVersion": "apps/v1", "kind": "Deployment"}, {}),
        ({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress"}, {"loadBalancer": {}}),
        ({"apiVersion": "v1", "kind": "ConfigMap"}, None),
        (
            {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "status": {"phase": "Bound"}},
            {"phase": "Bound"},
        ),
    ],
)
def test_initial_status(obj: dict[str, Any], status: dict[str, Any] | None) -> None:
    defaults.initial_status(obj)
    assert obj.get("status") == status


def _pod(*resources: dict[str, Any]) -> dict[str, Any]:
    containers = [{"name": f"c{i}", "image": "x", "resources": r} for i, r in enumerate(resources)]
    return {"apiVersion": "v1", "kind": "Pod", "spec": {"containers": containers}}


@pytest.mark.parametrize(
    ("pod", "qos"),
    [
        (_pod({}), "BestEffort"),
        (_pod({"limits": {"cpu": "1", "memory": "1Gi"}}), "Guaranteed"),
        (
            _pod({"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "1000m"}}),
            "Guaranteed",
        ),
        (_pod({"limits": {"cpu": "1"}}), "Burstable"),
        (_pod({"requests": {"memory": "1Gi"}}), "Burstable"),
        (_pod({"limits": {"cpu": "1", "memory": "1Gi"}}, {}), "Burstable"),
    ],
)
def test_new_pods_get_phase_pending_and_their_qos_class(pod: dict[str, Any], qos: str) -> None:
    defaults.apply_defaults(pod)
    defaults.initial_status(pod)
    assert pod["status"] == {"phase": "Pending", "qosClass": qos}


# --- Service allocation hooks ----------------------------------------------------------------


def _service(spec: dict[str, Any]) -> dict[str, Any]:
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": spec}
    defaults.apply_defaults(svc)
    return svc


def test_allocation_request_for_nodeport_service() -> None:
    svc = _service({"type": "NodePort", "ports": [{"port": 80}, {"port": 81, "nodePort": 30081}]})
    assert defaults.service_allocation_request(svc) == {
        "cluster_ip": True,
        "node_port_indexes": [0],
        "health_check_node_port": False,
    }
    defaults.apply_service_allocation(svc, cluster_ip="10.96.0.10", node_ports={0: 30080})
    spec = svc["spec"]
    assert spec["clusterIP"] == "10.96.0.10"
    assert spec["clusterIPs"] == ["10.96.0.10"]
    assert spec["ipFamilies"] == ["IPv4"]
    assert spec["ipFamilyPolicy"] == "SingleStack"
    assert [p["nodePort"] for p in spec["ports"]] == [30080, 30081]
    assert spec["externalTrafficPolicy"] == "Cluster"


def test_allocation_request_for_local_loadbalancer_and_headless_and_externalname() -> None:
    lb = _service(
        {"type": "LoadBalancer", "externalTrafficPolicy": "Local", "ports": [{"port": 1}]}
    )
    assert defaults.service_allocation_request(lb) == {
        "cluster_ip": True,
        "node_port_indexes": [0],
        "health_check_node_port": True,
    }
    defaults.apply_service_allocation(lb, cluster_ip="fd00::1", health_check_node_port=31000)
    assert lb["spec"]["healthCheckNodePort"] == 31000
    assert lb["spec"]["clusterIPs"] == ["fd00::1"]
    no_ports = _service(
        {"type": "LoadBalancer", "allocateLoadBalancerNodePorts": False, "ports": [{"port": 1}]}
    )
    assert defaults.service_allocation_request(no_ports)["node_port_indexes"] == []
    headless = _service({"clusterIP": "None", "ports": [{"port": 1}]})
    assert defaults.service_allocation_request(headless)["cluster_ip"] is False
    external = _service({"type": "ExternalName", "externalName": "x.example.com"})
    assert defaults.service_allocation_request(external)["cluster_ip"] is False


def test_carry_over_keeps_allocations_a_client_omitted() -> None:
    old = _service({"type": "NodePort", "ports": [{"port": 80}]})
    defaults.apply_service_allocation(old, cluster_ip="10.96.0.7", node_ports={0: 30007})
    new = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}}
    new["spec"] = {"type": "NodePort", "ports": [{"port": 80, "protocol": "TCP"}]}
    defaults.carry_over_service_allocation(old, new)
    defaults.apply_defaults(new)
    assert new["spec"]["clusterIP"] == "10.96.0.7"
    assert new["spec"]["clusterIPs"] == ["10.96.0.7"]
    assert new["spec"]["ports"][0]["nodePort"] == 30007
    assert new["spec"]["ipFamilies"] == ["IPv4"]


def test_carry_over_does_not_touch_externalname() -> None:
    old = _service({"ports": [{"port": 80}]})
    defaults.apply_service_allocation(old, cluster_ip="10.96.0.8")
    new = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}}
    new["spec"] = {"type": "ExternalName", "externalName": "x.example.com"}
    defaults.carry_over_service_allocation(old, new)
    assert "clusterIP" not in new["spec"]


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
_KINDS = [
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("apps/v1", "DaemonSet"),
    ("batch/v1", "Job"),
    ("batch/v1", "CronJob"),
    ("v1", "Pod"),
    ("v1", "Service"),
    ("v1", "Secret"),
    ("v1", "Namespace"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
]


@settings(max_examples=200, deadline=None)
@given(kind=st.sampled_from(_KINDS), spec=_json, metadata=_json)
def test_defaulting_malformed_objects_never_raises(
    kind: tuple[str, str], spec: Any, metadata: Any
) -> None:
    obj = {"apiVersion": kind[0], "kind": kind[1], "metadata": metadata, "spec": spec}
    defaults.apply_defaults(obj)
    assert obj["kind"] == kind[1]
