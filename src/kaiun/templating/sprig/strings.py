"""Sprig's string functions: case, trimming, quoting, indentation, splitting, regexes."""

from __future__ import annotations

import re
from typing import Any

from kaiun.templating import gofmt, goregex
from kaiun.templating.errors import FuncError
from kaiun.templating.gotemplate.funcs import Func
from kaiun.templating.sprig.convert import strslice, strval


def go_split(s: str, sep: str, n: int = -1) -> list[str]:
    """Go's ``strings.SplitN`` (an empty separator splits into characters)."""
    if n == 0:
        return []
    if sep == "":
        chars = list(s)
        if 0 < n < len(chars):
            return [*chars[: n - 1], "".join(chars[n - 1 :])]
        return chars
    return s.split(sep) if n < 0 else s.split(sep, n - 1)


def _is_sep(c: str) -> bool:
    if c.isascii():
        return not (c.isalnum() or c == "_")
    return c.isspace()


def title(s: str) -> str:
    """Go's (deprecated) ``strings.Title``: upper-case the first letter of each word."""
    out: list[str] = []
    prev = " "
    for c in s:
        out.append(c.upper() if _is_sep(prev) else c)
        prev = c
    return "".join(out)


def untitle(s: str) -> str:
    """Lower-case the first letter of each word."""
    out: list[str] = []
    prev = " "
    for c in s:
        out.append(c.lower() if _is_sep(prev) else c)
        prev = c
    return "".join(out)


def _kind(c: str) -> str:
    if c.isspace() or c in "-_":
        return "sep"
    if c.isupper():
        return "upper"
    if c.islower():
        return "lower"
    if c.isdigit():
        return "digit"
    return "other"


def _boundary(s: str, i: int, prev: str) -> bool:
    """Whether a new word starts at ``s[i]`` (xstrings' rules, learned from its behaviour)."""
    kind = _kind(s[i])
    if kind == "upper":
        if prev in ("lower", "other"):
            return True
        # The last capital of an acronym starts the next word: HTTPServer -> http_server.
        return prev == "upper" and i + 1 < len(s) and _kind(s[i + 1]) == "lower"
    if kind == "digit":
        if prev == "other":  # only after an invalid character (U+FFFD), not punctuation
            return s[i - 1] == "\ufffd"
        if prev in ("lower", "upper"):
            j = i
            while j < len(s) and _kind(s[j]) == "digit":
                j += 1
            return j < len(s) and _kind(s[j]) in ("lower", "upper")
    return False


def _delimited(s: str, sep: str) -> str:
    out: list[str] = []
    prev = "sep"
    for i, c in enumerate(s):
        kind = _kind(c)
        if kind == "sep":
            out.append(sep)
        else:
            if _boundary(s, i, prev) and prev != "sep":
                out.append(sep)
            out.append(c.lower())
        prev = kind
    return "".join(out)


def snakecase(s: str) -> str:
    """xstrings' ``ToSnakeCase``: ``FirstName`` -> ``first_name``."""
    return _delimited(s, "_")


def kebabcase(s: str) -> str:
    """xstrings' ``ToKebabCase``: ``FirstName`` -> ``first-name``."""
    return _delimited(s, "-")


def camelcase(s: str) -> str:
    """xstrings' ``ToCamelCase``: ``foo_bar baz`` -> ``FooBarBaz``; edge separators stay.

    A word whose second letter is upper case is an acronym and is folded (``HTTP`` ->
    ``Http``); other words keep their inner capitals (``CamelCaseID``).
    """
    parts = re.split(r"([\s_\-]+)", s)
    out: list[str] = []
    for i, part in enumerate(parts):
        if i % 2:  # a separator run: kept at the edges, one character dropped inside
            edge = (i == 1 and parts[0] == "") or (i == len(parts) - 2 and parts[-1] == "")
            out.append(part if edge else part[1:])
        elif part:
            rest = part[1:].lower() if part[1:2].isupper() else part[1:]
            out.append(part[0].upper() + rest)
    return "".join(out)


def nospace(s: str) -> str:
    """Sprig's ``nospace`` drops whitespace byte by byte (and so mangles non-ASCII, as Go's)."""
    return "".join(chr(b) for b in s.encode() if not chr(b).isspace())


def swapcase(s: str) -> str:
    """Swap the case of every letter."""
    return s.swapcase()


def _trunc(c: int, s: str) -> str:
    b = s.encode()
    if c < 0 and len(b) + c > 0:
        return b[len(b) + c :].decode(errors="replace")
    if c >= 0 and len(b) > c:
        return b[:c].decode(errors="replace")
    return s


def _substr(start: int, end: int, s: str) -> str:
    b = s.encode()
    if start < 0:
        return b[:end].decode(errors="replace")
    if end < 0 or end > len(b):
        return b[start:].decode(errors="replace")
    if start > end:
        raise FuncError(f"runtime error: slice bounds out of range [{start}:{end}]")
    return b[start:end].decode(errors="replace")


def _abbrev(width: int, s: str) -> str:
    if width < 4 or len(s) <= width:
        return s
    return s[: width - 3] + "..."


def _quote(*v: Any) -> str:
    return " ".join(gofmt.quote(strval(x)) for x in v if x is not None)


def _squote(*v: Any) -> str:
    return " ".join(f"'{strval(x)}'" for x in v if x is not None)


def _cat(*v: Any) -> str:
    return " ".join(gofmt.format_value(x) for x in v if x is not None)


def _repeat(count: int, s: str) -> str:
    if count < 0:
        raise FuncError("strings: negative Repeat count")
    return s * count


