"""Validation of CustomResourceDefinition objects (apiextensions.k8s.io/v1), and lookups of
a CRD's versions and schemas for the server. Messages follow Kubernetes 1.32
``apiextensions-apiserver/pkg/apis/apiextensions/validation``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kaiun.localcluster import fielderrors as fe
from kaiun.localcluster import names
from kaiun.localcluster.fielderrors import Cause
from kaiun.localcluster.jsonshape import mapping

_VERSIONS_LITERAL = fe.GoLiteral("[]apiextensions.CustomResourceDefinitionVersion{...}")


def _spec(crd: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = crd.get("spec")
    return spec if isinstance(spec, Mapping) else {}


def _versions(crd: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    versions = _spec(crd).get("versions")
    return [v for v in versions if isinstance(v, Mapping)] if isinstance(versions, list) else []


def storage_version(crd: Mapping[str, Any]) -> str | None:
    """The name of the version marked ``storage: true`` (``None`` if there is not one)."""
    stored = [str(v.get("name")) for v in _versions(crd) if v.get("storage") is True]
    return stored[0] if len(stored) == 1 else None


def served_versions(crd: Mapping[str, Any]) -> list[str]:
    """Names of the versions with ``served: true``, in declaration order."""
    return [str(v.get("name")) for v in _versions(crd) if v.get("served") is True]


def version_schema(crd: Mapping[str, Any], version: str) -> Mapping[str, Any] | None:
    """The ``openAPIV3Schema`` of one version, if it has one."""
    for entry in _versions(crd):
        if entry.get("name") == version:
            schema = mapping(entry.get("schema")).get("openAPIV3Schema")
            return schema if isinstance(schema, Mapping) else None
    return None


def _dns1035(path: str, value: str, prefix: str = "") -> list[Cause]:
    errs = names.is_dns1035_label(value)
    return [fe.invalid(path, value, prefix + ",".join(errs))] if errs else []


def _names(spec: Mapping[str, Any]) -> list[Cause]:
    crd_names = spec.get("names") if isinstance(spec.get("names"), Mapping) else {}
    assert isinstance(crd_names, Mapping)
    causes: list[Cause] = []
    path = "spec.names"
    for key in ("plural", "singular", "kind", "listKind"):
        if not crd_names.get(key):
            causes.append(fe.required(f"{path}.{key}"))
    plural, singular = str(crd_names.get("plural") or ""), str(crd_names.get("singular") or "")
    kind, list_kind = str(crd_names.get("kind") or ""), str(crd_names.get("listKind") or "")
    mixed = "may have mixed case, but should otherwise match: "
    if plural:
        causes += _dns1035(f"{path}.plural", plural)
    if singular:
        causes += _dns1035(f"{path}.singular", singular)
    if kind and names.is_dns1035_label(kind.lower()):
        causes.append(
            fe.invalid(f"{path}.kind", kind, mixed + ",".join(names.is_dns1035_label(kind.lower())))
        )
    if list_kind and names.is_dns1035_label(list_kind.lower()):
        errs = ",".join(names.is_dns1035_label(list_kind.lower()))
        causes.append(fe.invalid(f"{path}.listKind", list_kind, mixed + errs))
    for i, short in enumerate(crd_names.get("shortNames") or []):
        causes += _dns1035(f"{path}.shortNames[{i}]", str(short))
    if kind and kind == list_kind:
        causes.append(
            fe.invalid(f"{path}.listKind", list_kind, "kind and listKind may not be the same")
        )
    return causes


def _schema_structure(schema: Any, path: str, *, root: bool) -> list[Cause]:
    if not isinstance(schema, Mapping):
        return []
    causes: list[Cause] = []
    kind = schema.get("type")
    free = schema.get("x-kubernetes-int-or-string") or schema.get(
        "x-kubernetes-preserve-unknown-fields"
    )
    if root and not kind:
        causes.append(fe.required(f"{path}.type", "must not be empty at the root"))
    elif root and kind != "object":
        causes.append(fe.invalid(f"{path}.type", kind, "must be object at the root"))
    elif not kind and not free:
        causes.append(fe.required(f"{path}.type", "must not be empty for specified object fields"))
    if kind == "array" and not isinstance(schema.get("items"), Mapping):
        causes.append(fe.required(f"{path}.items", "must be specified"))
    if schema.get("properties") and isinstance(schema.get("additionalProperties"), Mapping):
        detail = "additionalProperties and properties are mutual exclusive"
        causes.append(fe.forbidden(f"{path}.additionalProperties", detail))
    for key, sub in mapping(schema.get("properties")).items():
        causes += _schema_structure(sub, f"{path}.properties[{key}]", root=False)
    if isinstance(schema.get("items"), Mapping):
        causes += _schema_structure(schema["items"], f"{path}.items", root=False)
    if isinstance(schema.get("additionalProperties"), Mapping):
        sub_path = f"{path}.additionalProperties"
        causes += _schema_structure(schema["additionalProperties"], sub_path, root=False)
    return causes


def _version_list(versions: list[Mapping[str, Any]]) -> list[Cause]:
    causes: list[Cause] = []
    seen: set[str] = set()
    unique = True
    for i, version in enumerate(versions):
        name = str(version.get("name") or "")
        unique = unique and name not in seen
        seen.add(name)
        causes += _dns1035(f"spec.versions[{i}].name", name)
        schema = mapping(version.get("schema")).get("openAPIV3Schema")
        path = f"spec.versions[{i}].schema.openAPIV3Schema"
        if schema is None:
            causes.append(fe.required(path, "schemas are required"))
        else:
            causes += _schema_structure(schema, path, root=True)
    if not unique:
        causes.append(
            fe.invalid("spec.versions", _VERSIONS_LITERAL, "must contain unique version names")
        )
    if sum(1 for v in versions if v.get("storage") is True) != 1:
        detail = "must have exactly one version marked as storage version"
        causes.append(fe.invalid("spec.versions", _VERSIONS_LITERAL, detail))
    if versions and not any(v.get("served") is True for v in versions):
        detail = "must have at least one served version"
        causes.append(fe.invalid("spec.versions", _VERSIONS_LITERAL, detail))
    return causes


def validate_crd(crd: Mapping[str, Any]) -> list[Cause]:
    """Causes that make a (defaulted) CRD invalid: name, group, names, scope, versions."""
    spec = _spec(crd)
    causes: list[Cause] = []
    group = str(spec.get("group") or "")
    plural = str(mapping(spec.get("names")).get("plural") or "")
    name = str(mapping(crd.get("metadata")).get("name") or "")
    if name != f"{plural}.{group}":
        detail = 'must be spec.names.plural+"."+spec.group'
        causes.append(fe.invalid("metadata.name", name, detail))
    if not group:
        causes.append(fe.required("spec.group"))
    else:
        causes += [fe.invalid("spec.group", group, m) for m in names.is_dns1123_subdomain(group)]
        if "." not in group:
            causes.append(
                fe.invalid("spec.group", group, "should be a domain with at least one dot")
            )
    causes += _names(spec)
    scope = spec.get("scope")
    if not scope:
        causes.append(fe.required("spec.scope"))
    elif scope not in ("Cluster", "Namespaced"):
        causes.append(fe.not_supported("spec.scope", scope, ("Cluster", "Namespaced")))
    versions = _versions(crd)
    if not versions:
        causes.append(
            fe.invalid(
                "spec.versions",
                _VERSIONS_LITERAL,
                "must have exactly one version marked as storage version",
            )
        )
    else:
        causes += _version_list(versions)
    strategy = mapping(spec.get("conversion")).get("strategy")
    if strategy not in (None, "None", "Webhook"):
        causes.append(fe.not_supported("spec.conversion.strategy", strategy, ("None", "Webhook")))
    return causes


def validate_crd_update(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Cause]:
    """``validate_crd(new)`` plus the fields a CRD may not change: group and scope."""
    return validate_crd(new) + validate_crd_immutables(old, new)


def validate_crd_immutables(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Cause]:
    """Causes for changing a CRD's group or scope."""
    causes: list[Cause] = []
    for key in ("group", "scope"):
        before, after = _spec(old).get(key), _spec(new).get(key)
        if before != after:
            causes.append(fe.invalid(f"spec.{key}", after or "", "field is immutable"))
    return causes
