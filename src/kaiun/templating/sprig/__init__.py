"""Sprig's template functions, as ApplicationSet and Argo CD notifications expose them.

``functions(clock=...)`` returns the table; ``env``, ``expandenv`` and ``getHostByName`` are
absent, as ApplicationSet removes them. ``now``/``ago`` use the injected clock (the room
reads none) and "Local" time is ``local`` (UTC unless told otherwise).
"""

from __future__ import annotations

import datetime as dt

from kaiun.templating.gotemplate.funcs import Func
from kaiun.templating.sprig import (
    appset,
    collections,
    convert,
    encoding,
    extras,
    goyaml,
    semver,
    strings,
)
from kaiun.templating.sprig.dates import DateFuncs, parse_duration
from kaiun.templating.values import Clock

__all__ = ["functions", "parse_duration"]


def functions(*, clock: Clock | None = None, local: dt.tzinfo = dt.UTC) -> dict[str, Func]:
    """The Sprig function table (plus ApplicationSet's ``normalize``, ``slugify``, YAML)."""
    table: dict[str, Func] = {}
    for part in (
        convert.FUNCS, strings.FUNCS, collections.FUNCS, encoding.FUNCS, goyaml.FUNCS,
        semver.FUNCS,
    ):  # fmt: skip
        table.update(part)
    table.update(DateFuncs(clock, local).table())
    table.update(extras.FUNCS)
    table.update(appset.FUNCS)
    for alias, name in extras.ALIASES.items():
        table[alias] = table[name]
    return table
