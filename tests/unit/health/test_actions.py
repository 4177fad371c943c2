"""Resource actions: discovery, old- and new-style action scripts, parameters, errors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from kaiun import health

ROLLOUT_ACTIONS = """
discovery.lua: |
  actions = {}
  actions["resume"] = {["disabled"] = false}
  actions["abort"] = {["disabled"] = obj.status.abort == true}
  actions["promote-full"] = {["disabled"] = false}
  return actions
definitions:
- name: resume
  action.lua: |
    obj.status.pauseConditions = nil
    return obj
- name: promote-full
  action.lua: |
    obj.status.promoteFull = true
    return obj
"""

SANDBOX = health.LuaSandbox(
    instruction_limit=1_000_000, clock=lambda: datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)
)


def _rollout() -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": "web", "namespace": "shop", "annotations": {}},
        "spec": {"replicas": 3, "strategy": {"canary": {"steps": [{"setWeight": 20}]}}},
        "status": {
            "abort": True,
            "pauseConditions": [{"reason": "CanaryPauseStep", "startTime": "2026-11-22T11:00:00Z"}],
        },
    }


def test_discovery_lists_actions_sorted_with_disabled_flags() -> None:
    actions = health.parse_actions(ROLLOUT_ACTIONS)
    found = health.discover_actions(_rollout(), actions, sandbox=SANDBOX)
    assert [(a.name, a.disabled) for a in found] == [
        ("abort", True),
        ("promote-full", False),
        ("resume", False),
    ]


def test_old_style_action_patches_the_object_and_keeps_empty_maps() -> None:
    actions = health.parse_actions(ROLLOUT_ACTIONS)
    [impacted] = health.run_action(_rollout(), actions, "resume", sandbox=SANDBOX)
    assert impacted.operation == "patch"
    assert "pauseConditions" not in impacted.obj["status"]
    # Lua turns the empty annotations map into an empty table; it must stay a map.
    assert impacted.obj["metadata"]["annotations"] == {}
    assert impacted.obj["spec"]["strategy"]["canary"]["steps"] == [{"setWeight": 20}]


def test_new_style_action_creates_a_job_with_params_and_clock() -> None:
    actions = health.parse_actions(
        """
definitions:
- name: create-job
  action.lua: |
    local job = {apiVersion = "batch/v1", kind = "Job"}
    job.metadata = {name = obj.metadata.name .. "-" .. actionParams["suffix"],
                    annotations = {["kaiun.io/created"] = os.date("!%Y-%m-%dT%H:%M:%SZ")}}
    job.spec = obj.spec.jobTemplate.spec
    return {{operation = "create", resource = job}, {operation = "patch", resource = obj}}
"""
    )
    cron = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "nightly"},
        "spec": {"jobTemplate": {"spec": {"template": {"spec": {"restartPolicy": "Never"}}}}},
    }
    created, patched = health.run_action(
        cron, actions, "create-job", sandbox=SANDBOX, params={"suffix": "manual"}
    )
    assert created.operation == "create"
    assert created.obj["metadata"] == {
        "name": "nightly-manual",
        "annotations": {"kaiun.io/created": "2026-11-22T12:00:00Z"},
    }
    assert created.obj["spec"] == cron["spec"]["jobTemplate"]["spec"]
    assert patched.operation == "patch"
    assert patched.obj == cron


@pytest.mark.parametrize(
    ("yaml_text", "name", "message"),
    [
        (ROLLOUT_ACTIONS, "abort", "action 'abort' is not configured"),
        ("definitions: [{name: x, action.lua: 'return 1'}]", "x", "must return the object"),
        (
            "definitions: [{name: x, action.lua: "
            "'return {{operation = \"delete\", resource = obj}}'}]",
            "x",
            "unsupported action operation 'delete'",
        ),
        ("definitions: [{action.lua: 'return obj'}]", "x", "needs a name"),
        ("definitions: [", "x", "not valid YAML"),
    ],
)
def test_action_errors_are_actionable(yaml_text: str, name: str, message: str) -> None:
    with pytest.raises(health.ActionError, match=message):
        health.run_action(_rollout(), health.parse_actions(yaml_text), name, sandbox=SANDBOX)


def test_action_script_errors_surface_as_lua_errors() -> None:
    actions = health.parse_actions("definitions: [{name: x, action.lua: 'while true do end'}]")
    with pytest.raises(health.LuaBudgetExceeded, match=r"x/action\.lua"):
        health.run_action(_rollout(), actions, "x", sandbox=SANDBOX)
