"""Server-side defaulting of the built-in kinds, as a Kubernetes 1.32 API server does it.

``apply_defaults(obj)`` mutates a decoded object in place on every write, so what the
local cluster stores (and what later diffs see) matches a real cluster. Values come from
``pkg/apis/*/v1/defaults.go``, the ``+default`` markers and the registry strategies
(Job selector generation, Namespace finalizers, Secret ``stringData``). Allocation of
cluster IPs and node ports is the server's: see ``service_allocation_request`` and
``apply_service_allocation``. Pure: no IO.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable, Mapping
from typing import Any, TypedDict

from kaiun.localcluster.podspec_defaults import (
    JsonObject,
    canonical_field,
    canonical_resources,
    child,
    default_pod,
    default_pod_template,
    default_pvc_spec,
    items,
    set_default,
)
from kaiun.localcluster.quantity import parse_quantity

RBAC_GROUP = "rbac.authorization.k8s.io"
JOB_UID_LABELS = ("controller-uid", "batch.kubernetes.io/controller-uid")
JOB_NAME_LABELS = ("job-name", "batch.kubernetes.io/job-name")


def group_of(obj: Mapping[str, Any]) -> str:
    """The API group of ``obj.apiVersion`` (``""`` for the core group)."""
    api_version = str(obj.get("apiVersion") or "")
    return api_version.rpartition("/")[0]


def _deployment(obj: JsonObject) -> None:
    spec = child(obj, "spec")
    set_default(spec, "replicas", 1)
    strategy = child(spec, "strategy")
    set_default(strategy, "type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = child(strategy, "rollingUpdate")
        set_default(rolling, "maxUnavailable", "25%")
        set_default(rolling, "maxSurge", "25%")
    set_default(spec, "revisionHistoryLimit", 10)
    set_default(spec, "progressDeadlineSeconds", 600)
    default_pod_template(child(spec, "template"))


def _replicaset(obj: JsonObject) -> None:
    spec = child(obj, "spec")
    set_default(spec, "replicas", 1)
    default_pod_template(child(spec, "template"))


def _replication_controller(obj: JsonObject) -> None:
    spec = child(obj, "spec")
    template = spec.get("template")
    metadata = template.get("metadata") if isinstance(template, dict) else None
    labels = metadata.get("labels") if isinstance(metadata, dict) else None
    # The legacy controller takes its selector and labels from the template.
    if isinstance(labels, dict) and labels:
        if not spec.get("selector"):
            spec["selector"] = dict(labels)
        own = child(obj, "metadata")
        if not own.get("labels"):
            own["labels"] = dict(labels)
    _replicaset(obj)


def _volume_claim_template(template: JsonObject) -> None:
    # Embedded PVCs are full objects: they gain apiVersion/kind on output, the
    # ObjectMeta quirk, PVC spec defaults and the PVC status default.
    template.setdefault("apiVersion", "v1")
    template.setdefault("kind", "PersistentVolumeClaim")
    metadata = child(template, "metadata")
    metadata.setdefault("creationTimestamp", None)
    default_pvc_spec(child(template, "spec"))
    set_default(child(template, "status"), "phase", "Pending")


def _statefulset(obj: JsonObject) -> None:
    spec = child(obj, "spec")
    set_default(spec, "podManagementPolicy", "OrderedReady")
    strategy = child(spec, "updateStrategy")
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
        child(strategy, "rollingUpdate")
    if strategy["type"] == "RollingUpdate" and isinstance(strategy.get("rollingUpdate"), dict):
        set_default(strategy["rollingUpdate"], "partition", 0)
    retention = child(spec, "persistentVolumeClaimRetentionPolicy")
    set_default(retention, "whenDeleted", "Retain")
    set_default(retention, "whenScaled", "Retain")
    set_default(spec, "replicas", 1)
    set_default(spec, "revisionHistoryLimit", 10)
    default_pod_template(child(spec, "template"))
    for template in items(spec, "volumeClaimTemplates"):
        _volume_claim_template(template)


def _daemonset(obj: JsonObject) -> None:
    spec = child(obj, "spec")
    strategy = child(spec, "updateStrategy")
    set_default(strategy, "type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = child(strategy, "rollingUpdate")
        set_default(rolling, "maxUnavailable", 1)
        set_default(rolling, "maxSurge", 0)
    set_default(spec, "revisionHistoryLimit", 10)
    default_pod_template(child(spec, "template"))


def _job(obj: JsonObject) -> None:
    spec = child(obj, "spec")
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
    set_default(spec, "parallelism", 1)
    if spec.get("backoffLimit") is None:
        spec["backoffLimit"] = 2147483647 if spec.get("backoffLimitPerIndex") is not None else 6
    set_default(spec, "completionMode", "NonIndexed")
    if spec.get("suspend") is None:
        spec["suspend"] = False
    policy = spec.get("podFailurePolicy")
    if isinstance(policy, dict):
        for rule in items(policy, "rules"):
            for pattern in items(rule, "onPodConditions"):
                set_default(pattern, "status", "True")
    # JobPodReplacementPolicy is beta and on by default in 1.32.
    if spec.get("podReplacementPolicy") is None:
        spec["podReplacementPolicy"] = "Failed" if policy is not None else "TerminatingOrFailed"
    template = child(spec, "template")
    default_pod_template(template)
    if spec.get("manualSelector") is not True:
        _generate_job_selector(obj, spec, template)
    metadata = child(obj, "metadata")
    template_labels = child(template, "metadata").get("labels")
    # Defaulting copies template labels to an unlabelled Job (and re-runs on every read,
    # so the copy includes the generated selector labels).
    if template_labels and not metadata.get("labels"):
        metadata["labels"] = dict(template_labels)


def _generate_job_selector(obj: JsonObject, spec: JsonObject, template: JsonObject) -> None:
    metadata = obj.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    uid = str(metadata.get("uid") or "")
    name = str(metadata.get("name") or "")
    labels = child(child(template, "metadata"), "labels")
    for key in JOB_NAME_LABELS:
        labels.setdefault(key, name)
    for key in JOB_UID_LABELS:
        labels.setdefault(key, uid)
    match = child(child(spec, "selector"), "matchLabels")
    match.setdefault("batch.kubernetes.io/controller-uid", uid)


def _cronjob(obj: JsonObject) -> None:
    spec = child(obj, "spec")
    set_default(spec, "concurrencyPolicy", "Allow")
    if spec.get("suspend") is None:
        spec["suspend"] = False
    set_default(spec, "successfulJobsHistoryLimit", 3)
    set_default(spec, "failedJobsHistoryLimit", 1)
    job_template = child(spec, "jobTemplate")
    child(job_template, "metadata").setdefault("creationTimestamp", None)
    default_pod_template(child(child(job_template, "spec"), "template"))


def _pod_template_kind(obj: JsonObject) -> None:
    default_pod_template(child(obj, "template"))


def _secret(obj: JsonObject) -> None:
    set_default(obj, "type", "Opaque")
    string_data = obj.pop("stringData", None)
    # The v1 -> internal conversion folds stringData into data (stringData wins).
    if isinstance(string_data, dict) and string_data:
        data = child(obj, "data")
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode()).decode()


def _namespace(obj: JsonObject) -> None:
    metadata = child(obj, "metadata")
    name = metadata.get("name")
    if name:
        child(metadata, "labels")["kubernetes.io/metadata.name"] = str(name)
    spec = child(obj, "spec")
    if not spec.get("finalizers"):
        spec["finalizers"] = ["kubernetes"]
    set_default(child(obj, "status"), "phase", "Active")


def _service(obj: JsonObject) -> None:
    spec = child(obj, "spec")
    set_default(spec, "sessionAffinity", "None")
    if spec["sessionAffinity"] == "None":
        spec.pop("sessionAffinityConfig", None)
    elif spec["sessionAffinity"] == "ClientIP":
        config = spec.get("sessionAffinityConfig")
        client_ip = config.get("clientIP") if isinstance(config, dict) else None
        if not isinstance(client_ip, dict) or client_ip.get("timeoutSeconds") is None:
            spec["sessionAffinityConfig"] = {"clientIP": {"timeoutSeconds": 10800}}
    set_default(spec, "type", "ClusterIP")
    svc_type = spec["type"]
    for port in items(spec, "ports"):
        set_default(port, "protocol", "TCP")
        if port.get("targetPort") in (None, 0, ""):
            port["targetPort"] = port.get("port")
    externally = svc_type in ("LoadBalancer", "NodePort") or (
        svc_type == "ClusterIP" and bool(spec.get("externalIPs"))
    )
    if externally:
        set_default(spec, "externalTrafficPolicy", "Cluster")
    internal = svc_type in ("ClusterIP", "NodePort", "LoadBalancer")
    if spec.get("internalTrafficPolicy") is None and internal:
        spec["internalTrafficPolicy"] = "Cluster"
    if svc_type == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts") is None:
        spec["allocateLoadBalancerNodePorts"] = True
    if svc_type == "LoadBalancer":
        _load_balancer_ip_mode(obj)
    if spec.get("clusterIP") and not spec.get("clusterIPs"):
        spec["clusterIPs"] = [spec["clusterIP"]]
    _service_ip_families(spec)


def _load_balancer_ip_mode(obj: JsonObject) -> None:
    status = obj.get("status")
    balancer = status.get("loadBalancer") if isinstance(status, dict) else None
    if isinstance(balancer, dict):
        for ingress in items(balancer, "ingress"):
            if ingress.get("ip") and ingress.get("ipMode") is None:
                ingress["ipMode"] = "VIP"


def _service_ip_families(spec: JsonObject) -> None:
    # initIPFamilyFields: runs before allocation, so headless Services get theirs here.
    if spec.get("type") == "ExternalName":
        return
    headless = spec.get("clusterIP") == "None"
    selectorless = not spec.get("selector")
    if spec.get("ipFamilyPolicy") is None:
        dual = headless and selectorless
        spec["ipFamilyPolicy"] = "RequireDualStack" if dual else "SingleStack"
    if not spec.get("ipFamilies"):
        ips = [ip for ip in spec.get("clusterIPs") or [] if ip and ip != "None"]
        spec["ipFamilies"] = ["IPv6" if ":" in ip else "IPv4" for ip in ips] or ["IPv4"]
        if headless and selectorless and spec["ipFamilyPolicy"] != "SingleStack":
            spec["ipFamilies"].append("IPv6" if spec["ipFamilies"][0] == "IPv4" else "IPv4")


def _endpoints(obj: JsonObject) -> None:
    for subset in items(obj, "subsets"):
        for port in items(subset, "ports"):
            set_default(port, "protocol", "TCP")


def _endpoint_slice(obj: JsonObject) -> None:
    for port in items(obj, "ports"):
        if port.get("name") is None:
            port["name"] = ""
        set_default(port, "protocol", "TCP")


def _pvc(obj: JsonObject) -> None:
    default_pvc_spec(child(obj, "spec"))
    canonical_resources(obj.get("status"), "capacity")
    set_default(child(obj, "status"), "phase", "Pending")


def _pv(obj: JsonObject) -> None:
    spec = child(obj, "spec")
    canonical_resources(spec, "capacity")
    set_default(spec, "persistentVolumeReclaimPolicy", "Retain")
    set_default(spec, "volumeMode", "Filesystem")
    host_path = spec.get("hostPath")
    if isinstance(host_path, dict) and host_path.get("type") is None:
        host_path["type"] = ""
    set_default(child(obj, "status"), "phase", "Pending")


def _storageclass(obj: JsonObject) -> None:
    set_default(obj, "reclaimPolicy", "Delete")
    set_default(obj, "volumeBindingMode", "Immediate")


def _network_policy(obj: JsonObject) -> None:
    spec = child(obj, "spec")
    for direction in ("ingress", "egress"):
        for rule in items(spec, direction):
            for port in items(rule, "ports"):
                set_default(port, "protocol", "TCP")
    if not spec.get("policyTypes"):
        spec["policyTypes"] = ["Ingress"] + (["Egress"] if spec.get("egress") else [])


_SCALE_UP: JsonObject = {
    "stabilizationWindowSeconds": 0,
    "selectPolicy": "Max",
    "policies": [
        {"type": "Pods", "value": 4, "periodSeconds": 15},
        {"type": "Percent", "value": 100, "periodSeconds": 15},
    ],
}
_SCALE_DOWN: JsonObject = {
    "selectPolicy": "Max",
    "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}],
}


def _merge_scaling_rules(given: Any, default: JsonObject) -> JsonObject:
    rules = copy.deepcopy(default)
    if isinstance(given, dict):
        for key in ("selectPolicy", "stabilizationWindowSeconds", "policies", "tolerance"):
            if given.get(key) is not None:
                rules[key] = given[key]
    return rules


def _metric_targets(spec: JsonObject) -> None:
    for metric in items(spec, "metrics"):
        for source in metric.values():
            if isinstance(source, dict) and isinstance(source.get("target"), dict):
                canonical_field(source["target"], "value")
                canonical_field(source["target"], "averageValue")


def _hpa(obj: JsonObject) -> None:
    spec = child(obj, "spec")
    set_default(spec, "minReplicas", 1)
    if obj.get("apiVersion") != "autoscaling/v2":
        return
    _metric_targets(spec)
    if not spec.get("metrics"):
        target = {"type": "Utilization", "averageUtilization": 80}
        spec["metrics"] = [{"type": "Resource", "resource": {"name": "cpu", "target": target}}]
    behavior = spec.get("behavior")
    if isinstance(behavior, dict):
        behavior["scaleUp"] = _merge_scaling_rules(behavior.get("scaleUp"), _SCALE_UP)
        behavior["scaleDown"] = _merge_scaling_rules(behavior.get("scaleDown"), _SCALE_DOWN)


def _subjects(obj: JsonObject) -> None:
    for subject in items(obj, "subjects"):
        if not subject.get("apiGroup"):
            if subject.get("kind") in ("User", "Group"):
                subject["apiGroup"] = RBAC_GROUP
            elif subject.get("kind") == "ServiceAccount":
                subject["apiGroup"] = ""
    role_ref = obj.get("roleRef")
    if isinstance(role_ref, dict):
        set_default(role_ref, "apiGroup", RBAC_GROUP)


def _resource_quota(obj: JsonObject) -> None:
    canonical_resources(obj.get("spec"), "hard")


def _limit_range(obj: JsonObject) -> None:
    spec = obj.get("spec")
    for limit in items(spec, "limits") if isinstance(spec, dict) else []:
        for key in ("max", "min", "default", "defaultRequest", "maxLimitRequestRatio"):
            canonical_resources(limit, key)


def _crd(obj: JsonObject) -> None:
    spec = child(obj, "spec")
    names = child(spec, "names")
    kind = str(names.get("kind") or "")
    set_default(names, "singular", kind.lower())
    if kind:
        set_default(names, "listKind", kind + "List")
    if not isinstance(spec.get("conversion"), dict):
        spec["conversion"] = {"strategy": "None"}
    webhook = spec["conversion"].get("webhook")
    if isinstance(webhook, dict):
        client_config = webhook.get("clientConfig")
        service = client_config.get("service") if isinstance(client_config, dict) else None
        if isinstance(service, dict):
            set_default(service, "port", 443)


_DEFAULTERS: dict[tuple[str, str], Callable[[JsonObject], None]] = {
    ("apps", "Deployment"): _deployment,
    ("apps", "ReplicaSet"): _replicaset,
    ("", "ReplicationController"): _replication_controller,
    ("apps", "StatefulSet"): _statefulset,
    ("apps", "DaemonSet"): _daemonset,
    ("batch", "Job"): _job,
    ("batch", "CronJob"): _cronjob,
    ("", "Pod"): default_pod,
    ("", "PodTemplate"): _pod_template_kind,
    ("", "Secret"): _secret,
    ("", "Namespace"): _namespace,
    ("", "Service"): _service,
    ("", "Endpoints"): _endpoints,
    ("discovery.k8s.io", "EndpointSlice"): _endpoint_slice,
    ("", "PersistentVolumeClaim"): _pvc,
    ("", "PersistentVolume"): _pv,
    ("storage.k8s.io", "StorageClass"): _storageclass,
    ("", "ResourceQuota"): _resource_quota,
    ("", "LimitRange"): _limit_range,
    ("networking.k8s.io", "NetworkPolicy"): _network_policy,
    ("autoscaling", "HorizontalPodAutoscaler"): _hpa,
    (RBAC_GROUP, "RoleBinding"): _subjects,
    (RBAC_GROUP, "ClusterRoleBinding"): _subjects,
    ("apiextensions.k8s.io", "CustomResourceDefinition"): _crd,
}


def apply_defaults(obj: JsonObject) -> None:
    """Fill in, in place, the fields a Kubernetes 1.32 API server defaults for ``obj``'s kind.

    Kinds without server defaults (ConfigMap, Ingress, PDB, custom resources...) are left
    untouched. Job selector generation reads ``metadata.uid``, so set it first.
    """
    defaulter = _DEFAULTERS.get((group_of(obj), str(obj.get("kind") or "")))
    if defaulter is not None:
        defaulter(obj)


def has_defaults(group: str, kind: str) -> bool:
    """Whether ``apply_defaults`` changes anything for this group and kind."""
    return (group, kind) in _DEFAULTERS


_INITIAL_STATUS: dict[tuple[str, str], JsonObject] = {
    ("", "Namespace"): {"phase": "Active"},
    ("", "Service"): {"loadBalancer": {}},
    ("", "PersistentVolumeClaim"): {"phase": "Pending"},
    ("", "PersistentVolume"): {"phase": "Pending"},
    ("", "Pod"): {"phase": "Pending"},
    ("networking.k8s.io", "Ingress"): {"loadBalancer": {}},
    ("apps", "Deployment"): {},
    ("apps", "ReplicaSet"): {"replicas": 0},
    ("apps", "StatefulSet"): {"replicas": 0, "availableReplicas": 0},
    ("apps", "DaemonSet"): {
        "currentNumberScheduled": 0,
        "numberMisscheduled": 0,
        "desiredNumberScheduled": 0,
        "numberReady": 0,
    },
    ("batch", "Job"): {},
    ("batch", "CronJob"): {},
    ("autoscaling", "HorizontalPodAutoscaler"): {"currentReplicas": 0, "desiredReplicas": 0},
    ("policy", "PodDisruptionBudget"): {
        "disruptionsAllowed": 0,
        "currentHealthy": 0,
        "desiredHealthy": 0,
        "expectedPods": 0,
    },
}


def initial_status(obj: JsonObject) -> None:
    """Give a just-created object the status its kind starts with (create strategies reset
    status; a fresh Deployment shows ``status: {}``, a Namespace ``phase: Active``...).

    An existing non-empty status is kept; kinds without a status are left alone.
    """
    status = _INITIAL_STATUS.get((group_of(obj), str(obj.get("kind") or "")))
    if status is None or obj.get("status"):
        return
    obj["status"] = copy.deepcopy(status)
    if obj.get("kind") == "Pod":
        obj["status"]["qosClass"] = qos_class(obj)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _resources(container: Any) -> Mapping[str, Any]:
    return _mapping(_mapping(container).get("resources"))


def qos_class(pod: Mapping[str, Any]) -> str:
    """The Pod's QoS class: Guaranteed, Burstable or BestEffort (after defaulting)."""
    spec = _mapping(pod.get("spec"))
    containers: list[Any] = []
    for key in ("initContainers", "containers"):
        value = spec.get(key)
        containers += value if isinstance(value, list) else []
    resources = [_resources(c) for c in containers]
    if not any(r.get("requests") or r.get("limits") for r in resources):
        return "BestEffort"
    for res in resources:
        limits, requests = _mapping(res.get("limits")), _mapping(res.get("requests"))
        for name in ("cpu", "memory"):
            limit = parse_quantity(limits.get(name))
            request = parse_quantity(requests.get(name, limits.get(name)))
            if limit is None or request != limit:
                return "Burstable"
    return "Guaranteed"


