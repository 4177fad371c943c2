"""resolve_inside never hands back a path outside the repository root, whatever it is given."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaiun.repo import PathEscapeError
from kaiun.repo.sandbox import resolve_inside

segments = st.sampled_from(["..", ".", "", "a", "b", "link", "etc", "..."])
paths = st.builds(
    lambda lead, parts: ("/" if lead else "") + "/".join(parts),
    st.booleans(),
    st.lists(segments, max_size=8),
)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("sandbox")
    root = base / "repo"
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "link").symlink_to(base)  # leads out of the repository
    (root / "b").mkdir()
    (root / "b" / "link").symlink_to(root / "a")  # stays inside
    return root, root / "a"


@settings(max_examples=300, deadline=None)
@given(rel=paths)
def test_result_is_always_inside_root(tree: tuple[Path, Path], rel: str) -> None:
    root, base = tree
    try:
        resolved = resolve_inside(root, base, rel, what="path")
    except PathEscapeError as exc:
        assert str(root) not in str(exc)  # errors name the user's path, not server layout
        return
    real_root = root.resolve()
    assert resolved == real_root or real_root in resolved.parents
