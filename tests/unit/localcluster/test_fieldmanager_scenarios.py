"""Server-side apply and update ownership, replayed from scenario tables.

Each scenario is a sequence of writes (apply, create/update) against one
object; a step may expect a conflict, and the scenario ends with the expected
object and managedFields (as Kubernetes would store them).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kaiun.localcluster import fieldmanager
from kaiun.localcluster.jsonvalue import deep_copy

SCENARIOS = yaml.safe_load(
    (Path(__file__).parent / "fixtures" / "apply_scenarios.yaml").read_text()
)


def _run_step(
    state: dict[str, Any] | None, step: dict[str, Any], now: str, case: dict[str, Any]
) -> dict[str, Any]:
    common: dict[str, Any] = {
        "now": now,
        "group": case.get("group", "apps"),
        "kind": case.get("kind", "Deployment"),
        "crd_schema": case.get("crd_schema"),
        "ignored": {tuple(p.split(".")) for p in step.get("ignored", case.get("ignored", []))},
    }
    if "apply" in step:
        return fieldmanager.apply(
            state,
            step["apply"],
            manager=step["manager"],
            force=step.get("force", False),
            subresource=step.get("subresource", ""),
            **common,
        )
    new = deep_copy(step["update"])
    if state is not None and "managedFields" in state.get("metadata", {}):
        new.setdefault("metadata", {}).setdefault(
            "managedFields", deep_copy(state["metadata"]["managedFields"])
        )
    return fieldmanager.record_update(
        state, new, manager=step["manager"], subresource=step.get("subresource", ""), **common
    )


def _without_managed(obj: dict[str, Any]) -> dict[str, Any]:
    out = deep_copy(obj)
    out.get("metadata", {}).pop("managedFields", None)
    return out


@pytest.mark.parametrize("case", SCENARIOS, ids=lambda c: c["name"])
def test_scenario(case: dict[str, Any]) -> None:
    state: dict[str, Any] | None = deep_copy(case.get("live"))
    for number, step in enumerate(case["steps"]):
        now = f"2026-01-01T00:00:{number:02d}Z"
        before = deep_copy(state)
        if "error" in step:
            with pytest.raises(fieldmanager.ApplyError) as failed:
                _run_step(state, step, now, case)
            assert (failed.value.code, failed.value.message) == (
                step["error"]["code"],
                step["error"]["message"],
            )
            continue
        if "conflict" in step:
            with pytest.raises(fieldmanager.ApplyConflictError) as caught:
                _run_step(state, step, now, case)
            assert caught.value.message == step["conflict"]
            assert state == before, "a rejected apply must not touch the live object"
            continue
        new_state = _run_step(state, step, now, case)
        assert state == before, "the live object passed in is never mutated"
        state = new_state
    assert state is not None
    if "object" in case:
        assert _without_managed(state) == case["object"]
    managed = state.get("metadata", {}).get("managedFields", [])
    got = [
        {
            k: e[k]
            for k in (
                "manager",
                "operation",
                "fieldsV1",
                *(["subresource"] if "subresource" in e else []),
            )
        }
        for e in managed
    ]
    assert got == case["managed"]
    for entry, expected in zip(managed, case.get("times", []), strict=False):
        assert entry["time"] == expected
