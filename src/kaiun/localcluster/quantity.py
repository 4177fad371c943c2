"""Kubernetes resource quantities (``100m``, ``1Gi``, ``1e3``): exact parsing and the
canonical text a real API server stores (``0.5`` -> ``500m``, ``1024Mi`` -> ``1Gi``)."""

from __future__ import annotations

import math
import re
from fractions import Fraction

_QUANTITY = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$")
_SUFFIX = {
    "": Fraction(1),
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 1000),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
    "Ki": Fraction(2**10),
    "Mi": Fraction(2**20),
    "Gi": Fraction(2**30),
    "Ti": Fraction(2**40),
    "Pi": Fraction(2**50),
    "Ei": Fraction(2**60),
}
_DECIMAL_SUFFIX = {
    -9: "n",
    -6: "u",
    -3: "m",
    0: "",
    3: "k",
    6: "M",
    9: "G",
    12: "T",
    15: "P",
    18: "E",
}
_BINARY_SUFFIX = ("", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei")
QUANTITY_ERROR = (
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
)


def _parse(value: object) -> tuple[Fraction, str] | None:
    """(exact value, format) where format is DecimalSI, BinarySI or DecimalExponent."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return (Fraction(value), "DecimalSI") if math.isfinite(value) else None
    if not isinstance(value, str):
        return None
    match = _QUANTITY.match(value)
    if not match:
        return None
    number, suffix = match.group(1), match.group(2) or ""
    base = Fraction(number)
    if suffix[:1] in ("e", "E"):
        return base * Fraction(10) ** int(suffix[1:]), "DecimalExponent"
    return base * _SUFFIX[suffix], "BinarySI" if suffix.endswith("i") else "DecimalSI"


def parse_quantity(value: object) -> Fraction | None:
    """The exact value of a quantity given as a string or JSON number; ``None`` if malformed."""
    parsed = _parse(value)
    return parsed[0] if parsed else None


def _round_up(value: Fraction, scale: int) -> Fraction:
    # inf.Dec RoundUp: away from zero, to a multiple of 10**scale.
    step = Fraction(10) ** scale
    units = value / step
    whole = math.ceil(abs(units))
    return Fraction(int(math.copysign(whole, units)) if units else 0) * step


def _decimal(value: Fraction, exponent_form: bool) -> str:
    value = _round_up(value, -9)
    if value == 0:
        return "0"
    mantissa, exp = int(value * 10**9), -9
    while mantissa % 1000 == 0 and exp < 18:
        mantissa //= 1000
        exp += 3
    if exponent_form:
        return str(mantissa) if exp == 0 else f"{mantissa}e{exp}"
    return f"{mantissa}{_DECIMAL_SUFFIX[exp]}"


def _binary(value: Fraction) -> str:
    number, power = int(value), 0
    while number % 1024 == 0 and power < len(_BINARY_SUFFIX) - 1:
        number //= 1024
        power += 1
    return f"{number}{_BINARY_SUFFIX[power]}"


def canonical_quantity(value: object, *, milli_round: bool = False) -> str | None:
    """The text Kubernetes serialises ``value`` as; ``None`` when it is not a quantity.

    ``milli_round`` applies the ResourceList default (round up to ``1m`` precision).
    """
    parsed = _parse(value)
    if parsed is None:
        return None
    amount, fmt = parsed
    if milli_round:
        amount = _round_up(amount, -3)
    if fmt == "BinarySI" and (abs(amount) < 1024 or amount.denominator != 1):
        fmt = "DecimalSI"  # small or fractional binary amounts print in decimal
    if fmt == "BinarySI":
        return _binary(amount)
    return _decimal(amount, fmt == "DecimalExponent")