class ServiceAllocationRequest(TypedDict):
    """What the server must allocate before storing a Service."""

    cluster_ip: bool
    node_port_indexes: list[int]
    health_check_node_port: bool


def service_allocation_request(service: Mapping[str, Any]) -> ServiceAllocationRequest:
    """Which cluster IP / node ports a (defaulted) Service still needs allocated."""
    spec = service.get("spec")
    spec = spec if isinstance(spec, Mapping) else {}
    svc_type = spec.get("type") or "ClusterIP"
    wants_ip = svc_type != "ExternalName" and not spec.get("clusterIP")
    node_ports = svc_type == "NodePort" or (
        svc_type == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts") is not False
    )
    indexes = [
        i
        for i, port in enumerate(spec.get("ports") or [])
        if node_ports and isinstance(port, dict) and not port.get("nodePort")
    ]
    health = (
        svc_type == "LoadBalancer"
        and spec.get("externalTrafficPolicy") == "Local"
        and not spec.get("healthCheckNodePort")
    )
    return {"cluster_ip": wants_ip, "node_port_indexes": indexes, "health_check_node_port": health}


def apply_service_allocation(
    service: JsonObject,
    *,
    cluster_ip: str | None = None,
    node_ports: Mapping[int, int] | None = None,
    health_check_node_port: int | None = None,
) -> None:
    """Write the server-allocated values into a Service (``clusterIP(s)``, ``ipFamilies``...)."""
    spec = child(service, "spec")
    if cluster_ip:
        spec["clusterIP"] = cluster_ip
        spec["clusterIPs"] = [cluster_ip]
        family = "IPv6" if ":" in cluster_ip else "IPv4"
        if not spec.get("ipFamilies"):
            spec["ipFamilies"] = [family]
        set_default(spec, "ipFamilyPolicy", "SingleStack")
    ports = spec.get("ports") or []
    for index, port_number in (node_ports or {}).items():
        if 0 <= index < len(ports) and isinstance(ports[index], dict):
            ports[index]["nodePort"] = port_number
    if health_check_node_port:
        spec["healthCheckNodePort"] = health_check_node_port


