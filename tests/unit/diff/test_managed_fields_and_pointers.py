"""managedFields tries and JSON pointers, from fixture tables."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from kaiun.diff.errors import IgnoreRuleError
from kaiun.diff.normalize import jsonpointer, managed_fields

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "fixtures" / "managed_fields.yaml").read_text()
)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_remove_owned_fields(case: dict[str, Any]) -> None:
    live = case["live"]
    obj = copy.deepcopy({k: v for k, v in live.items()})
    obj["metadata"] = {k: v for k, v in obj["metadata"].items() if k != "managedFields"}
    if not obj["metadata"]:
        del obj["metadata"]
    for trie in managed_fields.owned_tries(live, case["managers"]):
        managed_fields.remove_owned(obj, trie)
    assert obj == case["expected"]


def test_malformed_list_tokens_are_skipped() -> None:
    obj = {"items": [{"name": "a"}, "b"]}
    managed_fields.remove_owned(obj, {"f:items": {"k:{bad json": {}, "v:[": {}, "x:": {}}})
    assert obj == {"items": [{"name": "a"}, "b"]}


@pytest.mark.parametrize(
    ("pointer", "tokens"),
    [
        ("", ()),
        ("/spec/replicas", ("spec", "replicas")),
        (
            "/metadata/annotations/example.com~1team",
            ("metadata", "annotations", "example.com/team"),
        ),
        ("/a~0b", ("a~b",)),
    ],
)
def test_parse_pointer(pointer: str, tokens: tuple[str, ...]) -> None:
    assert jsonpointer.parse_pointer(pointer) == tokens


def test_pointer_read_remove_assign_on_lists_and_maps() -> None:
    doc: dict[str, Any] = {"webhooks": [{"caBundle": "x"}, {"caBundle": "y"}], "n": 1}
    assert jsonpointer.resolve(doc, ("webhooks", "1", "caBundle")) == (True, "y")
    assert jsonpointer.resolve(doc, ("webhooks", "7")) == (False, None)
    assert jsonpointer.resolve(doc, ("n", "x")) == (False, None)
    jsonpointer.remove(doc, ("webhooks", "0", "caBundle"))
    jsonpointer.remove(doc, ("webhooks", "1"))
    jsonpointer.remove(doc, ("missing", "deep"))
    jsonpointer.remove(doc, ())
    assert doc == {"webhooks": [{}], "n": 1}
    jsonpointer.assign(doc, ("spec", "template", "replicas"), 3)
    jsonpointer.assign(doc, ("webhooks", "0"), {"caBundle": "z"})
    jsonpointer.assign(doc, ("n", "deeper"), 1)  # through a scalar: nothing to do
    assert doc == {"webhooks": [{"caBundle": "z"}], "n": 1, "spec": {"template": {"replicas": 3}}}


def test_pointer_without_leading_slash_is_refused() -> None:
    with pytest.raises(IgnoreRuleError, match="must start with '/'"):
        jsonpointer.parse_pointer("spec/replicas")
