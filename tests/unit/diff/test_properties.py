"""Property tests: quantities, self-diffs and JSON patches."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kaiun import diff
from kaiun.diff.normalize.quantity import parse_quantity

# Include field names with strategic-merge keys so keyed list merges get exercised.
keys = st.one_of(
    st.text("abcdefgh", min_size=1, max_size=4),
    st.sampled_from(["env", "name", "containers", "ports", "port", "containerPort"]),
)
scalars = st.one_of(st.integers(-5, 5), st.text("xyz", max_size=3), st.booleans())
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(keys, inner, min_size=1, max_size=3)
    ),
    max_leaves=12,
)
objects = st.dictionaries(keys, values, max_size=4).map(
    lambda spec: {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        **spec,
    }
)


@settings(deadline=None)  # correctness, not timing: CI machines are busy
@given(st.integers(0, 10**6), st.sampled_from(["", "m", "k", "Ki", "Mi", "Gi", "M"]))
def test_canonical_quantity_keeps_the_value(number: int, suffix: str) -> None:
    text = f"{number}{suffix}"
    canonical = diff.canonical_quantity(text)
    assert parse_quantity(canonical)[0] == parse_quantity(text)[0]  # type: ignore[index]
    assert diff.canonical_quantity(canonical) == canonical


@settings(deadline=None)  # correctness, not timing: CI machines are busy
@given(st.integers(1, 10**5))
def test_equal_quantities_spell_the_same(n: int) -> None:
    assert diff.canonical_quantity(f"{n * 1000}m") == diff.canonical_quantity(str(n))
    assert diff.canonical_quantity(f"{n * 1024}Ki") == diff.canonical_quantity(f"{n}Mi")
    assert diff.canonical_quantity(str(Decimal(n) / 1000)) == diff.canonical_quantity(f"{n}m")


@settings(deadline=None)  # correctness, not timing: CI machines are busy
@given(objects)
def test_an_object_is_in_sync_with_itself(obj: dict[str, Any]) -> None:
    assert not diff.diff(obj, copy.deepcopy(obj)).modified


def _apply(doc: Any, ops: list[dict[str, Any]]) -> Any:
    for op in ops:
        tokens = [t.replace("~1", "/").replace("~0", "~") for t in op["path"].split("/")[1:]]
        if not tokens:
            doc = op.get("value")
            continue
        parent = doc
        for token in tokens[:-1]:
            parent = parent[int(token)] if isinstance(parent, list) else parent[token]
        last: Any = int(tokens[-1]) if isinstance(parent, list) else tokens[-1]
        if op["op"] == "remove":
            del parent[last]
        else:
            parent[last] = op["value"]
    return doc


@settings(deadline=None)  # correctness, not timing: CI machines are busy
@given(values, values)
def test_json_patch_turns_source_into_target(source: Any, target: Any) -> None:
    patched = _apply(copy.deepcopy(source), diff.json_patch(source, target))
    assert patched == target


@settings(deadline=None)  # correctness, not timing: CI machines are busy
@given(objects, objects)
def test_diff_patch_reaches_the_predicted_live(
    config: dict[str, Any], live: dict[str, Any]
) -> None:
    result = diff.diff(config, live)
    patched = _apply(copy.deepcopy(result.normalized_live), result.json_patch)
    assert patched == result.predicted_live
    assert result.modified == (result.json_patch != [])


def _overlay(base: Any, extra: Any) -> Any:
    """``base`` with ``extra``'s fields added where ``base`` has none (server defaults)."""
    if isinstance(base, dict) and isinstance(extra, dict):
        out = dict(extra)
        for key, value in base.items():
            out[key] = _overlay(value, extra.get(key))
        return out
    return copy.deepcopy(base)


@settings(deadline=None)  # correctness, not timing: CI machines are busy
@given(objects, objects, st.booleans())
def test_fast_path_matches_the_full_path(
    config: dict[str, Any], extra: dict[str, Any], defaulted: bool
) -> None:
    live = _overlay(config, extra) if defaulted else extra
    fast = diff.diff(config, live)
    full = diff.diff(config, live, last_applied=config)
    assert fast.modified is full.modified


junk_metadata = st.one_of(
    values,
    st.dictionaries(
        st.sampled_from(["name", "annotations", "labels", "managedFields", "namespace"]),
        values,
        max_size=3,
    ),
)


@settings(deadline=None)  # correctness, not timing
@given(
    junk_metadata,
    junk_metadata,
    st.sampled_from(["v1", "apps/v1"]),
    st.sampled_from(["Secret", "Deployment"]),
)
def test_malformed_metadata_never_crashes(
    config_meta: Any, live_meta: Any, api_version: str, kind: str
) -> None:
    config = {"apiVersion": api_version, "kind": kind, "metadata": config_meta}
    live = {"apiVersion": api_version, "kind": kind, "metadata": live_meta}
    rules = (diff.IgnoreRule(json_pointers=("/metadata/labels",), managed_fields_managers=("m",)),)
    try:
        result = diff.diff(config, live, normalizer=diff.Normalizer(rules=rules))
        result.json_patch  # noqa: B018 - computing the outputs is the point
        result.unified_diff  # noqa: B018
    except diff.DiffInputError:
        pass  # a clear, documented refusal is fine; anything else is a bug
