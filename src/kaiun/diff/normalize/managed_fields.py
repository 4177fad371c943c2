"""Fields owned by given field managers (``managedFieldsManagers``), read from managedFields.

``fieldsV1`` is a trie: ``f:<name>`` a map key, ``k:<json>`` a list item matched by its
keys, ``v:<json>`` a set element, ``.`` the node itself. Fields owned by a listed manager
are removed from both sides, so whatever that manager sets is never drift. A list item
whose ``.`` the manager owns was added by it and is removed whole; in a map, only the
owned keys go, since other managers may own the rest.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any


def owned_tries(live: Mapping[str, Any], managers: Iterable[str]) -> list[Mapping[str, Any]]:
    """The ``fieldsV1`` tries of ``live``'s managedFields entries from ``managers``."""
    wanted = set(managers)
    metadata = live.get("metadata")
    if not wanted or not isinstance(metadata, Mapping):
        return []
    entries = metadata.get("managedFields")
    if not isinstance(entries, list):
        return []
    return [
        e["fieldsV1"]
        for e in entries
        if isinstance(e, Mapping)
        and e.get("manager") in wanted
        and isinstance(e.get("fieldsV1"), dict)
    ]


def remove_owned(obj: Any, trie: Mapping[str, Any]) -> None:
    """Remove in place the fields of ``obj`` that ``trie`` marks as owned."""
    if isinstance(obj, dict):
        for token, sub in trie.items():
            if not token.startswith("f:"):
                continue
            name = token[2:]
            if name not in obj:
                continue
            if _is_leaf(sub):
                del obj[name]
            else:
                remove_owned(obj[name], sub)
    elif isinstance(obj, list):
        doomed = []
        for token, sub in trie.items():
            index = _list_index(obj, token)
            if index is None:
                continue
            # Owning a list item's "." means the manager added the item: it goes whole.
            if _is_leaf(sub) or (isinstance(sub, Mapping) and "." in sub):
                doomed.append(index)
            else:
                remove_owned(obj[index], sub)
        for index in sorted(doomed, reverse=True):
            del obj[index]


def _is_leaf(sub: Any) -> bool:
    return not isinstance(sub, Mapping) or not any(k.startswith(("f:", "k:", "v:")) for k in sub)


def _list_index(items: list[Any], token: str) -> int | None:
    if token.startswith("k:"):
        try:
            keys = json.loads(token[2:])
        except ValueError:
            return None
        for i, item in enumerate(items):
            if isinstance(item, Mapping) and all(item.get(k) == v for k, v in keys.items()):
                return i
    elif token.startswith("v:"):
        try:
            value = json.loads(token[2:])
        except ValueError:
            return None
        for i, item in enumerate(items):
            if item == value:
                return i
    return None
