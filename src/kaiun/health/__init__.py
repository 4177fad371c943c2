"""The health room (L1, pure): is a resource working, and is an application?

Owns the ordered ``HealthStatus``, the built-in checks (one module per API group), Lua
health checks and resource actions run in a budgeted Lua 5.1 sandbox, and Argo CD's
worst-of aggregation. Imports only ``kaiun.model`` and libraries; does no IO (no files,
sockets, processes or clocks: a clock for Lua's ``os.time`` is injected).
"""

from kaiun.health.actions import (
    ActionDefinition,
    ImpactedResource,
    ResourceAction,
    ResourceActions,
    discover_actions,
    parse_actions,
    run_action,
)
from kaiun.health.assess import application_health, assess, default_sandbox, is_hook, lua_health
from kaiun.health.errors import ActionError, HealthError, LuaBudgetExceeded, LuaScriptError
from kaiun.health.lua_sandbox import LuaSandbox
from kaiun.health.overrides import HealthOverride, find_override, override_key
from kaiun.health.status import Health, HealthStatus, is_worse, parse_status, worst

__all__ = [
    "ActionDefinition",
    "ActionError",
    "Health",
    "HealthError",
    "HealthOverride",
    "HealthStatus",
    "ImpactedResource",
    "LuaBudgetExceeded",
    "LuaSandbox",
    "LuaScriptError",
    "ResourceAction",
    "ResourceActions",
    "application_health",
    "assess",
    "default_sandbox",
    "discover_actions",
    "find_override",
    "is_hook",
    "is_worse",
    "lua_health",
    "override_key",
    "parse_actions",
    "parse_status",
    "run_action",
    "worst",
]