def _indent(spaces: int, v: str) -> str:
    pad = _repeat(spaces, " ")
    return pad + v.replace("\n", "\n" + pad)


def _wrap(width: int, s: str) -> str:
    lines: list[str] = []
    for para in s.split("\n"):
        line = ""
        for word in para.split(" "):
            if line and len(line) + 1 + len(word) > width:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        lines.append(line)
    return "\n".join(lines)


# -- regular expressions (Go RE2 syntax mapped onto Python's re) ---------------------------


def go_regex(pattern: str) -> re.Pattern[str]:
    """Compile a Go (RE2) regular expression, failing as a template function does."""
    try:
        return goregex.compile_go(pattern)
    except goregex.RegexError as exc:
        raise FuncError(str(exc)) from None


_TEMPLATE_REF = re.compile(r"\$(\$|\{(\w+)\}|(\w+))")


def go_expand(template: str, m: re.Match[str]) -> str:
    """Go's ``Regexp.Expand``: ``$1``, ``${1}``, ``$name``, ``$$``; unknown groups are empty."""

    def ref(r: re.Match[str]) -> str:
        if r.group(1) == "$":
            return "$"
        name = r.group(2) or r.group(3)
        try:
            value = m.group(int(name)) if name.isdigit() else m.group(name)
        except IndexError:
            return ""
        return value or ""

    return _TEMPLATE_REF.sub(ref, template)


def _replace_all(regex: str, s: str, repl: str) -> str:
    return go_regex(regex).sub(lambda m: go_expand(repl, m), s)


def _find_all(regex: str, s: str, n: int) -> list[str]:
    found = [m.group(0) for m in go_regex(regex).finditer(s)]
    return found if n < 0 else found[:n]


def _regex_split(regex: str, s: str, n: int) -> list[str]:
    if n == 0:
        return []
    if regex and s == "":
        return [""]
    parts = go_regex(regex).split(s, maxsplit=0 if n < 0 else n - 1)
    return [p for p in parts if p is not None]


def _must_match(regex: str, s: str) -> bool:
    return go_regex(regex).search(s) is not None


def _match(regex: str, s: str) -> bool:
    try:
        return _must_match(regex, s)
    except FuncError:
        return False


def _split_map(sep: str, orig: str, n: int = -1) -> dict[str, Any]:
    return {f"_{i}": v for i, v in enumerate(go_split(orig, sep, n))}


S, N = "str", "int"
FUNCS: dict[str, Func] = {
    "upper": Func(str.upper, (S,)),
    "lower": Func(str.lower, (S,)),
    "title": Func(title, (S,)),
    "untitle": Func(untitle, (S,)),
    "swapcase": Func(swapcase, (S,)),
    "snakecase": Func(snakecase, (S,)),
    "camelcase": Func(camelcase, (S,)),
    "kebabcase": Func(kebabcase, (S,)),
    "trim": Func(lambda s: s.strip(), (S,)),
    "trimAll": Func(lambda cut, s: s.strip(cut), (S, S)),
    "trimPrefix": Func(lambda p, s: s[len(p) :] if p and s.startswith(p) else s, (S, S)),
    "trimSuffix": Func(lambda p, s: s[: -len(p)] if p and s.endswith(p) else s, (S, S)),
    "nospace": Func(nospace, (S,)),
    "replace": Func(lambda old, new, src: src.replace(old, new), (S, S, S)),
    "contains": Func(lambda sub, s: sub in s, (S, S)),
    "hasPrefix": Func(lambda p, s: s.startswith(p), (S, S)),
    "hasSuffix": Func(lambda p, s: s.endswith(p), (S, S)),
    "quote": Func(_quote, (), "any"),
    "squote": Func(_squote, (), "any"),
    "cat": Func(_cat, (), "any"),
    "indent": Func(_indent, (N, S)),
    "nindent": Func(lambda n, v: "\n" + _indent(n, v), (N, S)),
    "trunc": Func(_trunc, (N, S)),
    "substr": Func(_substr, (N, N, S)),
    "abbrev": Func(_abbrev, (N, S)),
    "repeat": Func(_repeat, (N, S)),
    "wrap": Func(_wrap, (N, S)),
    "plural": Func(lambda one, many, n: one if n == 1 else many, (S, S, N)),
    "initials": Func(lambda s: "".join(w[0] for w in s.split()), (S,)),
    "split": Func(_split_map, (S, S)),
    "splitn": Func(lambda sep, n, s: _split_map(sep, s, n), (S, N, S)),
    "splitList": Func(lambda sep, s: go_split(s, sep), (S, S)),
    "join": Func(lambda sep, v: sep.join(strslice(v)), (S, "any")),
    "sortAlpha": Func(
        lambda v: sorted(strslice(v)) if isinstance(v, list | tuple) else [strval(v)], ("any",)
    ),
    "regexMatch": Func(_match, (S, S)),
    "mustRegexMatch": Func(_must_match, (S, S)),
    "regexFind": Func(lambda r, s: m.group(0) if (m := go_regex(r).search(s)) else "", (S, S)),
    "regexFindAll": Func(_find_all, (S, S, N)),
    "regexReplaceAll": Func(_replace_all, (S, S, S)),
    "regexReplaceAllLiteral": Func(
        lambda r, s, repl: go_regex(r).sub(lambda _: repl, s), (S, S, S)
    ),
    "regexSplit": Func(_regex_split, (S, S, N)),
    "regexQuoteMeta": Func(lambda s: re.sub(r"([\\.+*?()|\[\]{}^$])", r"\\\1", s), (S,)),
}
