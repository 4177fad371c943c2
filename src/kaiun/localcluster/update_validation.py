"""Update-only validation: the fields Kubernetes 1.32 refuses to change once an object exists.

Complements ``validation.validate`` (which checks the new object on its own); every rule here
compares the stored object with its replacement.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from kaiun.localcluster import crdvalidation
from kaiun.localcluster import fielderrors as fe
from kaiun.localcluster.fielderrors import Cause
from kaiun.localcluster.jsonshape import mapping

RBAC = "rbac.authorization.k8s.io"


def _immutable(path: str, old: Any, new: Any, shown: Any) -> list[Cause]:
    return [] if old == new else [fe.invalid(path, shown, "field is immutable")]


def _spec(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = obj.get("spec")
    return spec if isinstance(spec, Mapping) else {}


def _selector_immutable(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Cause]:
    before, after = _spec(old).get("selector"), _spec(new).get("selector")
    return _immutable("spec.selector", before, after, fe.go_label_selector(after))


def _statefulset_update(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Cause]:
    mutable = {"replicas", "ordinals", "template", "updateStrategy", "minReadySeconds"}
    mutable.add("persistentVolumeClaimRetentionPolicy")
    before = {k: v for k, v in _spec(old).items() if k not in mutable}
    after = {k: v for k, v in _spec(new).items() if k not in mutable}
    if before == after:
        return []
    detail = (
        "updates to statefulset spec for fields other than 'replicas', 'ordinals', "
        "'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and "
        "'minReadySeconds' are forbidden"
    )
    return [fe.forbidden("spec", detail)]


def _job_update(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Cause]:
    causes = _selector_immutable(old, new)
    before, after = _spec(old), _spec(new)
    shown = fe.GoLiteral("core.PodTemplateSpec{...}")
    causes += _immutable("spec.template", before.get("template"), after.get("template"), shown)
    mode = after.get("completionMode")
    causes += _immutable("spec.completionMode", before.get("completionMode"), mode, mode)
    if mode != "Indexed":
        completions = after.get("completions")
        causes += _immutable(
            "spec.completions", before.get("completions"), completions, completions
        )
    return causes


def _service_update(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Cause]:
    before, after = _spec(old), _spec(new)
    if "ExternalName" in (before.get("type"), after.get("type")):
        return []
    old_ips, new_ips = list(before.get("clusterIPs") or []), list(after.get("clusterIPs") or [])
    if old_ips[:1] == ["None"] and new_ips[:1] == ["None"]:
        return []
    shown = fe.go_string_slice(new_ips)
    if old_ips and not new_ips:
        return [fe.invalid("spec.clusterIPs[0]", shown, "primary clusterIP can not be unset")]
    causes: list[Cause] = []
    for i, ip in enumerate(old_ips[: len(new_ips)]):
        if ip != new_ips[i]:
            causes.append(fe.invalid(f"spec.clusterIPs[{i}]", shown, "may not change once set"))
    return causes


def _pvc_update(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Cause]:
    def frozen(spec: Mapping[str, Any]) -> dict[str, Any]:
        copied = copy.deepcopy(dict(spec))
        resources = copied.get("resources")
        if isinstance(resources, dict):
            resources.pop("requests", None)
        copied.pop("volumeAttributesClassName", None)
        return copied

    old_spec, new_spec = frozen(_spec(old)), frozen(_spec(new))
    # Binding sets volumeName once, and a claim without a class may be given one later
    # (retroactive default StorageClass): both are allowed only while still unset.
    for settable in ("volumeName", "storageClassName"):
        if not old_spec.get(settable):
            new_spec.pop(settable, None)
            old_spec.pop(settable, None)
    if old_spec == new_spec:
        return []
    detail = "spec is immutable after creation except resources.requests for bound claims"
    return [fe.forbidden("spec", detail)]


def _immutable_data(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Cause]:
    causes: list[Cause] = []
    if old.get("immutable") is True:
        detail = "field is immutable when `immutable` is set"
        if new.get("immutable") is not True:
            causes.append(fe.forbidden("immutable", detail))
        for bag in ("data", "binaryData"):
            if mapping(old.get(bag)) != mapping(new.get(bag)):
                causes.append(fe.forbidden(bag, detail))
    if old.get("kind") == "Secret":
        causes += _immutable("type", old.get("type"), new.get("type"), new.get("type") or "")
    return causes


def _role_ref_update(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Cause]:
    before, after = mapping(old.get("roleRef")), mapping(new.get("roleRef"))
    if before == after:
        return []
    shown = fe.GoLiteral(
        f"rbac.RoleRef{{APIGroup:{fe.go_quote(str(after.get('apiGroup') or ''))}, "
        f"Kind:{fe.go_quote(str(after.get('kind') or ''))}, "
        f"Name:{fe.go_quote(str(after.get('name') or ''))}}}"
    )
    return [fe.invalid("roleRef", shown, "cannot change roleRef")]


_UPDATE_VALIDATORS: dict[
    tuple[str, str], Callable[[Mapping[str, Any], Mapping[str, Any]], list[Cause]]
] = {
    ("apps", "Deployment"): _selector_immutable,
    ("apps", "ReplicaSet"): _selector_immutable,
    ("apps", "DaemonSet"): _selector_immutable,
    ("apps", "StatefulSet"): _statefulset_update,
    ("batch", "Job"): _job_update,
    ("", "Service"): _service_update,
    ("", "PersistentVolumeClaim"): _pvc_update,
    ("", "ConfigMap"): _immutable_data,
    ("", "Secret"): _immutable_data,
    (RBAC, "RoleBinding"): _role_ref_update,
    (RBAC, "ClusterRoleBinding"): _role_ref_update,
    ("apiextensions.k8s.io", "CustomResourceDefinition"): crdvalidation.validate_crd_immutables,
}


def metadata_update(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Cause]:
    """``ValidateObjectMetaUpdate``: name, namespace, uid and creationTimestamp are fixed."""
    before, after = mapping(old.get("metadata")), mapping(new.get("metadata"))
    causes: list[Cause] = []
    for key in ("name", "namespace", "uid", "creationTimestamp"):
        if before.get(key) and after.get(key) and before[key] != after[key]:
            causes.append(fe.invalid(f"metadata.{key}", after[key], "field is immutable"))
    return causes


def kind_update(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Cause]:
    """The kind's fixed fields (selectors, Job template, Service cluster IPs, PVC spec...)."""
    api_version = str(new.get("apiVersion") or "")
    key = (api_version.rpartition("/")[0], str(new.get("kind") or ""))
    checker = _UPDATE_VALIDATORS.get(key)
    return checker(old, new) if checker is not None else []


def validate_update(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Cause]:
    """Causes for replacing ``old`` by ``new``: immutable metadata and the kind's fixed fields."""
    return metadata_update(old, new) + kind_update(old, new)
