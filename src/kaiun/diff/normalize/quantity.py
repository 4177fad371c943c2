"""Kubernetes resource quantities in canonical form, so ``1000m`` equals ``1``."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache

_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DECIMAL_SUFFIX = {v: k for k, v in _DECIMAL.items()}
_PATTERN = re.compile(r"^([+-]?[0-9.]+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?$")


def parse_quantity(text: str) -> tuple[Decimal, str] | None:
    """The value of a quantity and its suffix family ("binary", "decimal", "exponent")."""
    match = _PATTERN.match(text.strip())
    if match is None:
        return None
    number, suffix = match.group(1), match.group(2) or ""
    try:
        value = Decimal(number)
    except InvalidOperation:
        return None
    if suffix in _BINARY:
        return value * (Decimal(1024) ** _BINARY[suffix]), "binary"
    if suffix in _DECIMAL:
        return value.scaleb(_DECIMAL[suffix]), "decimal"
    return value.scaleb(int(suffix[1:])), "exponent"


@lru_cache(maxsize=4096)
def canonical_quantity(text: str) -> str:
    """One spelling per value (``1024Mi`` -> ``1Gi``, ``1000m`` -> ``1``); else ``text``.

    Unlike the API server, which keeps the suffix family the user wrote, the spelling here
    depends only on the value (whole multiples of 1024 take a binary suffix), so equal
    quantities always compare equal: ``536870912`` and ``512Mi`` both become ``512Mi``.
    """
    parsed = parse_quantity(text)
    if parsed is None:
        return text
    value = parsed[0]
    if value != value.to_integral():
        # The API server rounds sub-nano precision up; keep at most nano precision.
        value = value.quantize(Decimal("1e-9")).normalize()
    if value == value.to_integral() and abs(value) >= 1024 and value % 1024 == 0:
        exponent = 0
        while exponent < 6 and value % (Decimal(1024) ** (exponent + 1)) == 0:
            exponent += 1
        suffix = {v: k for k, v in _BINARY.items()}[exponent]
        return f"{int(value / (Decimal(1024) ** exponent))}{suffix}"
    return _decimal(value)


def _decimal(value: Decimal) -> str:
    if value == 0:
        return "0"
    exponent = -9
    while (
        exponent < 18
        and (value.scaleb(-(exponent + 3))) == value.scaleb(-(exponent + 3)).to_integral()
        and abs(value) >= Decimal(10) ** (exponent + 3)
    ):
        exponent += 3
    mantissa = int(value.scaleb(-exponent))
    return f"{mantissa}{_DECIMAL_SUFFIX[exponent]}"
