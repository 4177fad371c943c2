"""Validation of the non-workload built-ins: Service, ConfigMap, Secret, Namespace, PVC,
Ingress, NetworkPolicy, HPA, PDB and RBAC, after Kubernetes 1.32's ``pkg/apis/*/validation``.
"""

from __future__ import annotations

import base64
import ipaddress
import json
from collections.abc import Mapping
from typing import Any

from kaiun.localcluster import fielderrors as fe
from kaiun.localcluster import names
from kaiun.localcluster.fielderrors import Cause
from kaiun.localcluster.jsonshape import mapping
from kaiun.localcluster.podspec_validation import validate_labels
from kaiun.localcluster.selector_validation import validate_selector

SERVICE_TYPES = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")
PROTOCOLS = ("SCTP", "TCP", "UDP")
MAX_DATA_SIZE = 1024 * 1024
RBAC_GROUP = "rbac.authorization.k8s.io"
_ACCESS_MODES = ("ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod")
_PV_SOURCES = (
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "hostPath",
    "glusterfs",
    "nfs",
    "rbd",
    "quobyte",
    "cinder",
    "cephfs",
    "fc",
    "flocker",
    "flexVolume",
    "azureFile",
    "vsphereVolume",
    "azureDisk",
    "photonPersistentDisk",
    "portworxVolume",
    "scaleIO",
    "local",
    "storageos",
    "csi",
    "iscsi",
)
STANDARD_FINALIZERS = ("kubernetes", "orphan", "foregroundDeletion")


