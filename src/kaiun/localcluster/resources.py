"""Resource types the local cluster serves: the built-in table and types from CRDs.

A ``ResourceType`` is what discovery advertises and what the routes resolve a URL to;
``Registry`` holds the built-ins plus whatever CustomResourceDefinitions register at run time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True, slots=True)
class ResourceType:
    """One served (group, version, resource) and how it behaves."""

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    status: bool = False
    scale: bool = False
    categories: tuple[str, ...] = ()
    singular: str = ""
    # For custom resources: the version's openAPIV3Schema, used to validate, prune, default.
    schema: Any = field(default=None, compare=False, hash=False)
    crd_name: str = ""
    printer_columns: tuple[dict[str, Any], ...] = field(default=(), compare=False, hash=False)
    # Derived once: every request and every stored event use them.
    api_version: str = field(init=False, compare=False)
    storage_key: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        # ``apiVersion`` as written in objects (``v1`` or ``apps/v1``), and the
        # version-independent key objects are stored under (``apps/deployments``).
        api_version = f"{self.group}/{self.version}" if self.group else self.version
        object.__setattr__(self, "api_version", api_version)
        object.__setattr__(self, "storage_key", f"{self.group}/{self.plural}")

    @property
    def qualified(self) -> str:
        """``deployments.apps`` — how Kubernetes names a resource in messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def singular_name(self) -> str:
        return self.singular or self.kind.lower()


def _rt(gv: str, kind: str, plural: str, namespaced: bool = True, **kw: Any) -> ResourceType:
    group, _, version = gv.rpartition("/")
    return ResourceType(
        group=group, version=version, kind=kind, plural=plural, namespaced=namespaced, **kw
    )


WORKLOAD = ("all",)

