"""jq path expressions of ignoreDifferences: delete or list the paths they select.

Compiled programs are cached (compiling costs ~1 ms, running ~30 µs). This room cannot
time out a running program (no clocks, no threads), so expressions that can loop without
end are refused up front — Argo CD was hit by exactly that (CVE-2024-32476,
``until(true == false; [.] + [1])``). Path expressions such as
``.webhooks[]?.clientConfig.caBundle`` or ``.spec.containers[] | select(.name == "x")``
never need them.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import jq

from kaiun.diff.errors import IgnoreRuleError

# Builtins that recurse or loop, read input or the environment, or define new functions.
_FORBIDDEN = re.compile(
    r"\b(until|while|repeat|recurse|recurse_down|range|limit|def|input|inputs|env|"
    r"\$ENV|debug|stderr|input_filename|splits|getpath|walk|combinations|infinite)\b"
)


def check_expression(expression: str) -> None:
    """Refuse a jq expression that could run without end; compile it to check syntax."""
    found = _FORBIDDEN.search(expression)
    if found or ".." in expression.replace("...", ""):
        construct = found.group(0) if found else ".."
        raise IgnoreRuleError(
            f"jqPathExpression {expression!r} uses {construct!r}, which kaiun refuses "
            "because it can loop without end; select paths with . [] and select() instead"
        )
    _program(f"del({expression})")


@lru_cache(maxsize=1024)
def _program(source: str) -> Any:
    try:
        return jq.compile(source)
    except ValueError as exc:
        raise IgnoreRuleError(f"invalid jq program {source!r}: {exc}") from exc


def delete_paths(obj: Any, expression: str) -> Any:
    """``obj`` without the values ``expression`` selects (a new object)."""
    check_expression(expression)
    try:
        return _program(f"del({expression})").input_value(obj).first()
    except ValueError as exc:
        raise IgnoreRuleError(f"jqPathExpression {expression!r} failed: {exc}") from exc


def selected_paths(obj: Any, expression: str) -> list[list[str | int]]:
    """The paths (as key/index lists) that ``expression`` selects in ``obj``."""
    check_expression(expression)
    try:
        result = _program(f"[path({expression})]").input_value(obj).first()
    except ValueError as exc:
        raise IgnoreRuleError(f"jqPathExpression {expression!r} failed: {exc}") from exc
    return [list(p) for p in result] if isinstance(result, list) else []
