"""Comparing desired and live objects: three-way (legacy) and server-side strategies.

``diff`` normalizes both sides, predicts the live object after an apply from the config and
the last-applied configuration (see ``merge``), and reports a difference when the
prediction differs from live. An unchanged pair is recognized on a fast path — the config
is already contained in live and nothing was removed since the last apply — without
copying or normalizing anything. ``server_side_diff`` takes the API server's dry-run apply
result as data; this room never calls the API.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from kaiun.diff.errors import DiffInputError
from kaiun.diff.merge import predict_live
from kaiun.diff.normalize import Normalizer, ignore, jqpaths, jsonpointer, managed_fields
from kaiun.diff.normalize.ignore import IgnoreRule
from kaiun.diff.normalize.known_types import LAST_APPLIED, annotations_of, metadata_of
from kaiun.diff.result import DiffResult

Obj = Mapping[str, Any]
DEFAULT_NORMALIZER = Normalizer()
_ABSENT: Any = object()


def _name(obj: Obj | None) -> str:
    if obj is None:
        return ""
    return f"{obj.get('kind', '')}/{metadata_of(obj).get('name', '')}"


def last_applied_of(live: Obj | None) -> dict[str, Any] | None:
    """The last-applied configuration recorded on ``live``, if any."""
    raw = annotations_of(live).get(LAST_APPLIED)
    if not raw or not isinstance(raw, str | bytes):
        return None
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise DiffInputError(f"{_name(live)}: invalid {LAST_APPLIED} annotation: {exc}") from exc
    return parsed if isinstance(parsed, dict) else None


def _contained(
    config: Mapping[str, Any],
    live: Any,
    _dict: Any = dict,
    _list: Any = list,
    _absent: Any = _ABSENT,
) -> bool:
    """Whether every field of the ``config`` map holds the same value in ``live``.

    Hot path of the in-sync check: C-level ``==`` settles equal subtrees and scalars,
    recursion only descends where live has extra (defaulted) fields. Lists are walked in
    place (one call less per level); a list of lists that differs answers False, which
    only sends the pair down the full path. Builtins are bound as defaults because local
    lookups are the fastest in CPython.
    """
    if type(live) is not _dict:
        return False
    get = live.get
    for key, value in config.items():
        other = get(key, _absent)
        if value == other:
            continue
        kind = type(value)
        if kind is _dict:
            if not _contained(value, other):
                return False
        elif kind is _list:
            if type(other) is not _list or len(value) != len(other):
                return False
            for a, b in zip(value, other, strict=True):
                if a != b and (type(a) is not _dict or not _contained(a, b)):
                    return False
        else:
            return False
    return True


def _nothing_removed(config: Obj, live: Obj) -> bool:
    """Whether the last apply had no field that the config has dropped since."""
    metadata = live.get("metadata")
    annotations = metadata.get("annotations") if type(metadata) is dict else None
    raw = annotations.get(LAST_APPLIED) if type(annotations) is dict else None
    if not raw or not isinstance(raw, str | bytes):
        return True
    encoded = raw.encode() if isinstance(raw, str) else raw
    if encoded.rstrip(b"\n") == orjson.dumps(config, option=orjson.OPT_SORT_KEYS):
        return True
    return last_applied_of(live) == config


def diff(
    config: Obj | None,
    live: Obj | None,
    *,
    normalizer: Normalizer | None = None,
    last_applied: Obj | None = None,
    use_last_applied: bool = True,
) -> DiffResult:
    """Compare desired ``config`` with ``live``.

    A missing live object or a config-less (extraneous) live object is always modified.
    ``last_applied`` defaults to live's ``kubectl.kubernetes.io/last-applied-configuration``;
    without one, the comparison is two-way (fields only live has are never drift).
    """
    norm = normalizer or DEFAULT_NORMALIZER
    if not (type(config) is dict and type(live) is dict):
        _require_objects(config, live)
    if config is None or live is None:
        return DiffResult(
            modified=True,
            compute=lambda: _missing_pair(norm, config, live),
            subject=config if config is not None else live,
            context=live,
        )
    if (
        last_applied is None
        and _contained(config, live)
        and (not use_last_applied or _nothing_removed(config, live))
    ):
        return DiffResult(
            modified=False,
            compute=lambda: _three_way(norm, config, live, None, use_last_applied),
            subject=config,
            context=live,
        )
    pair = _three_way(norm, config, live, last_applied, use_last_applied)
    return DiffResult(
        modified=pair[0] != pair[1], compute=lambda: pair, subject=config, context=live
    )


def _require_objects(*objects: object) -> None:
    for obj in objects:
        if obj is not None and not isinstance(obj, Mapping):
            raise DiffInputError(
                f"cannot compare a {type(obj).__name__}: expected a Kubernetes object (a mapping)"
            )


def _missing_pair(
    norm: Normalizer, config: Obj | None, live: Obj | None
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    norm_config, norm_live = norm.normalize_pair(config, live)
    return norm_live, norm_config


def _three_way(
    norm: Normalizer, config: Obj, live: Obj, last_applied: Obj | None, use_last_applied: bool
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    norm_config, norm_live = norm.normalize_pair(config, live)
    orig_raw = (
        last_applied
        if last_applied is not None
        else (last_applied_of(live) if use_last_applied else None)
    )
    if orig_raw is None or orig_raw == config:
        norm_orig = norm_config  # the common case: the last apply was this very config
    else:
        norm_orig = norm.normalize(orig_raw, rules_for=live)
    predicted = predict_live(norm_orig, norm_config, norm_live)
    return norm_live, predicted


def server_side_diff(
    config: Obj,
    live: Obj | None,
    dry_run: Obj,
    *,
    normalizer: Normalizer | None = None,
    include_mutation_webhook: bool = False,
) -> DiffResult:
    """Compare using the API server's dry-run apply result ``dry_run`` as the target.

    Unless ``include_mutation_webhook``, fields the dry run added that neither the config
    nor live has (mutating webhooks, new defaults) are left out of the target.
    """
    norm = normalizer or DEFAULT_NORMALIZER
    _require_objects(config, live, dry_run)
    rules_for = live if live is not None else config
    norm_config, norm_live = norm.normalize_pair(config, live)
    target = norm.normalize(dry_run, rules_for=rules_for) or {}
    if not include_mutation_webhook:
        target = _restrict(target, norm_config, norm_live if norm_live is not None else _ABSENT)
    if norm_live is None:
        return DiffResult(
            modified=True, compute=lambda: (None, target), subject=config, context=live
        )
    return DiffResult(
        modified=target != norm_live,
        compute=lambda: (norm_live, target),
        subject=config,
        context=live,
    )


def _restrict(target: Any, config: Any, live: Any) -> Any:
    """Keep from ``target`` what the config sets; elsewhere keep live's values."""
    if not isinstance(target, dict) or not isinstance(config, dict):
        return target
    live_map = live if isinstance(live, dict) else {}
    out = {}
    for key, value in target.items():
        if key in config:
            out[key] = _restrict(value, config[key], live_map.get(key, _ABSENT))
        elif key in live_map:
            out[key] = live_map[key]
    return out


