"""Go's ``fmt`` for template values: ``%v`` printing, ``Sprint``, ``Sprintln``, ``Sprintf``.

Templates print values the way Go does (``map[a:1 b:2]``, ``[x y]``, ``1e+06``, ``<nil>``),
so users' rendered output is byte-identical to Argo CD's.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from kaiun.templating.values import Duration, GoTime, type_name

_EPREC = 6  # %v of a float: exponent form from 1e+06, as strconv does

_ESCAPES = {
    "\a": r"\a",
    "\b": r"\b",
    "\f": r"\f",
    "\n": r"\n",
    "\r": r"\r",
    "\t": r"\t",
    "\v": r"\v",
    "\\": r"\\",
    '"': r"\"",
}


def quote(s: str) -> str:
    """Go's ``strconv.Quote``."""
    out = ['"']
    for ch in s:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


def format_float(v: float, verb: str = "g", prec: int = -1) -> str:
    """Go's ``strconv.FormatFloat`` for the verbs e, f, g (and %v's shortest form)."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    if prec >= 0:
        if verb == "g" and prec == 0:
            prec = 1
        return f"{v:.{prec}{verb}}"
    if verb == "f":
        return _shortest_fixed(v)
    sign, digits, exp = _shortest(v)
    if verb == "e":
        return _sci(sign, digits, exp, "e")
    point = len(digits) + exp - 1  # exponent of the leading digit
    if point < -4 or point >= _EPREC:
        return _sci(sign, digits, exp, "e")
    return sign + _plain(digits, exp)


def _shortest(v: float) -> tuple[str, str, int]:
    t = Decimal(repr(v)).as_tuple()
    digits = "".join(map(str, t.digits)).lstrip("0") or "0"
    exp = int(t.exponent) + (len(t.digits) - len("".join(map(str, t.digits)).lstrip("0") or "0"))
    # Drop trailing zeros into the exponent: Go prints 1e+06, not 1000000e+00.
    stripped = digits.rstrip("0") or "0"
    exp += len(digits) - len(stripped)
    if stripped == "0":
        exp = 0
    return ("-" if t.sign else ""), stripped, exp


def _sci(sign: str, digits: str, exp: int, e: str) -> str:
    point = len(digits) + exp - 1
    mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{sign}{mant}{e}{'-' if point < 0 else '+'}{abs(point):02d}"


def _plain(digits: str, exp: int) -> str:
    if exp >= 0:
        return digits + "0" * exp
    n = len(digits) + exp
    if n > 0:
        return digits[:n] + "." + digits[n:]
    return "0." + "0" * (-n) + digits


def _shortest_fixed(v: float) -> str:
    sign, digits, exp = _shortest(v)
    return sign + _plain(digits, exp)


def format_value(value: Any, verb: str = "v", plus: bool = False) -> str:
    """``%v`` (or ``%s``/``%d``... applied element-wise) of any template value."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        s = format_float(value)
        return "+" + s if plus and not s.startswith(("-", "+")) else s
    if isinstance(value, Mapping):
        items = " ".join(
            f"{format_value(k, verb, plus)}:{format_value(value[k], verb, plus)}"
            for k in sorted(value, key=_map_key)
        )
        return f"map[{items}]"
    if isinstance(value, list | tuple):
        return "[" + " ".join(format_value(x, verb, plus) for x in value) + "]"
    if isinstance(value, bytes):
        return "[" + " ".join(str(b) for b in value) + "]"
    if isinstance(value, GoTime | Duration):
        return value.String()
    if callable(value):
        return "0x1"
    return str(value)


def _map_key(k: Any) -> tuple[int, Any]:
    # fmt sorts map keys: numbers numerically, strings lexically (by bytes).
    if isinstance(k, int | float) and not isinstance(k, bool):
        return (0, k)
    if isinstance(k, str):
        return (1, k.encode())
    return (2, str(k))


def sprint(args: Sequence[Any]) -> str:
    """``fmt.Sprint``: a space between operands when neither side is a string."""
    out: list[str] = []
    prev_string = True
    for i, a in enumerate(args):
        is_string = isinstance(a, str)
        if i > 0 and not is_string and not prev_string:
            out.append(" ")
        out.append(format_value(a))
        prev_string = is_string
    return "".join(out)


