"""Arbitrary, malformed JSON never crashes the write path: the server must answer 4xx, not 500."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaiun.localcluster import crdschema, defaults, validation

_KEYS = st.sampled_from(
    [
        "spec",
        "metadata",
        "template",
        "containers",
        "initContainers",
        "ports",
        "selector",
        "matchLabels",
        "matchExpressions",
        "values",
        "operator",
        "key",
        "labels",
        "annotations",
        "name",
        "namespace",
        "generateName",
        "image",
        "type",
        "data",
        "binaryData",
        "stringData",
        "rules",
        "subjects",
        "roleRef",
        "status",
        "resources",
        "limits",
        "requests",
        "volumes",
        "volumeMounts",
        "mountPath",
        "env",
        "valueFrom",
        "fieldRef",
        "resourceFieldRef",
        "jobTemplate",
        "schedule",
        "strategy",
        "updateStrategy",
        "rollingUpdate",
        "clusterIP",
        "clusterIPs",
        "http",
        "paths",
        "backend",
        "service",
        "port",
        "targetPort",
        "nodePort",
        "protocol",
        "containerPort",
        "hostPort",
        "hostNetwork",
        "metrics",
        "behavior",
        "scaleUp",
        "volumeClaimTemplates",
        "livenessProbe",
        "httpGet",
        "grpc",
        "lifecycle",
        "preStop",
        "secret",
        "configMap",
        "projected",
        "sources",
        "downwardAPI",
        "items",
        "emptyDir",
        "hostPath",
        "sizeLimit",
        "sessionAffinity",
        "sessionAffinityConfig",
        "clientIP",
        "loadBalancer",
        "ingress",
        "ip",
        "ownerReferences",
        "finalizers",
        "names",
        "versions",
        "schema",
        "openAPIV3Schema",
        "conversion",
        "webhook",
        "clientConfig",
        "hard",
        "overhead",
        "target",
        "averageValue",
        "subsets",
        "egress",
        "policyTypes",
        "scaleTargetRef",
        "minReplicas",
        "maxReplicas",
        "defaultBackend",
        "pathType",
        "path",
        "imagePullSecrets",
        "completionMode",
        "completions",
        "parallelism",
        "manualSelector",
        "podFailurePolicy",
        "onPodConditions",
        "concurrencyPolicy",
        "timeZone",
        "accessModes",
        "capacity",
        "provisioner",
        "uid",
        "kind",
        "apiVersion",
        "controller",
    ]
)
_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(-3, 70000)
    | st.text(max_size=4)
    | st.sampled_from(["None", "Always", "TCP", "RollingUpdate", "LoadBalancer", "1Gi", "0.5"])
)
_JSON = st.recursive(
    _LEAVES,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=5),
    max_leaves=40,
)
_KINDS = [
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("apps/v1", "DaemonSet"),
    ("apps/v1", "ReplicaSet"),
    ("batch/v1", "Job"),
    ("batch/v1", "CronJob"),
    ("v1", "Pod"),
    ("v1", "Service"),
    ("v1", "Secret"),
    ("v1", "ConfigMap"),
    ("v1", "Namespace"),
    ("v1", "PersistentVolumeClaim"),
    ("v1", "PersistentVolume"),
    ("v1", "ReplicationController"),
    ("discovery.k8s.io/v1", "EndpointSlice"),
    ("networking.k8s.io/v1", "Ingress"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("policy/v1", "PodDisruptionBudget"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("storage.k8s.io/v1", "StorageClass"),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
    ("v1", "LimitRange"),
]


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    kind=st.sampled_from(_KINDS),
    body=st.dictionaries(_KEYS, _JSON, max_size=6),
    stored=st.dictionaries(_KEYS, _JSON, max_size=6),
)
def test_write_path_never_crashes(
    kind: tuple[str, str], body: dict[str, Any], stored: dict[str, Any]
) -> None:
    new = {**body, "apiVersion": kind[0], "kind": kind[1]}
    old = {**stored, "apiVersion": kind[0], "kind": kind[1]}
    defaults.carry_over_service_allocation(old, new)
    defaults.apply_defaults(new)
    defaults.apply_defaults(old)
    defaults.initial_status(new)
    defaults.service_allocation_request(new)
    causes = validation.validate_object(new, namespaced=True)
    causes += validation.validate_object(new, namespaced=False, old=old)
    assert all(isinstance(c["message"], str) and c["reason"] for c in causes)
    assert validation.secret_decode_error(new) is None or kind == ("v1", "Secret")
    schema = {"type": "object", "properties": {"spec": {"type": "object", "properties": {}}}}
    crdschema.prune(new, schema)
    crdschema.apply_defaults(new, schema)
    assert isinstance(crdschema.validate(new, schema), list)
