"""Server-side diff over a dry-run result, RespectIgnoreDifferences, compare options."""

from __future__ import annotations

from typing import Any

import pytest

from kaiun import diff


def _deploy(replicas: int, **extra: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"replicas": replicas, **extra},
    }


def test_server_side_diff_in_sync_when_dry_run_matches_live() -> None:
    live = _deploy(3, revisionHistoryLimit=10)
    live["metadata"]["resourceVersion"] = "7"
    dry_run = _deploy(3, revisionHistoryLimit=10)
    dry_run["metadata"]["resourceVersion"] = "8"
    assert not diff.server_side_diff(_deploy(3), live, dry_run).modified


def test_server_side_diff_reports_a_change() -> None:
    result = diff.server_side_diff(_deploy(4), _deploy(3), _deploy(4))
    assert result.modified
    assert result.json_patch == [{"op": "replace", "path": "/spec/replicas", "value": 4}]


def test_server_side_diff_leaves_webhook_additions_out_unless_asked() -> None:
    dry_run = _deploy(3)
    dry_run["metadata"]["annotations"] = {"webhook.example.com/injected": "true"}
    assert not diff.server_side_diff(_deploy(3), _deploy(3), dry_run).modified
    assert diff.server_side_diff(
        _deploy(3), _deploy(3), dry_run, include_mutation_webhook=True
    ).modified


def test_server_side_diff_of_a_new_object() -> None:
    result = diff.server_side_diff(_deploy(1), None, _deploy(1))
    assert result.modified and result.normalized_live is None


def test_respect_ignore_differences_keeps_live_values() -> None:
    rules = [
        diff.IgnoreRule(group="apps", kind="Deployment", json_pointers=("/spec/replicas",)),
        diff.IgnoreRule(
            group="apps",
            kind="Deployment",
            jq_path_expressions=(".spec.template.metadata.annotations",),
        ),
    ]
    config = _deploy(2, template={"metadata": {"annotations": {"a": "git"}}})
    live = _deploy(9, template={"metadata": {"annotations": {"a": "live"}}})
    target = diff.respect_ignore_differences(config, live, rules)
    assert target["spec"]["replicas"] == 9
    assert target["spec"]["template"]["metadata"]["annotations"] == {"a": "live"}
    assert config["spec"]["replicas"] == 2  # input untouched


def test_respect_ignore_differences_drops_fields_live_lacks() -> None:
    rules = [diff.IgnoreRule(group="apps", kind="Deployment", json_pointers=("/spec/replicas",))]
    live = _deploy(1)
    del live["spec"]["replicas"]
    assert "replicas" not in diff.respect_ignore_differences(_deploy(2), live, rules)["spec"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("IgnoreExtraneous", diff.CompareOptions(ignore_extraneous=True)),
        ("ServerSideDiff=true", diff.CompareOptions(server_side_diff=True)),
        (
            "ServerSideDiff=false, IncludeMutationWebhook=true",
            diff.CompareOptions(server_side_diff=False, include_mutation_webhook=True),
        ),
        ("", diff.CompareOptions()),
    ],
)
def test_compare_options(value: str, expected: diff.CompareOptions) -> None:
    obj = {"metadata": {"annotations": {diff.COMPARE_OPTIONS: value}}}
    assert diff.CompareOptions.of(obj) == expected


def test_server_side_diff_selection_per_app_and_globally() -> None:
    unset = diff.CompareOptions.of({"metadata": {}})
    assert unset.uses_server_side_diff(default=True)
    assert not unset.uses_server_side_diff(default=False)
    off = diff.CompareOptions.parse("ServerSideDiff=false")
    assert not off.uses_server_side_diff(default=True)
    assert diff.CompareOptions.parse("ServerSideDiff=true").uses_server_side_diff(default=False)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"jsonPointers": ["spec/replicas"]}, "must start with '/'"),
        ({"jqPathExpressions": ["until(true == false; [.] + [1])"]}, "refuses"),
        ({"jqPathExpressions": [".. | .caBundle?"]}, "refuses"),
        ({"jqPathExpressions": [".spec[[["]}, "invalid jq program"),
        ({"jsonPointers": "/spec"}, "list of strings"),
    ],
)
def test_bad_ignore_rules_are_refused_with_a_reason(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(diff.IgnoreRuleError, match=message):
        diff.IgnoreRule.from_spec(spec)


def test_invalid_last_applied_is_a_clear_error() -> None:
    live = _deploy(1)
    live["metadata"]["annotations"] = {"kubectl.kubernetes.io/last-applied-configuration": "{"}
    with pytest.raises(diff.DiffInputError, match="Deployment/web"):
        diff.diff(_deploy(2), live)


@pytest.mark.parametrize(
    ("config", "live"), [([1, 2], {"kind": "X"}), ({"kind": "X"}, "text"), (None, 3)]
)
def test_non_objects_are_refused(config: Any, live: Any) -> None:
    with pytest.raises(diff.DiffInputError, match="expected a Kubernetes object"):
        diff.diff(config, live)