def sprintln(args: Sequence[Any]) -> str:
    """``fmt.Sprintln``: operands separated by spaces, then a newline."""
    return " ".join(format_value(a) for a in args) + "\n"


_SPEC = re.compile(r"%([-+# 0]*)(\*|\d+)?(?:\.(\*|\d*))?(.?)", re.DOTALL)


def sprintf(fmt: str, args: Sequence[Any]) -> str:
    """``fmt.Sprintf`` with Go's verbs, flags, width, precision and error notations."""
    out: list[str] = []
    argi = 0
    pos = 0
    while True:
        j = fmt.find("%", pos)
        if j < 0:
            out.append(fmt[pos:])
            break
        out.append(fmt[pos:j])
        m = _SPEC.match(fmt, j)
        assert m is not None
        flags, width_s, prec_s, verb = m.groups()
        pos = m.end()
        if verb == "%":
            out.append("%")
            continue
        if not verb:
            out.append("%!(NOVERB)")
            break
        width: int | None = None
        prec: int | None = None
        if width_s == "*":
            width, argi = (int(args[argi]), argi + 1) if argi < len(args) else (None, argi)
            if width is not None and width < 0:
                flags += "-"
                width = -width
        elif width_s:
            width = int(width_s)
        if prec_s == "*":
            prec, argi = (int(args[argi]), argi + 1) if argi < len(args) else (None, argi)
        elif prec_s is not None:
            prec = int(prec_s or 0)
        if argi >= len(args):
            out.append(f"%!{verb}(MISSING)")
            continue
        out.append(_format_one(args[argi], verb, flags, width, prec))
        argi += 1
    if argi < len(args):
        extra = ", ".join(
            "<nil>" if a is None else f"{type_name(a)}={format_value(a)}" for a in args[argi:]
        )
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)


def _pad(s: str, flags: str, width: int | None, numeric: bool) -> str:
    if width is None or len(s) >= width:
        return s
    if "-" in flags:
        return s.ljust(width)
    if "0" in flags and numeric:
        sign = s[0] if s[:1] in ("-", "+", " ") else ""
        return sign + s[len(sign) :].rjust(width - len(sign), "0")
    return s.rjust(width)


def _bad(value: Any, verb: str, flags: str, width: int | None, prec: int | None) -> str:
    # Go prints the operand inside the notation with the same width and flags.
    if value is None:
        return f"%!{verb}(<nil>)"
    text = _format_scalar(value, "v", flags, prec)[0] or format_value(value)
    return f"%!{verb}({type_name(value)}={_pad(text, flags, width, False)})"


def _format_one(
    value: Any, verb: str, flags: str, width: int | None, prec: int | None, depth: int = 0
) -> str:
    """One operand of Sprintf; lists and maps apply the verb to each element (Go's printValue)."""
    if verb == "T":
        return _pad(type_name(value), flags, width, False)
    if value is None:
        if depth or verb == "v":
            return _pad("<nil>", flags, width, False)
        return _bad(value, verb, flags, width, prec)
    if isinstance(value, list | tuple):
        inner = " ".join(_format_one(x, verb, flags, width, prec, depth + 1) for x in value)
        return f"[{inner}]"
    if isinstance(value, Mapping):
        items = " ".join(
            _format_one(k, verb, flags, width, prec, depth + 1)
            + ":"
            + _format_one(value[k], verb, flags, width, prec, depth + 1)
            for k in sorted(value, key=_map_key)
        )
        return f"map[{items}]"
    s, numeric = _format_scalar(value, verb, flags, prec)
    if s is None:
        return _bad(value, verb, flags, width, prec)
    return _pad(s, flags, width, numeric)