def _port_key(port: Mapping[str, Any]) -> tuple[str, str]:
    return repr(port.get("port")), repr(port.get("protocol", "TCP"))


def carry_over_service_allocation(old: Mapping[str, Any], new: JsonObject) -> None:
    """On update, keep the allocated IP and node ports a client omitted (as the registry does)."""
    old_spec = old.get("spec")
    old_spec = old_spec if isinstance(old_spec, Mapping) else {}
    spec = child(new, "spec")
    if spec.get("type") == "ExternalName":
        return
    if not spec.get("clusterIP") and old_spec.get("clusterIP"):
        spec["clusterIP"] = old_spec["clusterIP"]
        spec["clusterIPs"] = list(old_spec.get("clusterIPs") or [old_spec["clusterIP"]])
    for key in ("ipFamilies", "ipFamilyPolicy"):
        if spec.get(key) is None and old_spec.get(key) is not None:
            spec[key] = copy.deepcopy(old_spec[key])
    old_ports = {
        _port_key(p): p.get("nodePort") for p in items(dict(old_spec), "ports") if p.get("nodePort")
    }
    if spec.get("type") in ("NodePort", "LoadBalancer"):
        for port in items(spec, "ports"):
            port_key = _port_key(port)
            if not port.get("nodePort") and port_key in old_ports:
                port["nodePort"] = old_ports[port_key]
    local = spec.get("externalTrafficPolicy") == "Local"
    if local and not spec.get("healthCheckNodePort") and old_spec.get("healthCheckNodePort"):
        spec["healthCheckNodePort"] = old_spec["healthCheckNodePort"]


def service_node_ports(service: Mapping[str, Any]) -> frozenset[int]:
    """The node ports (and health-check node port) a stored Service holds."""
    spec = service.get("spec") or {}
    ports = {p.get("nodePort") for p in spec.get("ports") or () if isinstance(p, dict)}
    ports.add(spec.get("healthCheckNodePort"))
    return frozenset(p for p in ports if isinstance(p, int) and p > 0)
