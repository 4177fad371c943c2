"""Structure knowledge of Kubernetes kinds: how lists and maps merge.

Strategic merge patch (``patchStrategy``/``patchMergeKey``, ``retainKeys``) and
server-side apply (``x-kubernetes-list-type``, ``x-kubernetes-list-map-keys``,
``x-kubernetes-map-type``) both need to know, for a field path from the object
root (list indices omitted), whether a list is atomic, a set, or a map keyed by
some fields. Built-in kinds are described by the tables below, transcribed from
the tags in Kubernetes' ``k8s.io/api`` types; custom resources derive the same
from their CRD's ``openAPIV3Schema``. Unknown lists are atomic, unknown maps
granular. Pure: no IO.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

__all__ = [
    "DEDUCED",
    "DEFAULT_SPEC",
    "FieldSpec",
    "KindSchema",
    "SchemaNode",
    "builtin_schema",
    "crd_schema",
    "schema_for",
]

ListType = Literal["atomic", "set", "map"]
FieldPath = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """How one field merges.

    ``patch_strategy`` holds the strategic-merge-patch strategies (``merge``,
    ``retainKeys``); an empty set means lists are replaced. ``list_type`` and
    ``list_map_keys`` are the server-side-apply view; ``atomic`` marks maps and
    structs that are owned and replaced as a whole. ``implicit`` marks structs
    that always exist in Kubernetes' zero value of the type (so an update never
    "adds" them). ``key_defaults`` fills list-map keys the server defaults.
    """

    patch_strategy: frozenset[str] = frozenset()
    patch_merge_key: str = ""
    list_type: ListType = "atomic"
    list_map_keys: tuple[str, ...] = ()
    key_defaults: tuple[tuple[str, Any], ...] = ()
    atomic: bool = False
    implicit: bool = False

    @property
    def smp_merge(self) -> bool:
        """True when strategic merge patch merges this list instead of replacing it."""
        return "merge" in self.patch_strategy

    @property
    def retain_keys(self) -> bool:
        """True when ``$retainKeys`` applies to this struct (or to this list's items)."""
        return "retainKeys" in self.patch_strategy


DEFAULT_SPEC = FieldSpec()


@dataclass(slots=True)
class SchemaNode:
    """One field of a kind's structure tree.

    ``children`` are the declared fields (struct fields, or fields known to the tables);
    ``wildcard`` stands for any other key, which then is a map key rather than a field.
    """

    spec: FieldSpec = DEFAULT_SPEC
    children: dict[str, SchemaNode] = field(default_factory=dict)
    wildcard: SchemaNode | None = None

    def child(self, name: str) -> SchemaNode | None:
        """The node of field ``name`` below this one, if anything is known about it."""
        found = self.children.get(name)
        return found if found is not None else self.wildcard


# Values of unknown shape, as in x-kubernetes-preserve-unknown-fields: every key is a map
# key (not a struct field), lists are atomic, maps granular, all the way down.
DEDUCED = SchemaNode()
DEDUCED.wildcard = DEDUCED


class KindSchema:
    """The structure of one kind: answers what a field path is."""

    __slots__ = ("root",)

    def __init__(self, root: SchemaNode) -> None:
        self.root = root

    def node(self, path: FieldPath) -> SchemaNode | None:
        """The node at ``path`` (field names from the root, list indices omitted)."""
        current: SchemaNode | None = self.root
        for name in path:
            if current is None:
                return None
            current = current.child(name)
        return current

    def field(self, path: FieldPath) -> FieldSpec:
        """The merge behaviour of the field at ``path``; unknown fields get the default."""
        found = self.node(path)
        return found.spec if found is not None else DEFAULT_SPEC


def _merge_list(
    key: str, *keys: str, retain: bool = False, defaults: tuple[tuple[str, Any], ...] = ()
) -> FieldSpec:
    strategies = {"merge", "retainKeys"} if retain else {"merge"}
    return FieldSpec(
        patch_strategy=frozenset(strategies),
        patch_merge_key=key,
        list_type="map",
        list_map_keys=(key, *keys),
        key_defaults=defaults,
    )


# Fields known to the tables below, as dotted paths relative to where the type is embedded.
_ATOMIC = FieldSpec(atomic=True)
_IMPLICIT = FieldSpec(implicit=True)
_RETAIN = FieldSpec(patch_strategy=frozenset({"retainKeys"}), implicit=True)
_CONDITIONS = _merge_list("type")
_TCP = (("protocol", "TCP"),)

_OBJECT_META: dict[str, FieldSpec] = {
    "": _IMPLICIT,
    "finalizers": FieldSpec(patch_strategy=frozenset({"merge"}), list_type="set"),
    "ownerReferences": _merge_list("uid"),
}

_CONTAINER: dict[str, FieldSpec] = {
    "ports": FieldSpec(
        patch_strategy=frozenset({"merge"}),
        patch_merge_key="containerPort",
        list_type="map",
        list_map_keys=("containerPort", "protocol"),
        key_defaults=_TCP,
    ),
    "env": _merge_list("name"),
    "volumeMounts": _merge_list("mountPath"),
    "volumeDevices": _merge_list("devicePath"),
    "resources": _IMPLICIT,
    "resources.claims": FieldSpec(list_type="map", list_map_keys=("name",)),
}

_POD_SPEC: dict[str, FieldSpec] = {
    "": _IMPLICIT,
    "volumes": _merge_list("name", retain=True),
    "imagePullSecrets": _merge_list("name"),
    "hostAliases": _merge_list("ip"),
    "topologySpreadConstraints": _merge_list("topologyKey", "whenUnsatisfiable"),
    "schedulingGates": _merge_list("name"),
    "resourceClaims": _merge_list("name", retain=True),
    "nodeSelector": _ATOMIC,
}
for _list in ("containers", "initContainers", "ephemeralContainers"):
    _POD_SPEC[_list] = _merge_list("name")
    for _sub, _spec in _CONTAINER.items():
        _POD_SPEC[f"{_list}.{_sub}"] = _spec
_POD_SPEC["containers"] = FieldSpec(
    patch_strategy=frozenset({"merge"}),
    patch_merge_key="name",
    list_type="map",
    list_map_keys=("name",),
    implicit=True,  # `containers` has no omitempty, so the zero PodSpec carries it.
)

_POD_STATUS: dict[str, FieldSpec] = {
    "": _IMPLICIT,
    "conditions": _CONDITIONS,
    "podIPs": _merge_list("ip"),
    "hostIPs": _merge_list("ip"),
}

_WORKLOAD_STATUS: dict[str, FieldSpec] = {"": _IMPLICIT, "conditions": _CONDITIONS}


def _embed(table: dict[str, FieldSpec], prefix: str, part: Mapping[str, FieldSpec]) -> None:
    for rel, spec in part.items():
        table[f"{prefix}.{rel}" if rel else prefix] = spec


def _template(table: dict[str, FieldSpec], prefix: str) -> None:
    """A PodTemplateSpec at ``prefix``."""
    table[prefix] = _IMPLICIT
    _embed(table, f"{prefix}.metadata", _OBJECT_META)
    _embed(table, f"{prefix}.spec", _POD_SPEC)


def _base() -> dict[str, FieldSpec]:
    table: dict[str, FieldSpec] = {}
    _embed(table, "metadata", _OBJECT_META)
    return table


def _workload(*, strategy: str = "", conditions: FieldSpec = _CONDITIONS) -> dict[str, FieldSpec]:
    table = _base()
    table["spec"] = _IMPLICIT
    table["spec.selector"] = _ATOMIC
    _template(table, "spec.template")
    if strategy == "retain":
        table["spec.strategy"] = _RETAIN
    elif strategy:
        table[f"spec.{strategy}"] = _IMPLICIT
    table["status"] = _IMPLICIT
    table["status.conditions"] = conditions
    return table


def _workload_tables() -> dict[tuple[str, str], dict[str, FieldSpec]]:
    """Kinds that embed a pod spec."""
    pod = _base()
    _embed(pod, "spec", _POD_SPEC)
    _embed(pod, "status", _POD_STATUS)
    pod_template = _base()
    _template(pod_template, "template")
    statefulset = _workload(strategy="updateStrategy")
    statefulset["spec.volumeClaimTemplates"] = DEFAULT_SPEC  # atomic in both views
    # Job conditions merge by type for patches but are atomic for apply.
    job_conditions = FieldSpec(patch_strategy=frozenset({"merge"}), patch_merge_key="type")
    cronjob = _base()
    cronjob["spec"] = _IMPLICIT
    cronjob["spec.jobTemplate"] = _IMPLICIT
    _embed(cronjob, "spec.jobTemplate.metadata", _OBJECT_META)
    cronjob["spec.jobTemplate.spec"] = _IMPLICIT
    cronjob["spec.jobTemplate.spec.selector"] = _ATOMIC
    _template(cronjob, "spec.jobTemplate.spec.template")
    cronjob["status"] = _IMPLICIT
    return {
        ("", "Pod"): pod,
        ("", "PodTemplate"): pod_template,
        ("", "ReplicationController"): _workload(),
        ("apps", "Deployment"): _workload(strategy="retain"),
        ("apps", "ReplicaSet"): _workload(),
        ("apps", "StatefulSet"): statefulset,
        ("apps", "DaemonSet"): _workload(strategy="updateStrategy"),
        ("batch", "Job"): _workload(conditions=job_conditions),
        ("batch", "CronJob"): cronjob,
    }


def _other_tables() -> dict[tuple[str, str], dict[str, FieldSpec]]:
    """Kinds without a pod spec; lists not named here are atomic."""
    service = _base()
    service.update(
        {
            "spec": _IMPLICIT,
            "spec.ports": _merge_list("port", "protocol", defaults=_TCP),
            "spec.selector": _ATOMIC,
            "status": _IMPLICIT,
            "status.conditions": _CONDITIONS,
        }
    )
    with_conditions = _base()
    with_conditions.update({"spec": _IMPLICIT, "status": _IMPLICIT})
    with_conditions["status.conditions"] = _CONDITIONS
    with_selector = dict(with_conditions)
    with_selector["spec.selector"] = _ATOMIC
    netpol = _base()
    netpol.update({"spec": _IMPLICIT, "spec.podSelector": _ATOMIC})
    service_account = _base()
    service_account["secrets"] = _merge_list("name")
    plain = _base()
    spec_status = _base()
    spec_status.update({"spec": _IMPLICIT, "status": _IMPLICIT})
    return {
        ("", "Service"): service,
        ("", "Namespace"): with_conditions,
        ("", "PersistentVolumeClaim"): with_selector,
        ("", "PersistentVolume"): spec_status,
        ("", "ServiceAccount"): service_account,
        ("", "ConfigMap"): plain,
        ("", "Secret"): plain,
        ("", "Endpoints"): plain,
        ("", "Event"): plain,
        ("events.k8s.io", "Event"): plain,
        ("networking.k8s.io", "Ingress"): spec_status,
        ("networking.k8s.io", "IngressClass"): spec_status,
        ("networking.k8s.io", "NetworkPolicy"): netpol,
        ("rbac.authorization.k8s.io", "Role"): plain,
        ("rbac.authorization.k8s.io", "ClusterRole"): plain,
        ("rbac.authorization.k8s.io", "RoleBinding"): plain,
        ("rbac.authorization.k8s.io", "ClusterRoleBinding"): plain,
        ("autoscaling", "HorizontalPodAutoscaler"): with_conditions,
        ("policy", "PodDisruptionBudget"): with_selector,
        ("storage.k8s.io", "StorageClass"): plain,
        ("coordination.k8s.io", "Lease"): spec_status,
        ("apiextensions.k8s.io", "CustomResourceDefinition"): with_conditions,
    }


def _build(table: Mapping[str, FieldSpec]) -> KindSchema:
    root = SchemaNode(spec=_IMPLICIT)
    for dotted, spec in table.items():
        node = root
        for name in dotted.split("."):
            node = node.children.setdefault(name, SchemaNode())
        node.spec = spec
    return KindSchema(root)


_TABLES = {**_workload_tables(), **_other_tables()}


@cache
def builtin_schema(group: str, kind: str) -> KindSchema:
    """The schema of a built-in kind; unknown kinds know only ``metadata``."""
    table = _TABLES.get((group, kind))
    return _build(table if table is not None else _base())


def _node_from_openapi(props: Mapping[str, Any]) -> SchemaNode:
    node = SchemaNode(spec=_spec_from_openapi(props))
    if props.get("type") == "array":
        items = props.get("items")
        if isinstance(items, Mapping):
            item_node = _node_from_openapi(items)
            # List items are addressed by the list's own path (indices omitted).
            node.children = item_node.children
            node.wildcard = item_node.wildcard
        return node
    properties = props.get("properties")
    if isinstance(properties, Mapping):
        for name, sub in properties.items():
            if isinstance(sub, Mapping):
                node.children[str(name)] = _node_from_openapi(sub)
    additional = props.get("additionalProperties")
    if isinstance(additional, Mapping):
        node.wildcard = _node_from_openapi(additional)
    elif (
        additional is True
        or props.get("x-kubernetes-preserve-unknown-fields") is True
        or (props.get("type") == "object" and not isinstance(properties, Mapping))
    ):
        node.wildcard = DEDUCED
    return node


def _spec_from_openapi(props: Mapping[str, Any]) -> FieldSpec:
    if props.get("type") == "array":
        list_type = props.get("x-kubernetes-list-type", "atomic")
        keys = tuple(str(k) for k in props.get("x-kubernetes-list-map-keys") or ())
        items = props.get("items")
        defaults: list[tuple[str, Any]] = []
        if isinstance(items, Mapping) and isinstance(items.get("properties"), Mapping):
            for key in keys:
                sub = items["properties"].get(key)
                if isinstance(sub, Mapping) and "default" in sub:
                    defaults.append((key, sub["default"]))
        if list_type == "map" and keys:
            return FieldSpec(list_type="map", list_map_keys=keys, key_defaults=tuple(defaults))
        if list_type == "set":
            return FieldSpec(list_type="set")
        return DEFAULT_SPEC
    atomic = (
        props.get("x-kubernetes-map-type") == "atomic"
        or props.get("x-kubernetes-struct-type") == "atomic"
    )
    return FieldSpec(atomic=True) if atomic else DEFAULT_SPEC


def crd_schema(openapi_v3_schema: Mapping[str, Any] | None) -> KindSchema:
    """The schema of a custom resource from its CRD version's ``openAPIV3Schema``."""
    root = _node_from_openapi(openapi_v3_schema or {})
    root.spec = _IMPLICIT
    if not openapi_v3_schema:
        root.wildcard = DEDUCED
    meta = builtin_schema("", "").root.children["metadata"]
    root.children["metadata"] = meta
    return KindSchema(root)


def schema_for(group: str, kind: str, crd: Mapping[str, Any] | None = None) -> KindSchema:
    """The schema for a kind: from ``crd`` (an ``openAPIV3Schema``) when given, else built-in."""
    if crd is not None:
        return crd_schema(crd)
    return builtin_schema(group, kind)
