"""Semantic versions as Sprig exposes them (Masterminds/semver v3): ``semver`` and
``semverCompare`` with ``~``, ``^``, wildcards, ranges and ``||``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kaiun.templating.errors import FuncError
from kaiun.templating.gotemplate.funcs import Func

_VERSION = re.compile(
    r"v?(\d+)(?:\.(\d+))?(?:\.(\d+))?"
    r"(?:-([0-9A-Za-z\-]+(?:\.[0-9A-Za-z\-]+)*))?"
    r"(?:\+([0-9A-Za-z\-]+(?:\.[0-9A-Za-z\-]+)*))?"
)
_CONSTRAINT = re.compile(
    r"\s*(=>|=<|>=|<=|!=|~>|=|>|<|~|\^)?\s*"
    r"v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?"
    r"(?:-([0-9A-Za-z\-]+(?:\.[0-9A-Za-z\-]+)*))?"
    r"(?:\+[0-9A-Za-z\-]+(?:\.[0-9A-Za-z\-]+)*)?\s*"
)


_TERM = re.compile(r"(?:=>|=<|>=|<=|!=|~>|[=<>~^])?\s*v?[\dxX*][^\s,|]*")


@dataclass(frozen=True)
class Version:
    """A parsed semantic version; the methods are what templates call."""

    major: int
    minor: int
    patch: int
    pre: str
    meta: str
    original: str

    def Major(self) -> int:
        """The major number."""
        return self.major

    def Minor(self) -> int:
        """The minor number."""
        return self.minor

    def Patch(self) -> int:
        """The patch number."""
        return self.patch

    def Prerelease(self) -> str:
        """The pre-release part (after ``-``)."""
        return self.pre

    def Metadata(self) -> str:
        """The build metadata (after ``+``)."""
        return self.meta

    def Original(self) -> str:
        """The text it was parsed from."""
        return self.original

    def String(self) -> str:
        """Canonical ``1.2.3-pre+meta``."""
        s = f"{self.major}.{self.minor}.{self.patch}"
        return s + (f"-{self.pre}" if self.pre else "") + (f"+{self.meta}" if self.meta else "")

    def __str__(self) -> str:
        return self.String()


def parse_version(text: str) -> Version:
    """Parse a (possibly partial, ``v``-prefixed) semantic version."""
    m = _VERSION.fullmatch(text.strip())
    if m is None:
        raise FuncError("invalid semantic version")
    major, minor, patch, pre, meta = m.groups()
    return Version(int(major), int(minor or 0), int(patch or 0), pre or "", meta or "", text)


def _pre_key(pre: str) -> tuple[tuple[int, int, str], ...]:
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))


def compare(a: Version, b: Version) -> int:
    """-1, 0 or 1, by semver precedence (metadata ignored)."""
    ka, kb = (a.major, a.minor, a.patch), (b.major, b.minor, b.patch)
    if ka != kb:
        return -1 if ka < kb else 1
    if a.pre == b.pre:
        return 0
    if not a.pre:
        return 1
    if not b.pre:
        return -1
    pa, pb = _pre_key(a.pre), _pre_key(b.pre)
    return -1 if pa < pb else (1 if pa > pb else 0)


def _bound(nums: list[int | None], pre: str) -> Version:
    return Version(nums[0] or 0, nums[1] or 0, nums[2] or 0, pre, "", "")


def _check_one(op: str, parts: tuple[str | None, ...], pre: str, v: Version) -> bool:
    nums: list[int | None] = [None if p is None or p in "xX*" else int(p) for p in parts]
    if nums[0] is None:
        nums = [None, None, None]
    elif nums[1] is None:
        nums[2] = None
    if v.pre and not pre and op != "!=":
        return False
    lo = _bound(nums, pre)
    c = compare(v, lo)
    wildcard = None in nums
    if op in ("", "="):
        if not wildcard:
            return c == 0
        return _in_wild(nums, v)
    if op == "!=":
        return not (_in_wild(nums, v) if wildcard else c == 0)
    if op == ">":
        if wildcard:
            return nums[0] is not None and not _in_wild(nums, v) and c > 0
        return c > 0
    if op in (">=", "=>"):
        return c >= 0
    if op == "<":
        return c < 0
    if op in ("<=", "=<"):
        return c <= 0 or (wildcard and _in_wild(nums, v))
    if op in ("~", "~>"):
        hi = (
            [nums[0] or 0, (nums[1] or 0) + 1, 0]
            if nums[1] is not None
            else [(nums[0] or 0) + 1, 0, 0]
        )
        return c >= 0 and compare(v, _bound(list(hi), "")) < 0
    if op == "^":
        return c >= 0 and compare(v, _bound(_caret_hi(nums), "")) < 0
    raise FuncError(f"improper constraint: {op}")


def _caret_hi(nums: list[int | None]) -> list[int | None]:
    major, minor, patch = nums
    if major is None:
        return [1 << 62, 0, 0]
    if major > 0 or minor is None:
        return [major + 1, 0, 0]
    if minor > 0 or patch is None:
        return [0, minor + 1, 0]
    return [0, 0, patch + 1]


def _in_wild(nums: list[int | None], v: Version) -> bool:
    got = (v.major, v.minor, v.patch)
    return all(n is None or n == g for n, g in zip(nums, got, strict=True))


def check(constraint: str, version: str) -> bool:
    """Whether ``version`` satisfies ``constraint``."""
    v = parse_version(version)
    for group in constraint.split("||"):
        group = re.sub(
            r"(\S+)\s+-\s+(\S+)", lambda m: f">= {m.group(1)}, <= {m.group(2)}", group.strip()
        )
        terms = _TERM.findall(group)
        if not terms:
            raise FuncError(f"improper constraint: {constraint}")
        ok = True
        for term in terms:
            m = _CONSTRAINT.fullmatch(term)
            if m is None:
                raise FuncError(f"improper constraint: {constraint}")
            op, a, b, c, pre = m.groups()
            ok = ok and _check_one(op or "", (a, b, c), pre or "", v)
        if ok:
            return True
    return False


FUNCS: dict[str, Func] = {
    "semver": Func(parse_version, ("str",)),
    "semverCompare": Func(check, ("str", "str")),
}
