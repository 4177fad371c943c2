"""Go literal syntax used inside actions: quoted strings, runes and numbers."""

from __future__ import annotations

import re

_SIMPLE = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}
_OCTAL = re.compile(r"[+-]?0[0-7_]+")


class SyntaxErr(ValueError):
    """A literal is malformed; the message is Go's ``strconv`` wording."""


def unquote(lit: str) -> str:
    """Go's ``strconv.Unquote`` for "double", `raw` and 'rune' literals."""
    if len(lit) < 2 or lit[0] != lit[-1]:
        raise SyntaxErr("invalid syntax")
    q, body = lit[0], lit[1:-1]
    if q == "`":
        return body.replace("\r", "")
    out: list[str] = []
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        if i + 1 >= len(body):
            raise SyntaxErr("invalid syntax")
        e = body[i + 1]
        if e in _SIMPLE:
            out.append(_SIMPLE[e])
            i += 2
        elif e == q:
            out.append(q)
            i += 2
        elif e in "xuU":
            n = {"x": 2, "u": 4, "U": 8}[e]
            digits = body[i + 2 : i + 2 + n]
            if len(digits) != n or not all(ch in "0123456789abcdefABCDEF" for ch in digits):
                raise SyntaxErr("invalid syntax")
            out.append(chr(int(digits, 16)))
            i += 2 + n
        elif e in "01234567":
            digits = body[i + 1 : i + 4]
            if len(digits) != 3 or not all(ch in "01234567" for ch in digits):
                raise SyntaxErr("invalid syntax")
            out.append(chr(int(digits, 8)))
            i += 4
        else:
            raise SyntaxErr("invalid syntax")
    s = "".join(out)
    if q == "'" and len(s) != 1:
        raise SyntaxErr("invalid syntax")
    return s


def parse_int(text: str) -> int | None:
    """Go's ``strconv.ParseInt(text, 0, 64)``-ish: None when not an integer literal."""
    t = text.replace("_", "")
    try:
        if _OCTAL.fullmatch(text):
            return int(t, 8)
        return int(t, 0)
    except ValueError:
        return None


def parse_float(text: str) -> float | None:
    """Go's ``strconv.ParseFloat``: decimal and hex floats; None when not a float."""
    t = text.replace("_", "")
    low = t.lower().lstrip("+-")
    if low in ("inf", "infinity", "nan"):
        return None
    try:
        if low.startswith("0x"):
            return float.fromhex(t)
        if low.startswith(("0b", "0o")):
            return float(int(t, 0))
        return float(t)
    except ValueError:
        return None