def hex_float(v: float, upper: bool = False, prec: int = -1) -> str:
    """Go's ``%x`` of a float: normalised ``0x1.4p+01``, rounded half-even to ``prec`` digits."""
    if math.isnan(v) or math.isinf(v):
        return format_float(v)
    sign = "-" if math.copysign(1.0, v) < 0 else ""
    if v == 0:
        frac, exp = 0, 0
    else:
        m, e = math.frexp(abs(v))
        frac, exp = int((m * 2 - 1) * (1 << 52)), e - 1
    if prec < 0:
        digits = f"{frac:013x}".rstrip("0")
    elif prec >= 13:
        digits = f"{frac:013x}".ljust(prec, "0")
    else:
        shift = 52 - 4 * prec
        q, r = divmod(frac, 1 << shift)
        half = 1 << (shift - 1)
        if r > half or (r == half and q & 1):
            q += 1
        if q == 1 << (4 * prec):
            q, exp = 0, exp + 1
        digits = f"{q:0{prec}x}" if prec else ""
    out = f"{sign}0x1{'.' + digits if digits else ''}p{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if v == 0:
        out = out.replace("0x1", "0x0", 1)
    return out.upper() if upper else out


def _format_scalar(value: Any, verb: str, flags: str, prec: int | None) -> tuple[str | None, bool]:
    """(text, numeric) of a scalar, or (None, _) for a verb Go rejects for its type."""
    if isinstance(value, Duration) and verb in "dxXob":
        value = value.ns
    elif isinstance(value, GoTime | Duration):
        value = value.String()
    if verb == "v":
        if isinstance(value, float):
            return format_float(value, "g", -1 if prec is None else prec), True
        if isinstance(value, int) and not isinstance(value, bool):
            return _format_int(value, "d", flags, prec)
        s = format_value(value)
        if isinstance(value, str) and prec is not None:
            s = s[:prec]
        return s, False
    if isinstance(value, bool):
        return ("true" if value else "false", False) if verb == "t" else (None, False)
    if isinstance(value, int):
        return _format_int(value, verb, flags, prec)
    if isinstance(value, float):
        return _format_float_verb(value, verb, flags, prec)
    if isinstance(value, str):
        return _format_str(value[:prec] if prec is not None else value, verb, flags), False
    return None, False


def _format_str(value: str, verb: str, flags: str) -> str | None:
    if verb == "s":
        return value
    if verb == "q":
        if "#" in flags and "`" not in value and value.isprintable():
            return f"`{value}`"
        return quote(value)
    if verb in "xX":
        h = value.encode().hex()
        return h.upper() if verb == "X" else h
    return None


def _format_float_verb(
    value: float, verb: str, flags: str, prec: int | None
) -> tuple[str | None, bool]:
    if verb in "xX":
        s = hex_float(value, verb == "X", -1 if prec is None else prec)
    elif verb in "eEfFgG":
        p = -1 if prec is None else prec
        if verb in "eEfF" and prec is None:
            p = 6
        s = format_float(value, verb.lower(), p)
        s = s.upper() if verb in "EG" else s
    else:
        return None, False
    if "+" in flags and s[0] not in "+-":
        s = "+" + s
    elif " " in flags and s[0] not in "+-":
        s = " " + s
    return s, True


def _format_int(
    value: int, verb: str, flags: str, prec: int | None = None
) -> tuple[str | None, bool]:
    sign = "-" if value < 0 else ("+" if "+" in flags else (" " if " " in flags else ""))
    n = abs(value)
    if verb == "d":
        digits = str(n).rjust(prec, "0") if prec is not None else str(n)
        if prec == 0 and n == 0:
            digits = ""
        # An explicit precision turns off zero padding to the width, as in Go.
        return sign + digits, prec is None
    if verb in "xX":
        body = f"{n:x}" if verb == "x" else f"{n:X}"
        return sign + ("0x" if "#" in flags and verb == "x" else "") + body, True
    if verb == "o":
        return sign + ("0" if "#" in flags else "") + f"{n:o}", True
    if verb == "O":
        return sign + f"0o{n:o}", True
    if verb == "b":
        return sign + f"{n:b}", True
    if verb in "cq":
        ch = "\ufffd" if value < 0 or value > 0x10FFFF or 0xD800 <= value <= 0xDFFF else chr(value)
        if verb == "c":
            return ch, False
        return "'" + quote(ch)[1:-1].replace('\\"', '"') + "'", False
    if verb == "U":
        return f"U+{value:04X}", False
    return None, False