def respect_ignore_differences(
    config: Obj, live: Obj | None, rules: Iterable[IgnoreRule]
) -> dict[str, Any]:
    """The object to apply under ``RespectIgnoreDifferences=true``.

    Ignored fields take their live value (or are dropped when live has none), so a sync
    does not overwrite what the diff was told to ignore.
    """
    target: dict[str, Any] = orjson.loads(orjson.dumps(config))
    if live is None:
        return target
    applicable = ignore.matching(rules, live)
    for rule in applicable:
        for pointer in rule.json_pointers:
            tokens = jsonpointer.parse_pointer(pointer)
            found, value = jsonpointer.resolve(live, tokens)
            if found:
                jsonpointer.assign(target, tokens, value)
            else:
                jsonpointer.remove(target, tokens)
        for expression in rule.jq_path_expressions:
            paths = jqpaths.selected_paths(live, expression)
            target = jqpaths.delete_paths(target, expression)
            for path in paths:
                tokens = tuple(str(p) for p in path)
                found, value = jsonpointer.resolve(live, tokens)
                if found:
                    jsonpointer.assign(target, tokens, value)
    managers = [m for r in applicable for m in r.managed_fields_managers]
    for trie in managed_fields.owned_tries(live, managers):
        managed_fields.remove_owned(target, trie)
    return target
