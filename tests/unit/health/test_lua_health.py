"""Lua health checks: the fixture table, sandbox isolation, budgets and override lookup."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from kaiun import health

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "fixtures" / "lua_health.yaml").read_text()
)
SANDBOX = health.LuaSandbox(instruction_limit=2_000_000, memory_limit=16 * 1024 * 1024)


@dataclass(frozen=True)
class Override:
    health_lua: str = ""
    use_open_libs: bool = False


def _widget(kind: str = "Widget", group: str = "example.com") -> dict[str, Any]:
    return {"apiVersion": f"{group}/v1", "kind": kind, "metadata": {"name": "w"}}


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_lua_health_table(case: dict[str, Any]) -> None:
    result = health.lua_health(case["object"], case["script"], open_libs=False, sandbox=SANDBOX)
    expected = case["expected"]
    assert result == health.Health(health.HealthStatus(expected["status"]), expected["message"])


def test_the_sandbox_still_works_after_a_memory_blowup() -> None:
    sandbox = health.LuaSandbox(memory_limit=8 * 1024 * 1024)
    blown = health.lua_health(
        _widget(), 'local s = "x" while true do s = s .. s end', open_libs=False, sandbox=sandbox
    )
    assert blown.status is health.HealthStatus.UNKNOWN
    ok = health.lua_health(
        _widget(), 'return {status = "Healthy"}', open_libs=False, sandbox=sandbox
    )
    assert ok == health.Health(health.HealthStatus.HEALTHY)


def test_globals_do_not_leak_between_runs() -> None:
    script = """
    local seen = leaked
    leaked = "yes"
    string.upper = nil
    os.date = nil
    return {status = seen == nil and "Healthy" or "Degraded"}
    """
    first = health.lua_health(_widget(), script, open_libs=False, sandbox=SANDBOX)
    second = health.lua_health(_widget(), script, open_libs=False, sandbox=SANDBOX)
    upper = health.lua_health(
        _widget(), 'return {status = "Healthy", message = string.upper("ok")}',
        open_libs=False, sandbox=SANDBOX,
    )  # fmt: skip
    os_intact = health.lua_health(
        _widget(), 'return {status = type(os.date) == "function" and "Healthy" or "Degraded"}',
        open_libs=False, sandbox=SANDBOX,
    )  # fmt: skip
    assert first.status is second.status is health.HealthStatus.HEALTHY
    assert upper.message == "OK"
    assert os_intact.status is health.HealthStatus.HEALTHY


def test_coroutines_need_open_libs_and_still_meet_the_budget() -> None:
    script = """
    local co = coroutine.create(function() while true do end end)
    local ok, err = coroutine.resume(co)
    return {status = "Degraded", message = err}
    """
    closed = health.lua_health(_widget(), script, open_libs=False, sandbox=SANDBOX)
    opened = health.lua_health(_widget(), script, open_libs=True, sandbox=SANDBOX)
    assert "attempt to index global 'coroutine'" in closed.message
    # The coroutine's own resume cannot swallow the budget either.
    assert opened == health.Health(
        health.HealthStatus.UNKNOWN,
        "health.lua: script exceeded its instruction budget (endless loop?)",
    )


def test_os_date_uses_the_injected_clock() -> None:
    sandbox = health.LuaSandbox(clock=lambda: datetime(2026, 11, 22, 9, 30, 0, tzinfo=UTC))
    result = health.lua_health(
        _widget(),
        'return {status = "Healthy", message = os.date("!%Y-%m-%dT%XZ") .. " " .. os.time()}',
        open_libs=False,
        sandbox=sandbox,
    )
    assert result.message == "2026-11-22T09:30:00Z 1795339800"


def test_require_os_returns_the_safe_library() -> None:
    sandbox = health.LuaSandbox(clock=lambda: datetime(2026, 1, 1, tzinfo=UTC))
    result = health.lua_health(
        _widget(),
        'local os = require("os") return {status = "Healthy", message = os.date("!%Y")}',
        open_libs=False,
        sandbox=sandbox,
    )
    assert result.message == "2026"


def test_override_beats_builtin_and_wildcards_match() -> None:
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}}
    overrides = {
        "apps/Deployment": Override('return {status = "Suspended", message = "custom"}'),
        "*.crossplane.io/*": Override('return {status = "Degraded", message = "wild"}'),
        "example.com/Widget": Override(""),
    }
    assert health.assess(deployment, overrides=overrides, sandbox=SANDBOX) == health.Health(
        health.HealthStatus.SUSPENDED, "custom"
    )
    bucket = _widget("Bucket", "s3.aws.crossplane.io")
    assert health.assess(bucket, overrides=overrides, sandbox=SANDBOX) == health.Health(
        health.HealthStatus.DEGRADED, "wild"
    )
    assert health.assess(_widget(), overrides=overrides, sandbox=SANDBOX) is None


def test_health_override_key_for_core_kinds() -> None:
    assert health.override_key("", "ConfigMap") == "ConfigMap"
    assert health.override_key("apps", "Deployment") == "apps/Deployment"


def test_safe_os_time_date_and_difftime() -> None:
    sandbox = health.LuaSandbox(clock=lambda: datetime(2026, 11, 22, 9, 30, 0, tzinfo=UTC))
    script = """
    local t = os.time({year = 2026, month = 11, day = 22, hour = 9, min = 0, sec = 0})
    local parts = os.date("!*t", t)
    local msg = string.format("%d %d-%d-%d %d:%d wday=%d %s %d", t, parts.year, parts.month,
      parts.day, parts.hour, parts.min, parts.wday, os.date("!%H:%M", t), os.difftime(os.time(), t))
    return {status = "Healthy", message = msg}
    """
    result = health.lua_health(_widget(), script, open_libs=False, sandbox=sandbox)
    assert result.message == "1795338000 2026-11-22 9:0 wday=1 09:00 1800"


def test_os_time_with_a_bad_argument_fails_cleanly() -> None:
    sandbox = health.LuaSandbox(clock=lambda: datetime(2026, 1, 1, tzinfo=UTC))
    result = health.lua_health(
        _widget(),
        'return {status = "Healthy", message = os.time(5)}',
        open_libs=False,
        sandbox=sandbox,
    )
    assert result.status is health.HealthStatus.UNKNOWN
    assert "table expected" in result.message


def test_coroutine_wrap_yields_values_under_open_libs() -> None:
    script = """
    local gen = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i) end end)
    return {status = "Healthy", message = gen() .. gen() .. gen()}
    """
    result = health.lua_health(_widget(), script, open_libs=True, sandbox=SANDBOX)
    assert result.message == "123"
