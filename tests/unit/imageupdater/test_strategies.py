"""Update strategies and tag filters, from a fixture table (annotations in, tag out)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from kaiun.controllers.imageupdater import appannotations, strategies
from kaiun.controllers.imageupdater.errors import ConstraintError
from kaiun.controllers.imageupdater.model import ImageSpec
from kaiun.controllers.imageupdater.strategies import ImageVariant, TagMetadata

CASES = yaml.safe_load((Path(__file__).parent / "fixtures" / "strategies.yaml").read_text())
P = appannotations.PREFIX


def _spec(case: dict[str, Any]) -> ImageSpec:
    alias = case.get("alias", "app")
    notes = {appannotations.IMAGE_LIST: case["image"]}
    for key, value in (case.get("settings") or {}).items():
        notes[f"{P}{alias}.{key}"] = value
    parsed = appannotations.parse(notes)
    assert parsed is not None
    return parsed.images[0]


def _metadata(case: dict[str, Any]) -> dict[str, TagMetadata]:
    out = {}
    for tag, created in (case.get("created") or {}).items():
        when = dt.datetime.fromisoformat(created[:19] + "+00:00")
        platforms = (case.get("platforms") or {}).get(tag, ["linux/amd64"])
        variants = tuple(ImageVariant(*p.split("/"), created=when) for p in platforms)
        out[tag] = TagMetadata(tag, f"sha256:{tag}", variants)
    return out


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_strategy_table(case: dict[str, Any]) -> None:
    spec = _spec(case)
    found = strategies.candidates(spec, case["tags"])
    choice = strategies.choose(spec, found, _metadata(case))
    assert choice.tag == case["expect"]
    assert choice.reason
    for tag, why in (case.get("dropped") or {}).items():
        if why is None:
            continue
        assert why in choice.dropped[tag]
    if "digest" in case:
        assert choice.digest == case["digest"]
    if "warning" in case:
        assert any(case["warning"] in w for w in spec.warnings)
    else:
        assert case["expect"] is None or not spec.warnings


@pytest.mark.parametrize("bad", ["foo", ">=1.0 bar", "~1.2 ||", "1.2.3.4.5 !!"])
def test_unparsable_constraint_is_a_clear_error(bad: str) -> None:
    spec = _spec({"image": f"app=example.com/app:{bad}"})
    with pytest.raises(ConstraintError, match="cannot parse version constraint"):
        strategies.candidates(spec, ["1.0.0"])


def test_needs_update() -> None:
    choice = strategies.Choice("1.2.0", "sha256:b", "why")
    assert strategies.needs_update(choice, current_tag="1.1.0")
    assert not strategies.needs_update(choice, current_tag="1.2.0", current_digest="sha256:b")
    assert strategies.needs_update(choice, current_tag="1.2.0", current_digest="sha256:a")
    assert not strategies.needs_update(strategies.Choice(None, "", "x"), current_tag="1.0")


@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30), st.integers(0, 30)), min_size=1))
def test_semver_choice_is_the_maximum(versions: list[tuple[int, int, int]]) -> None:
    tags = [f"{a}.{b}.{c}" for a, b, c in versions]
    spec = _spec({"image": "app=example.com/app"})
    choice = strategies.choose(spec, strategies.candidates(spec, tags))
    assert choice.tag is not None
    assert tuple(int(p) for p in choice.tag.split(".")) == max(versions)