def _spec(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = obj.get("spec")
    return spec if isinstance(spec, Mapping) else {}


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _go_port_key(port: Mapping[str, Any]) -> fe.GoLiteral:
    # Kubernetes reports a duplicate as the (protocol, port) key it built, other fields zero.
    return fe.GoLiteral(
        f'core.ServicePort{{Name:"", Protocol:{fe.go_quote(str(port.get("protocol") or ""))}, '
        f"AppProtocol:(*string)(nil), Port:{port.get('port') or 0}, "
        'TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}'
    )


def _service_port(
    port: Mapping[str, Any], p: str, require_name: bool, seen: set[str]
) -> list[Cause]:
    causes: list[Cause] = []
    name = port.get("name")
    if require_name and not name:
        causes.append(fe.required(f"{p}.name"))
    elif name:
        causes += [fe.invalid(f"{p}.name", name, m) for m in names.is_dns1123_label(str(name))]
        if name in seen:
            causes.append(fe.duplicate(f"{p}.name", name))
        seen.add(str(name))
    number = port.get("port")
    causes += [fe.invalid(f"{p}.port", number, m) for m in names.is_valid_port(number)]
    protocol = port.get("protocol")
    if not protocol:
        causes.append(fe.required(f"{p}.protocol"))
    elif protocol not in PROTOCOLS:
        causes.append(fe.not_supported(f"{p}.protocol", protocol, PROTOCOLS))
    target = port.get("targetPort")
    if isinstance(target, str):
        causes += [fe.invalid(f"{p}.targetPort", target, m) for m in names.is_port_name(target)]
    elif target is not None:
        causes += [fe.invalid(f"{p}.targetPort", target, m) for m in names.is_valid_port(target)]
    return causes


def _service_type_rules(spec: Mapping[str, Any], svc_type: str) -> list[Cause]:
    causes: list[Cause] = []
    ips = list(spec.get("clusterIPs") or [])
    if svc_type in ("LoadBalancer", "NodePort") and ips[:1] == ["None"]:
        detail = f"may not be set to 'None' for {svc_type} services"
        causes.append(fe.invalid("spec.clusterIPs[0]", "None", detail))
    if svc_type != "ExternalName":
        return causes
    for key in ("clusterIPs", "ipFamilies", "ipFamilyPolicy"):
        if spec.get(key):
            causes.append(fe.forbidden(f"spec.{key}", "may not be set for ExternalName services"))
    external = str(spec.get("externalName") or "").removesuffix(".")
    if not external:
        causes.append(fe.required("spec.externalName"))
    else:
        msgs = names.is_dns1123_subdomain(external)
        causes += [fe.invalid("spec.externalName", external, m) for m in msgs]
    return causes


def _cluster_ips(spec: Mapping[str, Any], svc_type: str) -> list[Cause]:
    if svc_type == "ExternalName":
        return []
    causes: list[Cause] = []
    for i, ip in enumerate(spec.get("clusterIPs") or []):
        if ip == "None" and i == 0:
            continue
        try:
            ipaddress.ip_address(str(ip))
        except ValueError:
            detail = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
            causes.append(fe.invalid(f"spec.clusterIPs[{i}]", ip, detail))
    return causes


def _service_port_rules(spec: Mapping[str, Any], svc_type: str) -> list[Cause]:
    causes: list[Cause] = []
    ports = _dicts(spec.get("ports"))
    for i, port in enumerate(ports):
        node_port = port.get("nodePort")
        if node_port and svc_type == "ClusterIP":
            detail = "may not be used when `type` is 'ClusterIP'"
            causes.append(fe.forbidden(f"spec.ports[{i}].nodePort", detail))
        elif node_port:
            msgs = names.is_valid_port(node_port)
            causes += [fe.invalid(f"spec.ports[{i}].nodePort", node_port, m) for m in msgs]
    seen: set[tuple[Any, Any]] = set()
    for i, port in enumerate(ports):
        key = (port.get("port"), port.get("protocol"))
        if key in seen:
            causes.append(fe.duplicate(f"spec.ports[{i}]", _go_port_key(port)))
        seen.add(key)
    return causes


def validate_service(obj: Mapping[str, Any]) -> list[Cause]:
    """``ValidateService``, in its order: ports, type rules, selector, affinity, IPs, type."""
    spec = _spec(obj)
    svc_type = str(spec.get("type") or "")
    causes: list[Cause] = []
    ports = _dicts(spec.get("ports"))
    headless = list(spec.get("clusterIPs") or [spec.get("clusterIP")])[:1] == ["None"]
    if not ports and svc_type != "ExternalName" and not headless:
        causes.append(fe.required("spec.ports"))
    causes += _service_type_rules(spec, svc_type)
    seen_names: set[str] = set()
    for i, port in enumerate(ports):
        causes += _service_port(port, f"spec.ports[{i}]", len(ports) > 1, seen_names)
    causes += validate_labels(spec.get("selector"), "spec.selector")
    affinity = spec.get("sessionAffinity")
    if not affinity:
        causes.append(fe.required("spec.sessionAffinity"))
    elif affinity not in ("ClientIP", "None"):
        causes.append(fe.not_supported("spec.sessionAffinity", affinity, ("ClientIP", "None")))
    causes += _cluster_ips(spec, svc_type)
    if not svc_type:
        causes.append(fe.required("spec.type"))
    elif svc_type not in SERVICE_TYPES:
        causes.append(fe.not_supported("spec.type", svc_type, SERVICE_TYPES))
    causes += _service_port_rules(spec, svc_type)
    policy = spec.get("externalTrafficPolicy")
    if policy and policy not in ("Cluster", "Local"):
        causes.append(fe.not_supported("spec.externalTrafficPolicy", policy, ("Cluster", "Local")))
    return causes


def _byte_length(values: list[Any]) -> int:
    text = "".join(v if isinstance(v, str) else str(v) for v in values)
    return len(text) if text.isascii() else len(text.encode())


def _bag_keys(bag: str, data: dict[str, Any], other: dict[str, Any] | None) -> list[Cause]:
    if all(map(names.is_plain_config_key, data)) and not (
        other and not data.keys().isdisjoint(other)
    ):
        return []  # the common case: nothing to report
    causes: list[Cause] = []
    for key in sorted(data):
        causes += [fe.invalid(f"{bag}[{key}]", key, m) for m in names.is_config_map_key(key)]
        if other is not None and key in other:
            causes.append(
                fe.invalid(f"{bag}[{key}]", key, "duplicate of key present in binaryData")
            )
    return causes


def _data_keys(obj: Mapping[str, Any], bags: tuple[str, ...]) -> list[Cause]:
    causes: list[Cause] = []
    total = 0
    present = {bag: obj[bag] for bag in bags if isinstance(obj.get(bag), dict)}
    for bag, data in present.items():
        # Only data keys are compared with binaryData, as Kubernetes does.
        other = present.get("binaryData") if bag == "data" else None
        causes += _bag_keys(bag, data, other)
        total += _byte_length(list(data.values()))
    if total > MAX_DATA_SIZE:
        causes.append(fe.too_long("[]", MAX_DATA_SIZE))
    return causes


def validate_configmap(obj: Mapping[str, Any]) -> list[Cause]:
    """``ValidateConfigMap``: key syntax, no key in both data and binaryData, 1 MiB."""
    return _data_keys(obj, ("data", "binaryData"))


def _secret_type(obj: Mapping[str, Any]) -> list[Cause]:
    data = obj.get("data") if isinstance(obj.get("data"), Mapping) else {}
    assert isinstance(data, Mapping)
    kind = obj.get("type")
    if kind == "kubernetes.io/service-account-token":
        annotations = mapping(mapping(obj.get("metadata")).get("annotations"))
        if not annotations.get("kubernetes.io/service-account.name"):
            path = "metadata.annotations[kubernetes.io/service-account.name]"
            return [fe.required(path)]
    required_keys = {
        "kubernetes.io/dockercfg": (".dockercfg",),
        "kubernetes.io/dockerconfigjson": (".dockerconfigjson",),
        "kubernetes.io/ssh-auth": ("ssh-privatekey",),
        "kubernetes.io/tls": ("tls.crt", "tls.key"),
    }.get(str(kind), ())
    causes = [fe.required(f"data[{k}]") for k in required_keys if k not in data]
    if kind == "kubernetes.io/basic-auth" and "username" not in data and "password" not in data:
        causes += [fe.required("data[username]"), fe.required("data[password]")]
    if kind in ("kubernetes.io/dockercfg", "kubernetes.io/dockerconfigjson") and not causes:
        key = required_keys[0]
        causes += _docker_config(key, data[key])
    return causes


def _docker_config(key: str, encoded: Any) -> list[Cause]:
    try:
        json.loads(base64.b64decode(str(encoded)) or b"null")
    except ValueError as err:
        detail = "unexpected end of JSON input" if not encoded else f"invalid JSON: {err.args[0]}"
        return [fe.invalid(f"data[{key}]", "<secret contents redacted>", detail)]
    return []


def validate_secret(obj: Mapping[str, Any]) -> list[Cause]:
    """``ValidateSecret``: key syntax, 1 MiB, and the keys each well-known type requires."""
    return _data_keys(obj, ("data",)) + _secret_type(obj)


def validate_namespace(obj: Mapping[str, Any]) -> list[Cause]:
    """``ValidateNamespace``: spec.finalizers must be standard or fully qualified."""
    causes: list[Cause] = []
    for i, finalizer in enumerate(_spec(obj).get("finalizers") or []):
        text = str(finalizer)
        path = f"spec.finalizers[{i}]"
        causes += [fe.invalid(path, text, m) for m in names.is_qualified_name(text)]
        if "/" not in text and text not in STANDARD_FINALIZERS:
            detail = "name is neither a standard finalizer name nor is it fully qualified"
            causes.append(fe.invalid(path, text, detail))
    return causes


def validate_pvc(obj: Mapping[str, Any]) -> list[Cause]:
    """``ValidatePersistentVolumeClaimSpec``: access modes, storage request, volume mode."""
    spec = _spec(obj)
    causes: list[Cause] = []
    modes = spec.get("accessModes") or []
    supported = _ACCESS_MODES
    if not modes:
        causes.append(fe.required("spec.accessModes", "at least 1 access mode is required"))
    for mode in modes:
        if mode not in supported:
            causes.append(fe.not_supported("spec.accessModes", mode, supported))
    requests = mapping(mapping(spec.get("resources")).get("requests"))
    if "storage" not in requests and not spec.get("dataSourceRef"):
        causes.append(fe.required("spec.resources[storage]"))
    mode = spec.get("volumeMode")
    if mode not in (None, "Block", "Filesystem"):
        causes.append(fe.not_supported("spec.volumeMode", mode, ("Block", "Filesystem")))
    return causes


def validate_pv(obj: Mapping[str, Any]) -> list[Cause]:
    """``ValidatePersistentVolumeSpec``: access modes, capacity, reclaim policy, one source."""
    spec = _spec(obj)
    causes: list[Cause] = []
    modes = spec.get("accessModes") or []
    if not modes:
        causes.append(fe.required("spec.accessModes"))
    for mode in modes:
        if mode not in _ACCESS_MODES:
            causes.append(fe.not_supported("spec.accessModes", mode, _ACCESS_MODES))
    if not spec.get("capacity"):
        causes.append(fe.required("spec.capacity"))
    policy = spec.get("persistentVolumeReclaimPolicy")
    if policy and policy not in ("Delete", "Recycle", "Retain"):
        supported = ("Delete", "Recycle", "Retain")
        causes.append(fe.not_supported("spec.persistentVolumeReclaimPolicy", policy, supported))
    sources = [k for k in _PV_SOURCES if spec.get(k) is not None]
    if not sources:
        causes.append(fe.required("spec", "must specify a volume type"))
    for extra in sources[1:]:
        causes.append(fe.forbidden(f"spec.{extra}", "may not specify more than 1 volume type"))
    return causes


def validate_storage_class(obj: Mapping[str, Any]) -> list[Cause]:
    """``ValidateStorageClass``: provisioner, reclaim policy and binding mode."""
    causes: list[Cause] = []
    provisioner = str(obj.get("provisioner") or "")
    if not provisioner:
        causes.append(fe.required("provisioner"))
    elif len(provisioner) > 63:
        causes.append(fe.too_long("provisioner", 63))
    policy = obj.get("reclaimPolicy")
    if policy not in (None, "Delete", "Retain"):
        causes.append(fe.not_supported("reclaimPolicy", policy, ("Delete", "Retain")))
    mode = obj.get("volumeBindingMode")
    if mode not in (None, "Immediate", "WaitForFirstConsumer"):
        supported = ("Immediate", "WaitForFirstConsumer")
        causes.append(fe.not_supported("volumeBindingMode", mode, supported))
    return causes


def _ingress_backend(backend: Any, p: str) -> list[Cause]:
    if not isinstance(backend, Mapping):
        return [fe.required(p)]
    service = backend.get("service")
    if service is None and backend.get("resource") is None:
        return [
            fe.invalid(
                p, fe.GoLiteral("{}"), "one backend (`service` or `resource`) must be specified"
            )
        ]
    if not isinstance(service, Mapping):
        return []
    causes: list[Cause] = []
    name = str(service.get("name") or "")
    if not name:
        causes.append(fe.required(f"{p}.service.name"))
    else:
        causes += [fe.invalid(f"{p}.service.name", name, m) for m in names.is_dns1035_label(name)]
    port = mapping(service.get("port"))
    has_name, has_number = bool(port.get("name")), bool(port.get("number"))
    if has_name and has_number:
        causes.append(
            fe.invalid(
                f"{p}.service.port", fe.GoLiteral("{}"), "cannot set both port name & port number"
            )
        )
    elif not has_name and not has_number:
        causes.append(
            fe.invalid(f"{p}.service.port", fe.GoLiteral("{}"), "port name or number is required")
        )
    elif has_number:
        number = port["number"]
        causes += [
            fe.invalid(f"{p}.service.port.number", number, m) for m in names.is_valid_port(number)
        ]
    return causes


def validate_ingress(obj: Mapping[str, Any]) -> list[Cause]:
    """``ValidateIngressSpec``: rules, hosts, paths with a required ``pathType``, backends."""
    spec = _spec(obj)
    causes: list[Cause] = []
    rules = _dicts(spec.get("rules"))
    if not rules and spec.get("defaultBackend") is None:
        detail = "either `defaultBackend` or `rules` must be specified"
        causes.append(fe.invalid("spec", fe.GoLiteral("{}"), detail))
    if spec.get("defaultBackend") is not None:
        causes += _ingress_backend(spec["defaultBackend"], "spec.defaultBackend")
    for i, rule in enumerate(rules):
        host = rule.get("host")
        if host:
            text = str(host)
            check = text[2:] if text.startswith("*.") else text
            causes += [
                fe.invalid(f"spec.rules[{i}].host", text, m)
                for m in names.is_dns1123_subdomain(check)
            ]
        http = rule.get("http")
        if http is None:
            continue
        paths = _dicts(mapping(http).get("paths"))
        if not paths:
            causes.append(fe.required(f"spec.rules[{i}].http.paths"))
        for j, path in enumerate(paths):
            causes += _ingress_path(path, f"spec.rules[{i}].http.paths[{j}]")
    return causes


def _ingress_path(path: Mapping[str, Any], p: str) -> list[Cause]:
    causes: list[Cause] = []
    path_type = path.get("pathType")
    text = str(path.get("path") or "")
    supported = ("Exact", "ImplementationSpecific", "Prefix")
    if not path_type:
        causes.append(fe.required(f"{p}.pathType", "pathType must be specified"))
    elif path_type not in supported:
        causes.append(fe.not_supported(f"{p}.pathType", path_type, supported))
    elif path_type in ("Exact", "Prefix") and not text.startswith("/"):
        causes.append(fe.invalid(f"{p}.path", text, "must be an absolute path"))
    causes += _ingress_backend(path.get("backend"), f"{p}.backend")
    return causes


def validate_network_policy(obj: Mapping[str, Any]) -> list[Cause]:
    """``ValidateNetworkPolicySpec``: selectors, port protocols, policyTypes."""
    spec = _spec(obj)
    causes = validate_selector(spec.get("podSelector"), "spec.podSelector")
    for direction in ("ingress", "egress"):
        for i, rule in enumerate(_dicts(spec.get(direction))):
            for j, port in enumerate(_dicts(rule.get("ports"))):
                protocol = port.get("protocol")
                if protocol is not None and protocol not in PROTOCOLS:
                    path = f"spec.{direction}[{i}].ports[{j}].protocol"
                    causes.append(fe.not_supported(path, protocol, PROTOCOLS))
    types = spec.get("policyTypes") or []
    for i, kind in enumerate(types):
        if kind not in ("Ingress", "Egress"):
            causes.append(fe.not_supported(f"spec.policyTypes[{i}]", kind, ("Ingress", "Egress")))
    if len(types) > 2:
        causes.append(
            fe.invalid(
                "spec.policyTypes",
                fe.go_string_slice(types),
                "may not specify more than two policyTypes",
            )
        )
    return causes


def validate_hpa(obj: Mapping[str, Any]) -> list[Cause]:
    """``ValidateHorizontalPodAutoscalerSpec``: target reference and replica bounds."""
    spec = _spec(obj)
    causes: list[Cause] = []
    ref = mapping(spec.get("scaleTargetRef"))
    for key in ("kind", "name"):
        if not ref.get(key):
            causes.append(fe.required(f"spec.scaleTargetRef.{key}"))
    low, high = spec.get("minReplicas"), spec.get("maxReplicas")
    if isinstance(low, int) and low < 1:
        causes.append(fe.invalid("spec.minReplicas", low, "must be greater than or equal to 1"))
    if not isinstance(high, int) or high < 1:
        causes.append(fe.invalid("spec.maxReplicas", high or 0, "must be greater than 0"))
    elif isinstance(low, int) and high < low:
        causes.append(
            fe.invalid("spec.maxReplicas", high, "must be greater than or equal to `minReplicas`")
        )
    return causes


def validate_pdb(obj: Mapping[str, Any]) -> list[Cause]:
    """``ValidatePodDisruptionBudgetSpec``: minAvailable xor maxUnavailable, selector syntax."""
    spec = _spec(obj)
    causes = validate_selector(spec.get("selector"), "spec.selector")
    if spec.get("minAvailable") is not None and spec.get("maxUnavailable") is not None:
        detail = "minAvailable and maxUnavailable cannot be both set"
        causes.append(
            fe.invalid("spec", fe.GoLiteral("policy.PodDisruptionBudgetSpec{...}"), detail)
        )
    return causes


def validate_role(obj: Mapping[str, Any]) -> list[Cause]:
    """``ValidatePolicyRule`` for each rule of a Role or ClusterRole."""
    causes: list[Cause] = []
    for i, rule in enumerate(_dicts(obj.get("rules"))):
        if not rule.get("verbs"):
            causes.append(fe.required(f"rules[{i}].verbs", "verbs must contain at least one value"))
        if rule.get("nonResourceURLs"):
            if obj.get("kind") == "Role":
                detail = "namespaced rules cannot apply to non-resource URLs"
                causes.append(
                    fe.invalid(
                        f"rules[{i}].nonResourceURLs",
                        fe.go_string_slice(rule["nonResourceURLs"]),
                        detail,
                    )
                )
            continue
        if not rule.get("apiGroups"):
            detail = "resource rules must supply at least one api group"
            causes.append(fe.required(f"rules[{i}].apiGroups", detail))
        if not rule.get("resources"):
            detail = "resource rules must supply at least one resource"
            causes.append(fe.required(f"rules[{i}].resources", detail))
    return causes


def validate_binding(obj: Mapping[str, Any]) -> list[Cause]:
    """``ValidateRoleBinding`` / ``ValidateClusterRoleBinding``: roleRef and subjects."""
    causes: list[Cause] = []
    cluster = obj.get("kind") == "ClusterRoleBinding"
    ref = mapping(obj.get("roleRef"))
    if ref.get("apiGroup") != RBAC_GROUP:
        causes.append(
            fe.not_supported("roleRef.apiGroup", ref.get("apiGroup") or "", (RBAC_GROUP,))
        )
    kinds = ("ClusterRole",) if cluster else ("Role", "ClusterRole")
    if ref.get("kind") not in kinds:
        causes.append(fe.not_supported("roleRef.kind", ref.get("kind") or "", kinds))
    if not ref.get("name"):
        causes.append(fe.required("roleRef.name"))
    else:
        causes += [
            fe.invalid("roleRef.name", ref["name"], m)
            for m in names.is_path_segment_name(str(ref["name"]))
        ]
    for i, subject in enumerate(_dicts(obj.get("subjects"))):
        causes += _subject(subject, f"subjects[{i}]", cluster=cluster)
    return causes


def _subject(subject: Mapping[str, Any], p: str, *, cluster: bool) -> list[Cause]:
    causes: list[Cause] = []
    if not subject.get("name"):
        causes.append(fe.required(f"{p}.name"))
    kind = subject.get("kind")
    if kind == "ServiceAccount":
        if subject.get("apiGroup"):
            causes.append(fe.not_supported(f"{p}.apiGroup", subject["apiGroup"], ("",)))
        if cluster and not subject.get("namespace"):
            causes.append(fe.required(f"{p}.namespace"))
    elif kind in ("User", "Group"):
        if subject.get("apiGroup") != RBAC_GROUP:
            causes.append(
                fe.not_supported(f"{p}.apiGroup", subject.get("apiGroup") or "", (RBAC_GROUP,))
            )
    else:
        causes.append(
            fe.not_supported(f"{p}.kind", kind or "", ("ServiceAccount", "User", "Group"))
        )
    return causes
