"""Go's ``encoding/base64`` StdEncoding decode errors, as a Secret's ``data`` hits them.

A real API server decodes ``data`` values while reading the request body and answers
400 with Go's ``illegal base64 data at input byte N``; ``corrupt_offset`` finds that N.
"""

from __future__ import annotations

import string

_ALPHABET = frozenset(string.ascii_letters + string.digits + "+/")
_NEWLINES = ("\n", "\r")


def _skip_newlines(src: str, si: int) -> int:
    while si < len(src) and src[si] in _NEWLINES:
        si += 1
    return si


def _padding(src: str, si: int, j: int) -> tuple[int, int | None]:
    """Handle a ``=`` met at quantum position ``j`` (already consumed); return (si, error)."""
    if j in (0, 1):
        return si, si - 1
    if j == 2:
        si = _skip_newlines(src, si)
        if si == len(src):
            return si, len(src)
        if src[si] != "=":
            return si, si - 1
        si += 1
    si = _skip_newlines(src, si)
    if si < len(src):
        return si, si
    return si, None


def _quantum(src: str, si: int) -> tuple[int, int | None, bool]:
    """Decode one 4-character quantum from ``si``: (next si, error offset, finished)."""
    j = 0
    while j < 4:
        if si == len(src):
            if j == 0:
                return si, None, True
            return si, si - j, True
        char = src[si]
        si += 1
        if char in _ALPHABET:
            j += 1
            continue
        if char in _NEWLINES:
            continue
        if char != "=":
            return si, si - 1, True
        si, error = _padding(src, si, j)
        return si, error, True
    return si, None, False


def corrupt_offset(text: str) -> int | None:
    """The byte offset Go reports for ``text``, or ``None`` when it decodes."""
    src = text
    si = 0
    while si < len(src):
        si, error, finished = _quantum(src, si)
        if error is not None:
            return len(src[:error].encode())
        if finished:
            break
    return None
