"""``resource.customizations*`` keys of argocd-cm: health Lua, actions, ignoreDifferences.

Both of Argo CD's spellings are read and merged: the split keys
(``resource.customizations.health.<group>_<kind>``, ``.actions.``, ``.useOpenLibs.``,
``.ignoreDifferences.`` with ``.all``, ``.ignoreResourceUpdates.``, ``.knownTypeFields.``)
and the nested ``resource.customizations`` YAML keyed by ``group/Kind`` (the only place a
wildcard such as ``*.crossplane.io/*`` can appear). Split keys win over nested ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import yaml

from kaiun import diff, health

PREFIX = "resource.customizations"
COMPARE_OPTIONS_KEY = "resource.compareoptions"
_SPLIT_FIELDS = {
    "health": "health_lua",
    "actions": "actions",
    "useOpenLibs": "use_open_libs",
    "ignoreDifferences": "ignore_differences",
    "ignoreResourceUpdates": "ignore_resource_updates",
    "knownTypeFields": "known_type_fields",
}


class ResourceCustomizationsError(ValueError):
    """argocd-cm holds a resource customization kaiun cannot read; the message says which."""


@dataclass(frozen=True, slots=True)
class IgnoreSpec:
    """What one customization ignores: JSON pointers, jq expressions, field managers."""

    json_pointers: tuple[str, ...] = ()
    jq_path_expressions: tuple[str, ...] = ()
    managed_fields_managers: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.json_pointers or self.jq_path_expressions or self.managed_fields_managers)


@dataclass(frozen=True, slots=True)
class ResourceOverride:
    """The customization of one ``group/Kind`` key (satisfies ``health.HealthOverride``)."""

    health_lua: str = ""
    use_open_libs: bool = False
    actions: str = ""
    ignore_differences: IgnoreSpec = field(default_factory=IgnoreSpec)
    ignore_resource_updates: IgnoreSpec = field(default_factory=IgnoreSpec)
    known_type_fields: tuple[Mapping[str, Any], ...] = ()

    def parsed_actions(self) -> health.ResourceActions:
        """The actions YAML parsed (empty when none are configured)."""
        return health.parse_actions(self.actions) if self.actions else health.ResourceActions()


def key_from_group_kind(group_kind: str) -> str:
    """``apps_Deployment`` -> ``apps/Deployment``; ``all`` -> ``*/*``; ``Service`` as is."""
    if group_kind == "all":
        return "*/*"
    return group_kind.replace("_", "/", 1)


def _load(text: object, what: str) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ResourceCustomizationsError(f"{what} is not valid YAML: {exc}") from exc


def _ignore_spec(value: object, what: str) -> IgnoreSpec:
    data = _load(value, what) or {}
    if not isinstance(data, Mapping):
        raise ResourceCustomizationsError(f"{what} must be a mapping with jsonPointers etc.")
    try:
        rule = diff.IgnoreRule.from_spec(data)
    except diff.IgnoreRuleError as exc:
        raise ResourceCustomizationsError(f"{what}: {exc}") from exc
    return IgnoreSpec(rule.json_pointers, rule.jq_path_expressions, rule.managed_fields_managers)


def _field_value(name: str, value: object, what: str) -> Any:
    if name in ("health_lua", "actions"):
        return value if isinstance(value, str) else yaml.safe_dump(value)
    if name == "use_open_libs":
        return value is True or str(value).strip().lower() == "true"
    if name in ("ignore_differences", "ignore_resource_updates"):
        return _ignore_spec(value, what)
    data = _load(value, what) or []
    if not isinstance(data, list):
        raise ResourceCustomizationsError(f"{what} must be a list of field/type entries")
    return tuple(d for d in data if isinstance(d, Mapping))


def _nested(text: object) -> dict[str, ResourceOverride]:
    data = _load(text, PREFIX) or {}
    if not isinstance(data, Mapping):
        raise ResourceCustomizationsError(f"{PREFIX} must be a YAML mapping keyed by group/Kind")
    names = {
        "health.lua": "health_lua",
        "health.lua.useOpenLibs": "use_open_libs",
        "useOpenLibs": "use_open_libs",
        "actions": "actions",
        "ignoreDifferences": "ignore_differences",
        "ignoreResourceUpdates": "ignore_resource_updates",
        "knownTypeFields": "known_type_fields",
    }
    out = {}
    for key, spec in data.items():
        if not isinstance(spec, Mapping):
            raise ResourceCustomizationsError(f"{PREFIX} entry {key!r} must be a mapping")
        values = {
            names[k]: _field_value(names[k], v, f"{PREFIX} {key} {k}")
            for k, v in spec.items()
            if k in names
        }
        out[str(key)] = ResourceOverride(**values)
    return out


def parse_resource_overrides(data: Mapping[str, str]) -> dict[str, ResourceOverride]:
    """All resource customizations in argocd-cm ``data``, keyed like Argo CD (``group/Kind``)."""
    overrides = _nested(data.get(PREFIX, "")) if data.get(PREFIX) else {}
    for cm_key, value in data.items():
        if not cm_key.startswith(PREFIX + "."):
            continue
        kind_of_setting, _, group_kind = cm_key[len(PREFIX) + 1 :].partition(".")
        attr = _SPLIT_FIELDS.get(kind_of_setting)
        if attr is None or not group_kind:
            continue
        key = key_from_group_kind(group_kind)
        current = overrides.get(key, ResourceOverride())
        overrides[key] = replace(current, **{attr: _field_value(attr, value, cm_key)})
    return overrides


def _rule(key: str, spec: IgnoreSpec) -> diff.IgnoreRule:
    group, sep, kind = key.rpartition("/")
    return diff.IgnoreRule(
        group=group if sep else "",
        kind=kind,
        json_pointers=spec.json_pointers,
        jq_path_expressions=spec.jq_path_expressions,
        managed_fields_managers=spec.managed_fields_managers,
    )


def ignore_rules(overrides: Mapping[str, ResourceOverride]) -> tuple[diff.IgnoreRule, ...]:
    """The system-level ignoreDifferences rules, ready for ``diff.Normalizer``."""
    return tuple(
        _rule(key, o.ignore_differences) for key, o in overrides.items() if o.ignore_differences
    )


def ignore_resource_update_rules(
    overrides: Mapping[str, ResourceOverride],
) -> tuple[diff.IgnoreRule, ...]:
    """The ``ignoreResourceUpdates`` rules (reconcile suppression), as ignore rules."""
    return tuple(
        _rule(key, o.ignore_resource_updates)
        for key, o in overrides.items()
        if o.ignore_resource_updates
    )


def compare_options(data: Mapping[str, str]) -> Mapping[str, Any]:
    """``resource.compareoptions`` (``ignoreResourceStatusField`` etc.) as a mapping."""
    parsed = _load(data.get(COMPARE_OPTIONS_KEY, ""), COMPARE_OPTIONS_KEY) or {}
    if not isinstance(parsed, Mapping):
        raise ResourceCustomizationsError(f"{COMPARE_OPTIONS_KEY} must be a YAML mapping")
    return parsed


def normalizer(
    data: Mapping[str, str], app_rules: tuple[diff.IgnoreRule, ...] = ()
) -> diff.Normalizer:
    """The normalizer argocd-cm ``data`` and an app's own ignoreDifferences call for."""
    overrides = parse_resource_overrides(data)
    status = str(compare_options(data).get("ignoreResourceStatusField", "all")).lower()
    return diff.Normalizer(
        rules=app_rules + ignore_rules(overrides),
        ignore_status=status if status in ("all", "crd", "none") else "all",
    )
