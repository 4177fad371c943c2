"""Go (RE2) regular expressions on Python's ``re``: the syntax that differs is translated.

RE2's ``\\d``, ``\\w`` and ``\\s`` are ASCII-only, it has POSIX classes (``[[:alpha:]]``),
``\\pL`` Unicode classes, ``\\Q...\\E`` quoting, ``\\z`` and ``(?<name>...)``; Python's ``re``
spells these differently or not at all.
"""

from __future__ import annotations

import re
from functools import lru_cache

_POSIX = {
    "alnum": "0-9A-Za-z", "alpha": "A-Za-z", "ascii": "\\x00-\\x7f", "blank": "\\t ",
    "cntrl": "\\x00-\\x1f\\x7f", "digit": "0-9", "graph": "!-~", "lower": "a-z",
    "print": " -~", "punct": "!-/:-@\\[-`{-~", "space": "\\t\\n\\v\\f\\r ", "upper": "A-Z",
    "word": "0-9A-Za-z_", "xdigit": "0-9A-Fa-f",
}  # fmt: skip
_IN_CLASS = {"d": "0-9", "w": "0-9A-Za-z_", "s": "\\t\\n\\f\\r "}
_OUTSIDE = {
    "d": "[0-9]", "D": "[^0-9]", "w": "[0-9A-Za-z_]", "W": "[^0-9A-Za-z_]",
    "s": "[\\t\\n\\f\\r ]", "S": "[^\\t\\n\\f\\r ]", "z": "\\Z",
}  # fmt: skip
_UNICODE = {"L": "[^\\W\\d_]", "N": "\\d", "Nd": "\\d"}
_UNICODE_NOT = {"L": "[\\W\\d_]", "N": "\\D", "Nd": "\\D"}


class RegexError(ValueError):
    """The pattern is not a valid Go regular expression."""


def _escape(pattern: str, i: int, in_class: bool) -> tuple[str, int]:
    """Translate the backslash sequence at ``i``; returns (text, next index)."""
    e = pattern[i + 1]
    if e == "Q":
        end = pattern.find("\\E", i + 2)
        end = len(pattern) if end < 0 else end
        return re.escape(pattern[i + 2 : end]), end + 2
    if e in "pP" and not in_class:
        if pattern.startswith("{", i + 2):
            close = pattern.find("}", i + 3)
            name, nxt = pattern[i + 3 : close], close + 1
        else:
            name, nxt = pattern[i + 2 : i + 3], i + 3
        table = _UNICODE if e == "p" else _UNICODE_NOT
        if name not in table:
            raise RegexError(f"invalid character class range: \\{e}{name}")
        return table[name], nxt
    if in_class and e in _IN_CLASS:
        return _IN_CLASS[e], i + 2
    if not in_class and e in _OUTSIDE:
        return _OUTSIDE[e], i + 2
    return pattern[i : i + 2], i + 2


def _class_start(pattern: str, i: int) -> tuple[str, int]:
    """``[`` with an optional ``^``: a leading ``]`` is a literal in both dialects."""
    text, i = "[", i + 1
    if pattern.startswith("^", i):
        text, i = text + "^", i + 1
    if pattern.startswith("]", i):
        text, i = text + "\\]", i + 1
    return text, i


def translate(pattern: str) -> str:
    """Python ``re`` syntax for a Go regular expression."""
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = False
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            text, i = _escape(pattern, i, in_class)
        elif in_class and pattern.startswith("[:", i) and _posix_at(pattern, i):
            close = pattern.find(":]", i + 2)
            text, i = _POSIX[pattern[i + 2 : close]], close + 2
        elif in_class:
            in_class = c != "]"
            text, i = c, i + 1
        elif c == "[":
            in_class = True
            text, i = _class_start(pattern, i)
        elif pattern.startswith("(?<", i) and not pattern.startswith(("(?<=", "(?<!"), i):
            text, i = "(?P<", i + 3
        else:
            text, i = c, i + 1
        out.append(text)
    return "".join(out)


def _posix_at(pattern: str, i: int) -> bool:
    close = pattern.find(":]", i + 2)
    return close > 0 and pattern[i + 2 : close] in _POSIX


@lru_cache(maxsize=512)
def compile_go(pattern: str) -> re.Pattern[str]:
    """Compile a Go regular expression; raises :class:`RegexError` with Go's wording."""
    try:
        return re.compile(translate(pattern))
    except (re.error, RegexError) as exc:
        raise RegexError(f"error parsing regexp: {exc}: `{pattern}`") from None