BUILTINS: tuple[ResourceType, ...] = (
    _rt(
        "v1",
        "Namespace",
        "namespaces",
        False,
        short_names=("ns",),
        status=True,
        verbs=("create", "delete", "get", "list", "patch", "update", "watch"),
    ),
    _rt("v1", "ConfigMap", "configmaps", short_names=("cm",)),
    _rt("v1", "Secret", "secrets"),
    _rt(
        "v1",
        "Service",
        "services",
        short_names=("svc",),
        status=True,
        categories=WORKLOAD,
        verbs=("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"),
    ),
    _rt("v1", "Endpoints", "endpoints", short_names=("ep",)),
    _rt("v1", "ServiceAccount", "serviceaccounts", short_names=("sa",)),
    _rt("v1", "Pod", "pods", short_names=("po",), status=True, categories=WORKLOAD),
    _rt("v1", "PersistentVolumeClaim", "persistentvolumeclaims", short_names=("pvc",), status=True),
    _rt("v1", "PersistentVolume", "persistentvolumes", False, short_names=("pv",), status=True),
    _rt("v1", "Event", "events", short_names=("ev",)),
    _rt("v1", "Node", "nodes", False, short_names=("no",), status=True),
    _rt("v1", "LimitRange", "limitranges", short_names=("limits",)),
    _rt("v1", "ResourceQuota", "resourcequotas", short_names=("quota",), status=True),
    _rt(
        "apps/v1",
        "Deployment",
        "deployments",
        short_names=("deploy",),
        status=True,
        scale=True,
        categories=WORKLOAD,
    ),
    _rt(
        "apps/v1",
        "ReplicaSet",
        "replicasets",
        short_names=("rs",),
        status=True,
        scale=True,
        categories=WORKLOAD,
    ),
    _rt(
        "apps/v1",
        "StatefulSet",
        "statefulsets",
        short_names=("sts",),
        status=True,
        scale=True,
        categories=WORKLOAD,
    ),
    _rt(
        "apps/v1", "DaemonSet", "daemonsets", short_names=("ds",), status=True, categories=WORKLOAD
    ),
    _rt("apps/v1", "ControllerRevision", "controllerrevisions"),
    _rt("batch/v1", "Job", "jobs", status=True, categories=WORKLOAD),
    _rt("batch/v1", "CronJob", "cronjobs", short_names=("cj",), status=True, categories=WORKLOAD),
    _rt("networking.k8s.io/v1", "Ingress", "ingresses", short_names=("ing",), status=True),
    _rt("networking.k8s.io/v1", "IngressClass", "ingressclasses", False),
    _rt("networking.k8s.io/v1", "NetworkPolicy", "networkpolicies", short_names=("netpol",)),
    _rt("discovery.k8s.io/v1", "EndpointSlice", "endpointslices"),
    _rt("storage.k8s.io/v1", "StorageClass", "storageclasses", False, short_names=("sc",)),
    _rt("rbac.authorization.k8s.io/v1", "Role", "roles"),
    _rt("rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings"),
    _rt("rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles", False),
    _rt("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "clusterrolebindings", False),
    _rt(
        "autoscaling/v2",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        short_names=("hpa",),
        status=True,
        categories=WORKLOAD,
    ),
    _rt(
        "policy/v1",
        "PodDisruptionBudget",
        "poddisruptionbudgets",
        short_names=("pdb",),
        status=True,
    ),
    _rt("coordination.k8s.io/v1", "Lease", "leases"),
    _rt("scheduling.k8s.io/v1", "PriorityClass", "priorityclasses", False, short_names=("pc",)),
    _rt(
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        False,
        short_names=("crd", "crds"),
        status=True,
    ),
    _rt("apiregistration.k8s.io/v1", "APIService", "apiservices", False, status=True),
    _rt(
        "authorization.k8s.io/v1",
        "SelfSubjectAccessReview",
        "selfsubjectaccessreviews",
        False,
        verbs=("create",),
    ),
    _rt(
        "authorization.k8s.io/v1",
        "SelfSubjectRulesReview",
        "selfsubjectrulesreviews",
        False,
        verbs=("create",),
    ),
    _rt(
        "authorization.k8s.io/v1",
        "SubjectAccessReview",
        "subjectaccessreviews",
        False,
        verbs=("create",),
    ),
    _rt(
        "authentication.k8s.io/v1",
        "SelfSubjectReview",
        "selfsubjectreviews",
        False,
        verbs=("create",),
    ),
    _rt("authentication.k8s.io/v1", "TokenReview", "tokenreviews", False, verbs=("create",)),
    _rt(
        "admissionregistration.k8s.io/v1",
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations",
        False,
    ),
    _rt(
        "admissionregistration.k8s.io/v1",
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
        False,
    ),
)


class Registry:
    """Every resource type currently served, indexed the ways the API needs."""

    def __init__(self, types: Iterable[ResourceType] = BUILTINS) -> None:
        self._by_gvr: dict[tuple[str, str, str], ResourceType] = {}
        self._crd_types: dict[str, list[ResourceType]] = {}
        for rt in types:
            self._by_gvr[(rt.group, rt.version, rt.plural)] = rt
        self.generation = 0

    def get(self, group: str, version: str, plural: str) -> ResourceType | None:
        """The type served at ``/apis/{group}/{version}/{plural}``, if any."""
        return self._by_gvr.get((group, version, plural))

    def by_kind(self, api_version: str, kind: str) -> ResourceType | None:
        """The type for an object's ``apiVersion`` and ``kind``."""
        group, _, version = api_version.rpartition("/")
        for rt in self._by_gvr.values():
            if rt.group == group and rt.version == version and rt.kind == kind:
                return rt
        return None

    def __iter__(self) -> Iterator[ResourceType]:
        return iter(self._by_gvr.values())

    def groups(self) -> dict[str, list[str]]:
        """Group name -> served versions, preferred first, in a stable order."""
        out: dict[str, list[str]] = {}
        for rt in self._by_gvr.values():
            versions = out.setdefault(rt.group, [])
            if rt.version not in versions:
                versions.append(rt.version)
        return out

    def in_group_version(self, group: str, version: str) -> list[ResourceType]:
        return [rt for rt in self._by_gvr.values() if rt.group == group and rt.version == version]

    def register_crd(self, crd: dict[str, Any]) -> None:
        """Serve (or re-serve) the versions an established CRD declares."""
        name = crd["metadata"]["name"]
        self.unregister_crd(name)
        spec = crd.get("spec", {})
        names = spec.get("names", {})
        group = spec.get("group", "")
        plural = names.get("plural", "")
        types: list[ResourceType] = []
        versions = sorted(spec.get("versions", []), key=lambda v: not v.get("storage", False))
        for v in versions:
            if not v.get("served", True):
                continue
            sub = v.get("subresources") or {}
            schema = (v.get("schema") or {}).get("openAPIV3Schema")
            rt = ResourceType(
                group=group,
                version=v["name"],
                kind=names.get("kind", ""),
                plural=plural,
                namespaced=spec.get("scope", "Namespaced") == "Namespaced",
                short_names=tuple(names.get("shortNames") or ()),
                status="status" in sub,
                scale="scale" in sub,
                categories=tuple(names.get("categories") or ()),
                singular=names.get("singular") or "",
                schema=schema,
                crd_name=name,
                printer_columns=tuple(v.get("additionalPrinterColumns") or ()),
            )
            self._by_gvr[(group, rt.version, plural)] = rt
            types.append(rt)
        self._crd_types[name] = types
        self.generation += 1

    def unregister_crd(self, name: str) -> list[ResourceType]:
        """Stop serving a CRD's types; returns what was removed."""
        removed = self._crd_types.pop(name, [])
        for rt in removed:
            self._by_gvr.pop((rt.group, rt.version, rt.plural), None)
        if removed:
            self.generation += 1
        return removed
