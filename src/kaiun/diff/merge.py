"""Three-way merge: the live object as it would be after applying the config.

Given the last-applied configuration (``orig``), the desired ``config`` and the ``live``
object, predict live-after-apply the way ``kubectl apply`` behaves: the config's values win,
fields the config removed since the last apply are deleted, and fields only live has —
defaulted by the API server, set by controllers or mutating webhooks — stay. Lists of
objects merge by their strategic-merge key (containers by ``name``, ports by ``port``…) or,
without one, item by item when the lengths agree; other lists are replaced.
"""

from __future__ import annotations

from typing import Any

# Strategic-merge keys of the built-in list fields, by field name.
MERGE_KEYS: dict[str, tuple[str, ...]] = {
    "containers": ("name",),
    "initContainers": ("name",),
    "ephemeralContainers": ("name",),
    "env": ("name",),
    "volumes": ("name",),
    "volumeMounts": ("mountPath",),
    "volumeDevices": ("devicePath",),
    "imagePullSecrets": ("name",),
    "hostAliases": ("ip",),
    "ports": ("containerPort", "port"),
    "ownerReferences": ("uid",),
    "conditions": ("type",),
    "topologySpreadConstraints": ("topologyKey",),
    "resourceClaims": ("name",),
}

_ABSENT: Any = object()
_EMPTY: dict[str, Any] = {}


def merge_key(field: str, items: list[Any]) -> str | None:
    """The key that identifies items of list ``field``, if every item carries it."""
    for key in MERGE_KEYS.get(field, ()):
        if items and all(isinstance(i, dict) and key in i for i in items):
            return key
    return None


def predict_live(orig: Any, config: Any, live: Any, field: str = "") -> Any:
    """Live after applying ``config`` over ``live``, given the last-applied ``orig``."""
    kind = type(config)
    if kind is dict:
        if type(live) is not dict:
            return config
        orig_map = orig if type(orig) is dict else _EMPTY
        result = dict(live)
        get = live.get
        for key, value in config.items():
            current = get(key, _ABSENT)
            if value == current and type(value) is type(current):
                continue  # equal subtrees: nothing to merge (most of an unchanged object)
            result[key] = predict_live(orig_map.get(key), value, current, key)
        if orig_map is not config:
            for key in orig_map:
                if key not in config:
                    result.pop(key, None)  # removed from Git since the last apply
        return result
    if kind is list and type(live) is list:
        key = merge_key(field, config)
        if key is not None:
            return _merge_keyed(orig, config, live, key)
        if (
            len(config) == len(live)
            and config
            and all(type(i) is dict for i in config)
            and all(type(i) is dict for i in live)
        ):
            origs = orig if type(orig) is list and len(orig) == len(config) else config
            return [predict_live(o, c, v) for o, c, v in zip(origs, config, live, strict=True)]
    return config


def _merge_keyed(orig: Any, config: list[Any], live: list[Any], key: str) -> list[Any]:
    """Merge keyed lists: config items in config order, live-only items where they were."""
    orig_by = {i[key]: i for i in (orig if isinstance(orig, list) else []) if isinstance(i, dict)}
    live_by = {i[key]: i for i in live if isinstance(i, dict) and key in i}
    config_ids = [c[key] for c in config]
    queue = iter(predict_live(orig_by.get(c[key]), c, live_by.get(c[key], _ABSENT)) for c in config)
    in_config = set(config_ids)
    result = []
    for item in live:
        ident = item.get(key) if isinstance(item, dict) else None
        if ident in in_config:
            merged = next(queue, _ABSENT)
            if merged is not _ABSENT:  # live may repeat a key (duplicate env names)
                result.append(merged)
        elif ident not in orig_by:
            result.append(item)  # added by a controller or webhook: not ours to remove
    result.extend(queue)  # config items live does not have yet
    return result
