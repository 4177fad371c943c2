"""The two glob dialects AppProject policy speaks, matched the way Argo CD's Go code does.

``match`` follows gobwas/glob (Argo CD's ``util/glob``): ``*`` (no separator), ``**`` (any),
``?``, ``[abc]``/``[a-z]``/``[!abc]``, ``{a,b}`` alternatives and ``\\`` escapes, with an
optional set of separator characters. ``path_match`` follows Go's ``filepath.Match``, which
Argo CD uses for resource group/kind lists: ``*``, ``?``, ``[...]`` with ``^`` negation, ``\\``
escapes, ``/`` as the separator, no alternatives. A malformed pattern matches nothing, as in Go.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["is_negated", "match", "match_negatable", "path_match"]


class _BadPattern(ValueError):
    """The pattern does not compile (Go returns an error; callers treat it as no match)."""


def _char_class(pattern: str, i: int, negators: str, seps: str) -> tuple[str, int]:
    """Translate ``[...]`` starting after the ``[`` at ``i``; return (regex, index after ``]``)."""
    n = len(pattern)
    negate = i < n and pattern[i] in negators
    if negate:
        i += 1
    items: list[str] = []
    first = True
    while True:
        if i >= n:
            raise _BadPattern("unterminated character class")
        c = pattern[i]
        if c == "]" and not first:
            i += 1
            break
        first = False
        if c == "\\":
            i += 1
            if i >= n:
                raise _BadPattern("trailing escape")
            c = pattern[i]
        lo = c
        i += 1
        if i + 1 < n and pattern[i] == "-" and pattern[i + 1] != "]":
            hi = pattern[i + 1]
            if hi == "\\":
                if i + 2 >= n:
                    raise _BadPattern("trailing escape")
                hi = pattern[i + 2]
                i += 1
            i += 2
            if hi < lo:
                raise _BadPattern("bad range")
            items.append(f"{re.escape(lo)}-{re.escape(hi)}")
        else:
            items.append(re.escape(lo))
    body = "".join(items)
    if negate:
        # A negated class never matches a separator either (both Go libraries agree).
        return f"[^{body}{re.escape(seps)}]", i
    return f"[{body}]", i


def _translate(pattern: str, seps: str, *, braces: bool, negators: str) -> str:
    """Regex source for ``pattern`` (anchoring is the caller's)."""
    out: list[str] = []
    any_char = f"[^{re.escape(seps)}]" if seps else "."
    i, n = 0, len(pattern)
    depth = 0
    while i < n:
        c = pattern[i]
        if c == "*":
            if braces and i + 1 < n and pattern[i + 1] == "*":
                out.append("(?s:.*)")
                i += 2
                continue
            out.append(f"{any_char}*")
        elif c == "?":
            out.append(any_char)
        elif c == "[":
            cls, i = _char_class(pattern, i + 1, negators, seps)
            out.append(cls)
            continue
        elif c == "\\":
            if i + 1 >= n:
                raise _BadPattern("trailing escape")
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        elif braces and c == "{":
            depth += 1
            out.append("(?:")
        elif braces and c == "}" and depth:
            depth -= 1
            out.append(")")
        elif braces and c == "," and depth:
            out.append("|")
        else:
            out.append(re.escape(c))
        i += 1
    if depth:
        raise _BadPattern("unterminated alternatives")
    return "".join(out)


@lru_cache(maxsize=4096)
def _compiled(pattern: str, seps: str, go_path: bool) -> re.Pattern[str] | None:
    try:
        if go_path:
            source = _translate(pattern, "/", braces=False, negators="^")
        else:
            source = _translate(pattern, seps, braces=True, negators="!")
        return re.compile(rf"(?s:{source})\Z")
    except (_BadPattern, re.error):
        return None


def match(pattern: str, value: str, separators: str = "") -> bool:
    """gobwas/glob ``Match``: does ``value`` match ``pattern`` (``*`` stops at ``separators``)?"""
    compiled = _compiled(pattern, separators, False)
    return compiled is not None and compiled.match(value) is not None


def is_negated(pattern: str) -> bool:
    """Does a project pattern deny (``!`` prefix) rather than allow?"""
    return pattern.startswith("!")


def match_negatable(pattern: str, value: str, separators: str = "") -> bool:
    """Argo CD's ``globMatch`` with negation: ``!p`` matches what ``p`` does not; ``*`` all."""
    if is_negated(pattern):
        return not match(pattern[1:], value, separators)
    if pattern == "*":
        return True
    return match(pattern, value, separators)


def path_match(pattern: str, value: str) -> bool:
    """Go ``filepath.Match`` (``/`` separated); a malformed pattern matches nothing."""
    compiled = _compiled(pattern, "/", True)
    return compiled is not None and compiled.match(value) is not None
