"""The functions ApplicationSet adds to Sprig: ``normalize`` and ``slugify``."""

from __future__ import annotations

import re
from typing import Any

from kaiun.templating.errors import FuncError
from kaiun.templating.gotemplate.funcs import Func

_INVALID_DNS = re.compile(r"[^-a-z0-9.]")
_MAX_DNS = 253


def normalize(name: str) -> str:
    """A DNS-safe name: lower case, other characters to ``-``, at most 253, trimmed of ``-.``."""
    name = _INVALID_DNS.sub("-", name.lower())[:_MAX_DNS]
    return name.strip("-.")


def slugify(*args: Any) -> str:
    """``slugify [maxSize] [smartTruncate] name``: a URL-safe slug of at most ``maxSize``."""
    if not args:
        raise FuncError("slugify needs a name")
    max_size, smart, name = 50, True, args[-1]
    if len(args) >= 2:
        max_size = int(args[0])
    if len(args) >= 3:
        smart = bool(args[1])
    if not isinstance(name, str):
        raise FuncError(f"slugify: name must be a string, not {type(name).__name__}")
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    if len(slug) <= max_size:
        return slug
    if smart:
        cut = slug[: max_size + 1].rfind("-")
        if cut > 0:
            return slug[:cut].strip("-")
    return slug[:max_size].strip("-")


FUNCS: dict[str, Func] = {
    "normalize": Func(normalize, ("str",)),
    "slugify": Func(slugify, (), "any"),
}
