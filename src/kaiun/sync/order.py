"""The order tasks run in: phase, wave, Argo CD's kind order, then name.

The kind order is Helm's install order, as Argo CD uses it: namespaces, policies and
configuration first, workloads later, and kinds it does not know (custom resources) last.
"""

from __future__ import annotations

KIND_ORDER = (
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
)
# Known kinds rank negative, so every unknown kind (rank 0) sorts after all of them.
_RANK = {kind: i - len(KIND_ORDER) for i, kind in enumerate(KIND_ORDER)}


def kind_rank(kind: str) -> int:
    """Position of ``kind`` in the kind order; 0 (last) for kinds not in the list."""
    return _RANK.get(kind, 0)
