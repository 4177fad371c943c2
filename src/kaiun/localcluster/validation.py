"""Validation of built-in objects on create and update, as a Kubernetes 1.32 API server does.

``validate(obj, namespaced=...)`` returns ``Cause`` dicts (``reason``, ``message``,
``field``) for a 422 Invalid answer; ``validate_update(old, new, ...)`` adds the
immutability rules; ``status_for(obj, causes)`` builds the Status object. Call after
``defaults.apply_defaults``: like the real server, validation sees defaulted objects.
Custom resources get metadata validation here and schema validation in ``crdschema``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kaiun.localcluster import core_validation as core
from kaiun.localcluster import crdvalidation, names, update_validation
from kaiun.localcluster import fielderrors as fe
from kaiun.localcluster import workload_validation as workloads
from kaiun.localcluster.fielderrors import Cause
from kaiun.localcluster.gobase64 import corrupt_offset
from kaiun.localcluster.jsonshape import mapping
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


def validate_metadata(obj: Mapping[str, Any], *, namespaced: bool) -> list[Cause]:
    """``ValidateObjectMeta`` with the kind's name rule: name/generateName, namespace, labels,
    annotations, owner references, finalizers."""
    rule = name_rule(*group_kind(obj))
    metadata = obj.get("metadata")
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


def validate(obj: Mapping[str, Any], old: Mapping[str, Any] | None = None) -> list[Cause]:
    """The kind's own rules for ``obj`` (metadata aside: see ``validate_metadata``).

    Pass the stored object as ``old`` on update: CronJob rules differ between create and update.
    """
    group, kind = group_kind(obj)
    if (group, kind) == ("batch", "CronJob"):
        return workloads.validate_cronjob(obj, old)
    validator = _VALIDATORS.get((group, kind))
    return validator(obj) if validator is not None else []


def validate_object(
    obj: Mapping[str, Any], *, namespaced: bool, old: Mapping[str, Any] | None = None
) -> list[Cause]:
    """Every cause, in the order a real API server lists them: (on update, the immutable
    metadata first) metadata, the kind's rules, then the kind's update-only rules."""
    if old is None:
        return validate_metadata(obj, namespaced=namespaced) + validate(obj)
    causes = update_validation.metadata_update(old, obj)
    causes += validate_metadata(obj, namespaced=namespaced)
    causes += validate(obj, old)
    return causes + update_validation.kind_update(old, obj)


def validate_update(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Cause]:
    """Only the update rules (immutable metadata and fields); ``validate_object`` has them all."""
    return update_validation.validate_update(old, new)


def status_message(kind: str, group: str, name: str, causes: list[Cause]) -> str:
    """The 422 message: ``Deployment.apps "web" is invalid: [a, b]``."""
    return fe.invalid_message(kind=kind, group=group, name=name, causes=causes)


def status_for(obj: Mapping[str, Any], causes: list[Cause]) -> dict[str, Any]:
    """The 422 Invalid ``Status`` for ``obj`` with these causes."""
    group, kind = group_kind(obj)
    name = str(mapping(obj.get("metadata")).get("name") or "")
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
