"""Client-side apply's three-way patch: fixture table, and the patch really reaches the config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaiun.kube import threeway

CASES = yaml.safe_load((Path(__file__).parent / "fixtures" / "threeway.yaml").read_text())


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_three_way_patch(case: dict[str, Any]) -> None:
    got = threeway.three_way_patch(
        case["original"], case["modified"], case["current"], strategic=case["strategic"]
    )
    assert got == case["patch"]


def _merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 applied naively, to check what a JSON merge patch does."""
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = _merge_patch(out.get(key), value)
    return out


scalars = st.one_of(st.integers(), st.text(max_size=3), st.booleans())
docs = st.recursive(
    st.dictionaries(st.sampled_from("abcd"), scalars, max_size=4),
    lambda inner: st.dictionaries(st.sampled_from("abcd"), inner | scalars, max_size=4),
    max_leaves=12,
)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(original=docs, modified=docs, extra=docs)
def test_merge_patch_reaches_the_new_config(
    original: dict[str, Any], modified: dict[str, Any], extra: dict[str, Any]
) -> None:
    # Live = what the last apply produced plus keys of another writer that the config never had.
    current = _merge_patch(extra, original)
    patch = threeway.three_way_patch(original, modified, current, strategic=False)
    result = _merge_patch(current, patch)
    # Every configured value ends up live.
    assert _merge_patch(result, modified) == result
    # Top-level keys dropped from the config are gone from live.
    for key in original:
        if key not in modified:
            assert key not in result


def test_builtin_groups() -> None:
    assert threeway.is_builtin("v1")
    assert threeway.is_builtin("apps/v1")
    assert not threeway.is_builtin("argoproj.io/v1alpha1")
    assert not threeway.is_builtin("gateway.networking.k8s.io/v1")
