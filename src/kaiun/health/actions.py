"""Resource actions: Lua discovery and action scripts from ``resource.customizations.actions``.

The configuration is Argo CD's YAML (``discovery.lua``, ``definitions[].name`` /
``action.lua``). A discovery script returns the available actions; an action script returns
the modified object (old style, a patch) or a list of ``{operation, resource}`` (new style:
``patch`` or ``create``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from kaiun.health.errors import ActionError
from kaiun.health.lua_sandbox import LuaSandbox


@dataclass(frozen=True, slots=True)
class ActionDefinition:
    """One named action script."""

    name: str
    action_lua: str


@dataclass(frozen=True, slots=True)
class ResourceActions:
    """The actions configured for one group/kind."""

    discovery_lua: str = ""
    definitions: tuple[ActionDefinition, ...] = ()
    merge_builtin_actions: bool = False


@dataclass(frozen=True, slots=True)
class ResourceAction:
    """An action offered for an object, as the discovery script describes it."""

    name: str
    disabled: bool = False
    icon_class: str = ""
    display_name: str = ""
    params: tuple[Mapping[str, Any], ...] = field(default=())


@dataclass(frozen=True, slots=True)
class ImpactedResource:
    """An object an action changes (``patch``) or creates (``create``)."""

    obj: Mapping[str, Any]
    operation: str


def parse_actions(text: str) -> ResourceActions:
    """Parse the YAML of a ``resource.customizations.actions.<group_kind>`` value."""
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ActionError(f"resource actions are not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ActionError("resource actions must be a YAML mapping with discovery.lua")
    definitions = []
    for item in data.get("definitions") or []:
        if not isinstance(item, dict) or not item.get("name"):
            raise ActionError("every resource action definition needs a name and action.lua")
        definitions.append(ActionDefinition(str(item["name"]), str(item.get("action.lua", ""))))
    return ResourceActions(
        discovery_lua=str(data.get("discovery.lua") or ""),
        definitions=tuple(definitions),
        merge_builtin_actions=bool(data.get("mergeBuiltinActions", False)),
    )


def discover_actions(
    obj: Mapping[str, Any], actions: ResourceActions, *, sandbox: LuaSandbox
) -> list[ResourceAction]:
    """The actions available for ``obj``, sorted by name."""
    if not actions.discovery_lua:
        return []
    result = sandbox.run(actions.discovery_lua, obj, name="discovery.lua", open_libs=True)
    if result == []:
        return []
    if not isinstance(result, dict):
        raise ActionError("discovery.lua must return a table of actions keyed by name")
    found = []
    for name, spec in result.items():
        spec = spec if isinstance(spec, dict) else {}
        params = spec.get("params")
        found.append(
            ResourceAction(
                name=name,
                disabled=spec.get("disabled") is True,
                icon_class=str(spec.get("iconClass", "")),
                display_name=str(spec.get("displayName", "")),
                params=tuple(p for p in params if isinstance(p, dict))
                if isinstance(params, list)
                else (),
            )
        )
    return sorted(found, key=lambda a: a.name)


def run_action(
    obj: Mapping[str, Any],
    actions: ResourceActions,
    name: str,
    *,
    sandbox: LuaSandbox,
    params: Mapping[str, str] | None = None,
) -> list[ImpactedResource]:
    """Run the action ``name`` on ``obj`` and return the objects it patches or creates."""
    definition = next((d for d in actions.definitions if d.name == name), None)
    if definition is None:
        known = ", ".join(d.name for d in actions.definitions) or "none"
        raise ActionError(f"action {name!r} is not configured (configured: {known})")
    result = sandbox.run(
        definition.action_lua, obj, name=f"{name}/action.lua", open_libs=True, params=params
    )
    if isinstance(result, dict):
        return [ImpactedResource(_restore_empty_maps(result, obj), "patch")]
    if isinstance(result, list) and result:
        return [_impacted(item, obj) for item in result]
    raise ActionError(f"action {name!r} must return the object or a list of impacted resources")


def _impacted(item: object, original: Mapping[str, Any]) -> ImpactedResource:
    if not isinstance(item, dict) or not isinstance(item.get("resource"), dict):
        raise ActionError("each impacted resource needs 'operation' and a 'resource' table")
    operation = str(item.get("operation", "patch"))
    if operation not in ("patch", "create"):
        raise ActionError(f"unsupported action operation {operation!r}: use patch or create")
    resource = item["resource"]
    if operation == "patch":
        resource = _restore_empty_maps(resource, original)
    return ImpactedResource(resource, operation)


def _restore_empty_maps(new: Any, old: Any) -> Any:
    """Undo Lua's ambiguity: an empty table comes back as ``[]`` even where a map was."""
    if isinstance(new, dict) and isinstance(old, Mapping):
        return {k: _restore_empty_maps(v, old[k]) if k in old else v for k, v in new.items()}
    if isinstance(new, list):
        if not new and isinstance(old, Mapping):
            return dict(old) if not old else {}
        if isinstance(old, list):
            return [
                _restore_empty_maps(v, old[i]) if i < len(old) else v for i, v in enumerate(new)
            ]
    return new
