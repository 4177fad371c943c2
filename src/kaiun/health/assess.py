"""Health of one object (custom Lua check, else built-in) and of a whole application."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kaiun.health import fields as f
from kaiun.health.builtin import builtin_check
from kaiun.health.errors import LuaScriptError
from kaiun.health.lua_sandbox import LuaSandbox
from kaiun.health.overrides import HealthOverride, find_override
from kaiun.health.status import Health, HealthStatus, is_worse, parse_status

HOOK_FINALIZER = "argocd.argoproj.io/hook-finalizer"
IGNORE_HEALTHCHECK = "argocd.argoproj.io/ignore-healthcheck"
HOOK_ANNOTATIONS = ("argocd.argoproj.io/hook", "helm.sh/hook")
INVALID_STATUS_MESSAGE = "Lua returned an invalid health status"

_default_sandbox: LuaSandbox | None = None


def default_sandbox() -> LuaSandbox:
    """The shared sandbox used when callers pass none."""
    global _default_sandbox
    if _default_sandbox is None:
        _default_sandbox = LuaSandbox()
    return _default_sandbox


def lua_health(
    obj: Mapping[str, Any], script: str, *, open_libs: bool, sandbox: LuaSandbox
) -> Health:
    """Run a Lua health script; a failing script gives Unknown with its message."""
    try:
        result = sandbox.run(script, obj, name="health.lua", open_libs=open_libs)
    except LuaScriptError as exc:
        return Health(HealthStatus.UNKNOWN, str(exc))
    if isinstance(result, list):
        return Health(HealthStatus.UNKNOWN, INVALID_STATUS_MESSAGE)
    if not isinstance(result, dict):
        return Health(
            HealthStatus.UNKNOWN, f"expect table output from Lua script, not {_lua_type(result)}"
        )
    status = parse_status(result.get("status"))
    if status is None:
        return Health(HealthStatus.UNKNOWN, INVALID_STATUS_MESSAGE)
    message = result.get("message")
    return Health(status, message if isinstance(message, str) else "")


def _lua_type(value: object) -> str:
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "string" if isinstance(value, str) else type(value).__name__


def assess(
    obj: Mapping[str, Any],
    *,
    overrides: Mapping[str, HealthOverride] | None = None,
    sandbox: LuaSandbox | None = None,
) -> Health | None:
    """The health of ``obj``, or None when no check applies to its kind.

    A configured Lua check wins over the built-in one; an object being deleted is
    Progressing ("Pending deletion") unless it is held by a hook finalizer.
    """
    if not isinstance(obj, Mapping):
        return Health(HealthStatus.UNKNOWN, "not a Kubernetes object (expected a mapping)")
    metadata = f.mapping(obj, "metadata")
    finalizers = metadata.get("finalizers")
    held = isinstance(finalizers, list) and HOOK_FINALIZER in finalizers
    if metadata.get("deletionTimestamp") and not held:
        return Health(HealthStatus.PROGRESSING, "Pending deletion")
    group = f.group_of(str(obj.get("apiVersion", "")))
    kind = str(obj.get("kind", ""))
    if overrides:
        override = find_override(overrides, group, kind)
        if override is not None:
            return lua_health(
                obj,
                override.health_lua,
                open_libs=override.use_open_libs,
                sandbox=sandbox or default_sandbox(),
            )
    check = builtin_check(group, kind)
    if check is None:
        return None
    try:
        return check(obj)
    except (TypeError, ValueError, AttributeError) as exc:
        return Health(HealthStatus.UNKNOWN, f"cannot assess {kind}: {exc}")


def is_hook(obj: Mapping[str, Any]) -> bool:
    """Whether ``obj`` is an Argo CD or Helm hook (hooks do not count toward app health)."""
    annotations = f.mapping(obj, "metadata", "annotations")
    return any(annotations.get(name) for name in HOOK_ANNOTATIONS)


def application_health(resources: Iterable[tuple[Mapping[str, Any], Health | None]]) -> Health:
    """An application's health: the worst of its resources' in Argo CD's order.

    Each item is (object, health): the live object, or the target when it is missing (with
    a Missing health). Hooks, resources annotated ``argocd.argoproj.io/ignore-healthcheck``
    and resources without a health check are skipped.
    """
    status = HealthStatus.HEALTHY
    for obj, health in resources:
        if health is None or is_hook(obj):
            continue
        if f.mapping(obj, "metadata", "annotations").get(IGNORE_HEALTHCHECK) == "true":
            continue
        if is_worse(status, health.status):
            status = health.status
    return Health(status)
