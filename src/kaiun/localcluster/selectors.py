"""Label and field selectors, parsed once per request and matched per object."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


class SelectorError(ValueError):
    """A selector string Kubernetes would reject."""


@dataclass(frozen=True, slots=True)
class Requirement:
    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!"
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        has = self.key in labels
        if self.op == "exists":
            return has
        if self.op == "!":
            return not has
        if self.op in ("=", "in"):
            return has and labels[self.key] in self.values
        # "!=" and "notin" match objects that lack the key, as in Kubernetes.
        return not has or labels[self.key] not in self.values


_SET_RE = re.compile(r"^\s*([^\s!=,()]+)\s+(in|notin)\s+\(([^)]*)\)\s*")
_EQ_RE = re.compile(r"^\s*([^\s!=,()]+)\s*(==|=|!=)\s*([^\s,()]*)\s*")
_EXISTS_RE = re.compile(r"^\s*(!?)\s*([^\s!=,()]+)\s*")


def parse_labels(text: str) -> tuple[Requirement, ...]:
    """Parse ``app=web,tier in (a,b),!legacy``; empty text selects everything."""
    reqs: list[Requirement] = []
    rest = text.strip()
    while rest:
        if m := _SET_RE.match(rest):
            values = frozenset(v.strip() for v in m.group(3).split(",") if v.strip())
            reqs.append(Requirement(m.group(1), m.group(2), values))
        elif m := _EQ_RE.match(rest):
            op = "!=" if m.group(2) == "!=" else "="
            reqs.append(Requirement(m.group(1), op, frozenset([m.group(3)])))
        elif m := _EXISTS_RE.match(rest):
            reqs.append(Requirement(m.group(2), "!" if m.group(1) else "exists"))
        else:
            raise SelectorError(f"unable to parse requirement: {rest!r}")
        rest = rest[m.end() :]
        if rest.startswith(","):
            rest = rest[1:]
        elif rest:
            raise SelectorError(f"found '{rest[0]}', expected: ',' or end of string")
    return tuple(reqs)


def label_matcher(text: str | None) -> Callable[[Mapping[str, str]], bool] | None:
    """A predicate over labels, or None when the selector selects everything."""
    if not text:
        return None
    reqs = parse_labels(text)
    if not reqs:
        return None
    return lambda labels: all(r.matches(labels) for r in reqs)


def match_expressions(selector: Mapping[str, Any] | None) -> Callable[[Mapping[str, str]], bool]:
    """A predicate for a ``LabelSelector`` object (matchLabels + matchExpressions)."""
    selector = selector or {}
    reqs = [
        Requirement(k, "=", frozenset([str(v)]))
        for k, v in (selector.get("matchLabels") or {}).items()
    ]
    ops = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}
    for expr in selector.get("matchExpressions") or []:
        reqs.append(
            Requirement(expr["key"], ops[expr["operator"]], frozenset(expr.get("values") or ()))
        )
    return lambda labels: all(r.matches(labels) for r in reqs)


def field_matcher(text: str | None) -> Callable[[dict[str, Any]], bool] | None:
    """A predicate over a whole object for ``metadata.name=x,status.phase!=Running``."""
    if not text:
        return None
    checks: list[tuple[list[str], bool, str]] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        m = re.match(r"^([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*)$", part)
        if not m:
            raise SelectorError(f"invalid selector: '{part}'; can't understand '{part}'")
        checks.append((m.group(1).split("."), m.group(2) != "!=", m.group(3)))

    def match(obj: dict[str, Any]) -> bool:
        for path, equal, value in checks:
            cur: Any = obj
            for step in path:
                cur = cur.get(step) if isinstance(cur, dict) else None
            actual = "" if cur is None else str(cur)
            if (actual == value) != equal:
                return False
        return True

    return match
