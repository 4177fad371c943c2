"""expr-lang: operators, member access, builtins, closures, errors, notification triggers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kaiun import templating
from kaiun.templating import expr
from kaiun.templating.values import Duration, GoTime

from .conftest import case_id, load_cases

CASES = load_cases("expr.yaml")
NOW = GoTime(dt.datetime(2024, 5, 1, 12, 0, 0, tzinfo=dt.UTC))


class _Obj:
    def Double(self, n: int) -> int:
        return n * 2


HOSTS: dict[str, dict[str, Any]] = {"add": {"fn": lambda a, b: a + b}, "obj": {"obj": _Obj()}}


def _env(case: dict[str, Any]) -> dict[str, Any]:
    return {**(case.get("env") or {}), **HOSTS.get(case.get("host", ""), {})}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_expression(case: dict[str, Any]) -> None:
    if "error" in case:
        with pytest.raises(templating.ExprError) as info:
            expr.compile(case["expr"]).run(_env(case))
        assert case["error"] in str(info.value)
        return
    result = expr.compile(case["expr"]).run(_env(case))
    assert result == case["out"]
    assert type(result) is type(case["out"])


def test_syntax_error_points_at_the_column() -> None:
    with pytest.raises(templating.ExprSyntaxError) as info:
        expr.compile("a.b +\n  * 2")
    assert str(info.value) == "unexpected token '*' (2:3)\n |   * 2\n | ..^"


def test_compile_once_run_many_envs() -> None:
    program = expr.compile("app.status.health.status == 'Degraded'")
    results = [
        program.run({"app": {"status": {"health": {"status": s}}}})
        for s in ("Healthy", "Degraded", "Progressing")
    ]
    assert results == [False, True, False]


def test_time_arithmetic_with_injected_clock() -> None:
    env = {"started": "2024-05-01T11:50:00Z", **expr.notification_helpers(clock=lambda: NOW)}
    program = expr.compile("time.Now().Sub(time.Parse(started)).Minutes() >= 5")
    assert program.run(env) is True
    assert expr.compile("time.Now().Sub(time.Parse(started)).Minutes()").run(env) == 10.0
    assert expr.compile("now() - duration('90m')").run(clock=lambda: NOW) == GoTime(
        dt.datetime(2024, 5, 1, 10, 30, tzinfo=dt.UTC)
    )
    assert expr.compile("duration('1h30m') > duration('90m')").run() is False
    assert expr.compile("date('2024-05-01') < now()").run(clock=lambda: NOW) is True
    assert expr.compile("date('01/02/24', '01/02/06').Year()").run() == 2024


def test_now_without_clock_is_a_clear_error() -> None:
    with pytest.raises(templating.ExprRuntimeError, match="needs a clock"):
        expr.compile("now()").run()


def test_bad_time_parse_reports_the_value() -> None:
    env = expr.notification_helpers(clock=lambda: NOW)
    with pytest.raises(templating.ExprRuntimeError, match='parsing time "yesterday"'):
        expr.compile("time.Parse('yesterday')").run(env)


def test_strings_helpers() -> None:
    env = expr.notification_helpers(clock=lambda: NOW)
    program = expr.compile("strings.ToUpper(strings.ReplaceAll('a-b', '-', '_'))")
    assert program.run(env) == "A_B"


def test_duration_values() -> None:
    d = expr.compile("duration('2h45m30.5s')").run()
    assert isinstance(d, Duration)
    assert d.String() == "2h45m30.5s"
    assert d.Minutes() == pytest.approx(165.5083333)
