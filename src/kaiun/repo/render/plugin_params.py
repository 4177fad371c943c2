"""Config Management Plugin parameter announcements: what the UI offers for a plugin app.

A plugin announces parameters statically (``spec.parameters.static``, the same for every
app) and dynamically (``spec.parameters.dynamic.command``, run in the app's directory,
printing a JSON list in the same shape). As in Argo CD the announcements only inform the
UI/API: the values a plugin receives are the ones the Application sets
(``spec.source.plugin.parameters``, passed as ``ARGOCD_APP_PARAMETERS`` and ``PARAM_*``);
announced defaults are the plugin author's promise, not something we inject.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from kaiun.repo.errors import SourceError

__all__ = ["normalize_announcements", "parse_dynamic_output"]

Obj = dict[str, Any]
_TEXT_FIELDS = ("title", "tooltip", "itemType", "collectionType", "string")


def _announcement(entry: Any, where: str) -> Obj:
    if not isinstance(entry, Mapping) or not entry.get("name"):
        raise SourceError(f"{where}: every parameter announcement needs a name")
    out: Obj = {"name": str(entry["name"])}
    for key in _TEXT_FIELDS:
        if entry.get(key) is not None:
            out[key] = str(entry[key])
    if entry.get("required") is not None:
        out["required"] = bool(entry["required"])
    if entry.get("array") is not None:
        if not isinstance(entry["array"], Sequence) or isinstance(entry["array"], str):
            raise SourceError(f"{where}: parameter {out['name']!r}: 'array' must be a list")
        out["array"] = [str(v) for v in entry["array"]]
    if entry.get("map") is not None:
        if not isinstance(entry["map"], Mapping):
            raise SourceError(f"{where}: parameter {out['name']!r}: 'map' must be a mapping")
        out["map"] = {str(k): str(v) for k, v in entry["map"].items()}
    return out


def normalize_announcements(entries: Iterable[Any], where: str) -> list[Obj]:
    """Announcements in Argo CD's ``ParameterAnnouncement`` JSON shape (values as strings,
    as the UI sends every value back to the plugin as a string)."""
    return [_announcement(e, where) for e in entries]


def parse_dynamic_output(text: str, plugin: str) -> list[Obj]:
    """The JSON list a plugin's ``parameters.dynamic.command`` printed, normalized."""
    where = f"plugin {plugin} dynamic parameters"
    try:
        doc = json.loads(text) if text.strip() else []
    except json.JSONDecodeError as exc:
        raise SourceError(f"{where}: output is not JSON ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(doc, list):
        raise SourceError(f"{where}: output must be a JSON list of parameter announcements")
    return normalize_announcements(doc, where)
