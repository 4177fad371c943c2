"""Errors of the health room.

HealthError
├── LuaScriptError        a Lua script failed to compile or run
│   └── LuaBudgetExceeded a script ran past its instruction or memory budget
└── ActionError           a resource action is unknown or returned something unusable
"""

from __future__ import annotations


class HealthError(Exception):
    """Base of every error raised by ``kaiun.health``."""


class LuaScriptError(HealthError):
    """A Lua health check or action failed; the message says where and why."""


class LuaBudgetExceeded(LuaScriptError):
    """A Lua script exceeded its instruction or memory budget (an endless loop?)."""


class ActionError(HealthError):
    """A resource action cannot be listed or run as configured."""
