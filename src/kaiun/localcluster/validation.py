"""Validation of built-in objects on create and update, as a Kubernetes 1.32 API server does.

``validate(obj, namespaced=...)`` returns ``Cause`` dicts (``reason``, ``message``,
``field``) for a 422 Invalid answer; ``validate_update(old, new, ...)`` adds the
immutability rules; ``status_for(obj, causes)`` builds the Status object. Call after
``defaults.apply_defaults``: like the real server, validation sees defaulted objects.
Custom resources get metadata validation here and schema validation in ``crdschema``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from kaiun.localcluster import core_validation as core
from kaiun.localcluster import crdvalidation, names
from kaiun.localcluster import fielderrors as fe
from kaiun.localcluster import workload_validation as workloads
from kaiun.localcluster.fielderrors import Cause
from kaiun.localcluster.gobase64 import corrupt_offset
from kaiun.localcluster.podspec_validation import (
    validate_annotations,
    validate_labels,
    validate_pod_spec,
)

NameRule = Callable[[str], list[str]]
Validator = Callable[[Mapping[str, Any]], list[Cause]]
RBAC = "rbac.authorization.k8s.io"

_NAME_RULES: dict[tuple[str, str], NameRule] = {
    ("", "Namespace"): names.is_dns1123_label,
    ("", "Service"): names.is_dns1035_label,
    (RBAC, "Role"): names.is_path_segment_name,
    (RBAC, "ClusterRole"): names.is_path_segment_name,
    (RBAC, "RoleBinding"): names.is_path_segment_name,
    (RBAC, "ClusterRoleBinding"): names.is_path_segment_name,
}

_VALIDATORS: dict[tuple[str, str], Validator] = {
    ("apps", "Deployment"): workloads.validate_deployment,
    ("apps", "ReplicaSet"): workloads.validate_replicaset,
    ("apps", "StatefulSet"): workloads.validate_statefulset,
    ("apps", "DaemonSet"): workloads.validate_daemonset,
    ("batch", "Job"): workloads.validate_job,
    ("", "Pod"): lambda obj: validate_pod_spec(obj.get("spec"), "spec"),
    ("", "Service"): core.validate_service,
    ("", "ConfigMap"): core.validate_configmap,
    ("", "Secret"): core.validate_secret,
    ("", "Namespace"): core.validate_namespace,
    ("", "PersistentVolumeClaim"): core.validate_pvc,
    ("", "PersistentVolume"): core.validate_pv,
    ("storage.k8s.io", "StorageClass"): core.validate_storage_class,
    ("apiextensions.k8s.io", "CustomResourceDefinition"): crdvalidation.validate_crd,
    ("networking.k8s.io", "Ingress"): core.validate_ingress,
    ("networking.k8s.io", "NetworkPolicy"): core.validate_network_policy,
    ("autoscaling", "HorizontalPodAutoscaler"): core.validate_hpa,
    ("policy", "PodDisruptionBudget"): core.validate_pdb,
    (RBAC, "Role"): core.validate_role,
    (RBAC, "ClusterRole"): core.validate_role,
    (RBAC, "RoleBinding"): core.validate_binding,
    (RBAC, "ClusterRoleBinding"): core.validate_binding,
}


def group_kind(obj: Mapping[str, Any]) -> tuple[str, str]:
    """``(group, kind)`` of an object from its ``apiVersion`` and ``kind``."""
    return str(obj.get("apiVersion") or "").rpartition("/")[0], str(obj.get("kind") or "")


def name_rule(group: str, kind: str) -> NameRule:
    """The name syntax a kind uses (DNS-1123 subdomain unless Kubernetes says otherwise)."""
    return _NAME_RULES.get((group, kind), names.is_dns1123_subdomain)


def _mask_trailing_dash(name: str) -> str:
    # generateName prefixes may end in '-': check them as if a suffix followed.
    return name[:-1] + "a" if len(name) > 1 and name.endswith("-") else name


def _finalizers(finalizers: Any) -> list[Cause]:
    causes: list[Cause] = []
    values = [str(f) for f in finalizers] if isinstance(finalizers, list) else []
    for i, value in enumerate(values):
        path = f"metadata.finalizers[{i}]"
        causes += [fe.invalid(path, value, m) for m in names.is_qualified_name(value)]
    if "orphan" in values and "foregroundDeletion" in values:
        detail = "finalizer orphan and foregroundDeletion cannot be both set"
        causes.append(fe.invalid("metadata.finalizers", fe.go_string_slice(values), detail))
    return causes


def _owner_references(refs: Any) -> list[Cause]:
    causes: list[Cause] = []
    path = "metadata.ownerReferences"
    controller = ""
    for ref in refs if isinstance(refs, list) else []:
        if not isinstance(ref, Mapping):
            continue
        api_version = str(ref.get("apiVersion") or "")
        if not api_version.rpartition("/")[2]:
            causes.append(
                fe.invalid(f"{path}.apiVersion", api_version, "version must not be empty")
            )
        for key in ("kind", "name", "uid"):
            if not ref.get(key):
                causes.append(
                    fe.invalid(f"{path}.{key}", str(ref.get(key) or ""), "must not be empty")
                )
        if ref.get("controller") is True:
            current = f"{ref.get('kind')}/{ref.get('name')}"
            if controller:
                detail = (
                    'Only one reference can have Controller set to true. Found "true" in '
                    f"references for {controller} and {current}"
                )
                causes.append(fe.invalid(path, fe.GoLiteral("[]v1.OwnerReference{...}"), detail))
            else:
                controller = current
    return causes


def validate_metadata(
    metadata: Any, *, namespaced: bool, rule: NameRule = names.is_dns1123_subdomain
) -> list[Cause]:
    """``ValidateObjectMeta``: name/generateName, namespace, labels, annotations, finalizers."""
    meta = metadata if isinstance(metadata, Mapping) else {}
    causes: list[Cause] = []
    generate = str(meta.get("generateName") or "")
    if generate:
        msgs = rule(_mask_trailing_dash(generate))
        causes += [fe.invalid("metadata.generateName", generate, m) for m in msgs]
    name = str(meta.get("name") or "")
    if not name:
        causes.append(fe.required("metadata.name", "name or generateName is required"))
    else:
        causes += [fe.invalid("metadata.name", name, m) for m in rule(name)]
    namespace = str(meta.get("namespace") or "")
    if namespaced and not namespace:
        causes.append(fe.required("metadata.namespace"))
    elif namespaced:
        causes += [
            fe.invalid("metadata.namespace", namespace, m)
            for m in names.is_dns1123_label(namespace)
        ]
    elif namespace:
        causes.append(fe.forbidden("metadata.namespace", "not allowed on this type"))
    generation = meta.get("generation")
    if isinstance(generation, int) and generation < 0:
        causes.append(
            fe.invalid("metadata.generation", generation, "must be greater than or equal to 0")
        )
    causes += validate_labels(meta.get("labels"), "metadata.labels")
    causes += validate_annotations(meta.get("annotations"), "metadata.annotations")
    causes += _owner_references(meta.get("ownerReferences"))
    causes += _finalizers(meta.get("finalizers"))
    return causes


def _validate(
    obj: Mapping[str, Any], *, namespaced: bool, old: Mapping[str, Any] | None
) -> list[Cause]:
    group, kind = group_kind(obj)
    rule = name_rule(group, kind)
    causes = validate_metadata(obj.get("metadata"), namespaced=namespaced, rule=rule)
    if (group, kind) == ("batch", "CronJob"):
        # Create and update differ: the 52-character name limit, TZ in an old schedule.
        return causes + workloads.validate_cronjob(obj, old)
    validator = _VALIDATORS.get((group, kind))
    if validator is not None:
        causes += validator(obj)
    return causes


def validate(obj: Mapping[str, Any], *, namespaced: bool) -> list[Cause]:
    """All causes that make ``obj`` invalid on create (empty list: valid)."""
    return _validate(obj, namespaced=namespaced, old=None)


def status_for(obj: Mapping[str, Any], causes: list[Cause]) -> dict[str, Any]:
    """The 422 Invalid ``Status`` for ``obj`` with these causes."""
    group, kind = group_kind(obj)
    name = str((obj.get("metadata") or {}).get("name") or "")
    return fe.invalid_status(kind=kind, group=group, name=name, causes=causes)


def secret_decode_error(obj: Mapping[str, Any]) -> str | None:
    """The 400 BadRequest message a real server gives for non-base64 Secret ``data``.

    ``None`` when every value decodes (or ``obj`` is not a v1 Secret).
    """
    if obj.get("apiVersion") != "v1" or obj.get("kind") != "Secret":
        return None
    data = obj.get("data")
    if not isinstance(data, Mapping):
        return None
    for value in data.values():
        if not isinstance(value, str):
            detail = "json: cannot unmarshal non-string into Go value of type []uint8"
            return f'Secret in version "v1" cannot be handled as a Secret: {detail}'
        offset = corrupt_offset(value)
        if offset is not None:
            detail = f"illegal base64 data at input byte {offset}"
            return f'Secret in version "v1" cannot be handled as a Secret: {detail}'
    return None


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

    if frozen(_spec(old)) == frozen(_spec(new)):
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
            if (old.get(bag) or {}) != (new.get(bag) or {}):
                causes.append(fe.forbidden(bag, detail))
    if old.get("kind") == "Secret":
        causes += _immutable("type", old.get("type"), new.get("type"), new.get("type") or "")
    return causes


def _role_ref_update(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Cause]:
    before, after = old.get("roleRef") or {}, new.get("roleRef") or {}
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


def _metadata_update(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Cause]:
    before, after = old.get("metadata") or {}, new.get("metadata") or {}
    causes: list[Cause] = []
    for key in ("name", "namespace", "uid", "creationTimestamp"):
        if before.get(key) and after.get(key) and before[key] != after[key]:
            causes.append(fe.invalid(f"metadata.{key}", after[key], "field is immutable"))
    return causes


def validate_update(
    old: Mapping[str, Any], new: Mapping[str, Any], *, namespaced: bool
) -> list[Cause]:
    """Causes that make replacing ``old`` by ``new`` invalid: ``validate(new)`` plus
    immutability (selectors, Job template, Service clusterIPs, PVC spec, immutable data...).
    """
    group, kind = group_kind(new)
    causes = _validate(new, namespaced=namespaced, old=old)
    causes = _metadata_update(old, new) + causes
    checker = _UPDATE_VALIDATORS.get((group, kind))
    if checker is not None:
        causes += checker(old, new)
    return causes
