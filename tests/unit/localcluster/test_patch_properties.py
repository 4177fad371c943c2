"""Property tests: patches computed from two documents turn one into the other."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kaiun.localcluster import patch
from kaiun.localcluster.jsonvalue import deep_copy, json_equal

KEYS = st.text(alphabet="abc/~$-", min_size=1, max_size=3).filter(lambda k: not k.startswith("$"))
SCALARS = st.one_of(
    st.booleans(),
    st.integers(-5, 5),
    st.text(max_size=3),
    st.floats(allow_nan=False, allow_infinity=False),
)


def _values(nulls: bool) -> st.SearchStrategy[Any]:
    leaves = st.one_of(SCALARS, st.none()) if nulls else SCALARS
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=3)
        ),
        max_leaves=12,
    )


DOCS = st.dictionaries(KEYS, _values(nulls=False), max_size=4)


def _merge_patch_between(a: Any, b: Any) -> Any:
    """The RFC 7386 patch taking ``a`` to ``b`` (neither holds nulls)."""
    if not isinstance(a, dict) or not isinstance(b, dict):
        return deep_copy(b)
    out: dict[str, Any] = {k: None for k in a if k not in b}
    for key, value in b.items():
        if key not in a:
            out[key] = deep_copy(value)
        elif not json_equal(a[key], value):
            out[key] = _merge_patch_between(a[key], value) if isinstance(value, dict) else value
    return out


def _pointers(doc: Any, prefix: str = "") -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    items = (
        doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else []
    )
    for key, value in items:
        token = str(key).replace("~", "~0").replace("/", "~1")
        found.append((f"{prefix}/{token}", value))
        found.extend(_pointers(value, f"{prefix}/{token}"))
    return found


@settings(max_examples=100, deadline=None)
@given(DOCS, DOCS)
def test_merge_patch_between_two_documents(a: dict[str, Any], b: dict[str, Any]) -> None:
    diff = _merge_patch_between(a, b)
    assert json_equal(patch.merge_patch(a, diff), b)


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(KEYS, _values(nulls=True), max_size=4),
    st.dictionaries(KEYS, _values(nulls=True), max_size=4),
)
def test_merge_patch_is_idempotent(doc: dict[str, Any], diff: dict[str, Any]) -> None:
    once = patch.merge_patch(doc, diff)
    assert json_equal(patch.merge_patch(once, diff), once)


@settings(max_examples=100, deadline=None)
@given(DOCS, DOCS)
def test_strategic_patch_of_unknown_kind_is_a_merge_patch(
    a: dict[str, Any], b: dict[str, Any]
) -> None:
    diff = _merge_patch_between(a, b)
    got = patch.strategic_merge_patch(a, diff, group="example.com", kind="Thing")
    assert json_equal(got, patch.merge_patch(a, diff))


@settings(max_examples=100, deadline=None)
@given(DOCS)
def test_json_patch_test_remove_add_round_trip(doc: dict[str, Any]) -> None:
    for pointer, value in _pointers(doc):
        ops = [
            {"op": "test", "path": pointer, "value": value},
            {"op": "remove", "path": pointer},
            {"op": "add", "path": pointer, "value": value},
        ]
        assert json_equal(patch.json_patch(doc, ops), doc)


@settings(max_examples=100, deadline=None)
@given(DOCS)
def test_json_patch_copy_then_move_back(doc: dict[str, Any]) -> None:
    for pointer, value in _pointers(doc):
        ops = [
            {"op": "copy", "from": pointer, "path": "/~1copy"},
            {"op": "test", "path": "/~1copy", "value": value},
            {"op": "move", "from": "/~1copy", "path": "/~1moved"},
            {"op": "remove", "path": "/~1moved"},
        ]
        if "/copy" in doc or "/moved" in doc:
            continue
        assert json_equal(patch.json_patch(doc, ops), doc)
