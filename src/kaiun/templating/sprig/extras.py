"""The rest of Sprig's generic functions: paths, URLs, sequences, random strings, the
``must*`` spellings and aliases, so users' templates never hit "function not defined"."""

from __future__ import annotations

import random
import string
import urllib.parse
from collections.abc import Mapping
from typing import Any

from kaiun.templating.errors import FuncError
from kaiun.templating.gotemplate.funcs import Func
from kaiun.templating.sprig.convert import empty, strval, to_int64
from kaiun.templating.values import type_name

_RANDOM = random.SystemRandom()


def clean(path: str) -> str:
    """Go's ``path.Clean``: lexical, "." for empty, no trailing slash, ".." resolved."""
    if not path:
        return "."
    rooted = path.startswith("/")
    out: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if out and out[-1] != "..":
                out.pop()
            elif not rooted:
                out.append("..")
            continue
        out.append(part)
    joined = "/".join(out)
    if rooted:
        return "/" + joined
    return joined or "."


def base(path: str) -> str:
    """Go's ``path.Base``: the last element; "." for empty, "/" for only slashes."""
    if not path:
        return "."
    path = path.rstrip("/")
    if not path:
        return "/"
    return path.rsplit("/", 1)[-1]


def dirname(path: str) -> str:
    """Go's ``path.Dir``: everything but the last element, cleaned."""
    i = path.rfind("/")
    return clean(path[: i + 1])


def ext(path: str) -> str:
    """Go's ``path.Ext``: the suffix from the final dot of the last element."""
    for i in range(len(path) - 1, -1, -1):
        if path[i] == "/":
            break
        if path[i] == ".":
            return path[i:]
    return ""


def seq(*params: Any) -> str:
    """Sprig's ``seq``: like the ``seq`` utility, numbers joined by spaces."""
    nums = [to_int64(p) for p in params]
    if len(nums) == 1:
        start, step, end = 1, 1, nums[0]
        if end < start:
            step = -1
    elif len(nums) == 2:
        start, end = nums
        step = 1 if end >= start else -1
    elif len(nums) == 3:
        start, step, end = nums
        if step == 0 or (end < start and step > 0) or (end > start and step < 0):
            return ""
    else:
        return ""
    stop = end + (1 if step > 0 else -1)
    return " ".join(str(n) for n in range(start, stop, step))


def url_parse(v: str) -> dict[str, Any]:
    """Sprig's ``urlParse``: scheme, host, hostname, path, query, opaque, fragment, userinfo."""
    u = urllib.parse.urlsplit(v)
    userinfo = ""
    if "@" in u.netloc:
        userinfo = u.netloc.rsplit("@", 1)[0]
    return {
        "scheme": u.scheme,
        "host": u.netloc.rsplit("@", 1)[-1],
        "hostname": u.hostname or "",
        "path": u.path,
        "query": u.query,
        "opaque": "",
        "fragment": u.fragment,
        "userinfo": userinfo,
    }


def url_join(d: Mapping[str, Any] | None) -> str:
    """Sprig's ``urlJoin``: the inverse of ``urlParse``."""
    d = d or {}
    host = strval(d.get("host", ""))
    userinfo = strval(d.get("userinfo", ""))
    netloc = f"{userinfo}@{host}" if userinfo else host
    parts = (strval(d.get(k, "")) for k in ("scheme", "path", "query", "fragment"))
    scheme, path, query, fragment = parts
    return urllib.parse.urlunsplit((scheme, netloc, path, query, fragment))


def _rand(chars: str) -> Func:
    return Func(lambda n: "".join(_RANDOM.choice(chars) for _ in range(max(n, 0))), ("int",))


def _wrap_with(width: int, sep: str, s: str) -> str:
    from kaiun.templating.sprig.strings import FUNCS as STRINGS

    return str(STRINGS["wrap"].fn(width, s)).replace("\n", sep)


def _deep_equal(a: Any, b: Any) -> bool:
    return type(a) is type(b) and bool(a == b)


def _rand_int(lo: int, hi: int) -> int:
    if hi <= lo:
        raise FuncError("invalid argument to Intn")
    return _RANDOM.randrange(lo, hi)


FUNCS: dict[str, Func] = {
    "hello": Func(lambda: "Hello!", ()),
    "base": Func(base, ("str",)),
    "dir": Func(dirname, ("str",)),
    "clean": Func(clean, ("str",)),
    "ext": Func(ext, ("str",)),
    "isAbs": Func(lambda p: p.startswith("/"), ("str",)),
    "osBase": Func(base, ("str",)),
    "osDir": Func(dirname, ("str",)),
    "osClean": Func(clean, ("str",)),
    "osExt": Func(ext, ("str",)),
    "osIsAbs": Func(lambda p: p.startswith("/"), ("str",)),
    "urlParse": Func(url_parse, ("str",)),
    "urlJoin": Func(url_join, ("dict",)),
    "seq": Func(seq, (), "int"),
    "all": Func(lambda *v: all(not empty(x) for x in v), (), "any"),
    "any": Func(lambda *v: any(not empty(x) for x in v), (), "any"),
    "deepEqual": Func(_deep_equal, ("any", "any")),
    "typeIsLike": Func(lambda t, v: type_name(v) in (t, "*" + t), ("str", "any")),
    "wrapWith": Func(_wrap_with, ("int", "str", "str")),
    "randAlphaNum": _rand(string.ascii_letters + string.digits),
    "randAlpha": _rand(string.ascii_letters),
    "randNumeric": _rand(string.digits),
    "randAscii": _rand("".join(chr(c) for c in range(32, 127))),
    "randInt": Func(_rand_int, ("int", "int")),
    "shuffle": Func(lambda s: "".join(_RANDOM.sample(s, len(s))), ("str",)),
}

# Sprig's must* spellings return an error where the plain ones would panic; both end the
# render with "error calling <name>", so they share an implementation here.
ALIASES = {
    "trimall": "trimAll", "date_in_zone": "dateInZone", "date_modify": "dateModify",
    "mustDateModify": "dateModify", "must_date_modify": "dateModify", "biggest": "max",
    "mustCompact": "compact", "mustToRawJson": "toRawJson", "mustDeepCopy": "deepCopy",
    "mustMerge": "merge", "mustMergeOverwrite": "mergeOverwrite", "mustAppend": "append",
    "mustPush": "push", "mustPrepend": "prepend", "mustFirst": "first", "mustRest": "rest",
    "mustLast": "last", "mustInitial": "initial", "mustReverse": "reverse", "mustUniq": "uniq",
    "mustWithout": "without", "mustHas": "has", "mustSlice": "slice", "mustChunk": "chunk",
    "mustRegexFind": "regexFind", "mustRegexFindAll": "regexFindAll",
    "mustRegexReplaceAll": "regexReplaceAll",
    "mustRegexReplaceAllLiteral": "regexReplaceAllLiteral", "mustRegexSplit": "regexSplit",
}  # fmt: skip
