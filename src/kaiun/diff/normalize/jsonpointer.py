"""RFC 6901 JSON pointers: parse, read, remove and set (as ignoreDifferences uses them)."""

from __future__ import annotations

from typing import Any

from kaiun.diff.errors import IgnoreRuleError

_MISSING = object()


def parse_pointer(pointer: str) -> tuple[str, ...]:
    """The reference tokens of ``pointer`` (``~1`` is ``/``, ``~0`` is ``~``)."""
    if pointer == "":
        return ()
    if not pointer.startswith("/"):
        raise IgnoreRuleError(f"JSON pointer {pointer!r} must start with '/' (e.g. /spec/replicas)")
    return tuple(t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/"))


def _step(node: Any, token: str) -> Any:
    if isinstance(node, dict):
        return node.get(token, _MISSING)
    if isinstance(node, list) and token.isdigit() and int(token) < len(node):
        return node[int(token)]
    return _MISSING


def resolve(obj: Any, tokens: tuple[str, ...]) -> tuple[bool, Any]:
    """(found, value) at ``tokens`` below ``obj``."""
    node = obj
    for token in tokens:
        node = _step(node, token)
        if node is _MISSING:
            return False, None
    return True, node


def remove(obj: Any, tokens: tuple[str, ...]) -> None:
    """Remove the value at ``tokens`` in place; a missing path is not an error."""
    if not tokens:
        return
    found, parent = resolve(obj, tokens[:-1])
    last = tokens[-1]
    if not found:
        return
    if isinstance(parent, dict):
        parent.pop(last, None)
    elif isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        del parent[int(last)]


def assign(obj: Any, tokens: tuple[str, ...], value: Any) -> None:
    """Set the value at ``tokens`` in place, creating maps on the way."""
    node = obj
    for token in tokens[:-1]:
        nxt = _step(node, token)
        if nxt is _MISSING:
            if not isinstance(node, dict):
                return
            nxt = node[token] = {}
        node = nxt
    last = tokens[-1]
    if isinstance(node, dict):
        node[last] = value
    elif isinstance(node, list) and last.isdigit() and int(last) < len(node):
        node[int(last)] = value
