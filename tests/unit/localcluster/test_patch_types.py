"""Merge patch, JSON patch and strategic merge patch against fixture tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kaiun.localcluster import patch
from kaiun.localcluster.jsonvalue import deep_copy

FIXTURES = Path(__file__).parent / "fixtures"


def _cases(name: str) -> list[dict[str, Any]]:
    cases = yaml.safe_load((FIXTURES / name).read_text())
    assert isinstance(cases, list)
    return cases


def _check(case: dict[str, Any], run: Any) -> None:
    original = deep_copy(case["obj"])
    if "error" in case:
        with pytest.raises(patch.PatchError) as caught:
            run()
        assert caught.value.code == case["error"]["code"]
        assert caught.value.message == case["error"]["message"]
    else:
        assert run() == case["expected"]
    assert case["obj"] == original, "the input object must not be mutated"


@pytest.mark.parametrize("case", _cases("merge_patch.yaml"), ids=lambda c: c["name"])
def test_merge_patch(case: dict[str, Any]) -> None:
    _check(case, lambda: patch.merge_patch(case["obj"], case["patch"]))


@pytest.mark.parametrize("case", _cases("json_patch.yaml"), ids=lambda c: c["name"])
def test_json_patch(case: dict[str, Any]) -> None:
    _check(case, lambda: patch.json_patch(case["obj"], case["ops"]))


@pytest.mark.parametrize("case", _cases("strategic_patch.yaml"), ids=lambda c: c["name"])
def test_strategic_merge_patch(case: dict[str, Any]) -> None:
    group = case.get("group", "apps")
    kind = case.get("kind", "Deployment")
    _check(
        case,
        lambda: patch.strategic_merge_patch(case["obj"], case["patch"], group=group, kind=kind),
    )


def test_results_share_nothing_with_inputs() -> None:
    obj = {"spec": {"template": {"spec": {"containers": [{"name": "a", "args": ["x"]}]}}}}
    out = patch.strategic_merge_patch(
        obj, {"metadata": {"labels": {"a": "b"}}}, group="apps", kind="Deployment"
    )
    out["spec"]["template"]["spec"]["containers"][0]["args"].append("y")
    merged = patch.merge_patch(obj, {"x": 1})
    merged["spec"]["template"]["spec"]["containers"].clear()
    assert obj["spec"]["template"]["spec"]["containers"] == [{"name": "a", "args": ["x"]}]


@pytest.mark.parametrize(
    ("content_type", "custom", "expected"),
    [
        ("application/json-patch+json", False, {"spec": {"replicas": 5, "paused": True}}),
        ("application/merge-patch+json; charset=utf-8", True, {"spec": {"replicas": 5}}),
        ("application/strategic-merge-patch+json", False, {"spec": {"replicas": 5}}),
    ],
)
def test_patch_object_dispatches_on_content_type(
    content_type: str, custom: bool, expected: dict[str, Any]
) -> None:
    obj = {"spec": {"replicas": 1, "paused": True}}
    body: Any = (
        [{"op": "replace", "path": "/spec/replicas", "value": 5}]
        if "json-patch" in content_type
        else {"spec": {"replicas": 5, "paused": None}}
    )
    got = patch.patch_object(
        obj, body, content_type, group="apps", kind="Deployment", custom_resource=custom
    )
    assert got == expected


def test_custom_resources_refuse_strategic_merge_patch() -> None:
    with pytest.raises(patch.UnsupportedPatchError) as caught:
        patch.patch_object(
            {},
            {},
            "application/strategic-merge-patch+json",
            group="x.io",
            kind="W",
            custom_resource=True,
        )
    assert caught.value.code == 415
    assert caught.value.message == (
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
    )


def test_failed_json_patch_renders_the_kubernetes_status() -> None:
    with pytest.raises(patch.PatchError) as caught:
        patch.json_patch({"a": 1}, [{"op": "test", "path": "/a", "value": 2}])
    assert caught.value.status() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "the server rejected our request due to an error in our request",
        "reason": "Invalid",
        "details": {
            "causes": [
                {
                    "type": "UnexpectedServerResponse",
                    "message": "testing value /a failed: test failed",
                }
            ]
        },
        "code": 422,
    }


def test_malformed_patch_renders_a_bad_request_status() -> None:
    with pytest.raises(patch.MalformedPatchError) as caught:
        patch.merge_patch({}, "x")
    status = caught.value.status()
    assert (status["code"], status["reason"], status["message"]) == (
        400,
        "BadRequest",
        "Invalid JSON Patch: a merge patch must be a JSON object",
    )
    assert "details" not in status
