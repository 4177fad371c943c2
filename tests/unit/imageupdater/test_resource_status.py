"""The ImageUpdater status built after a cycle (pure): counts, recent updates, conditions."""

from __future__ import annotations

from typing import Any

from kaiun.controllers.imageupdater import resourcestatus


def _record(*, note: str = "", error: str = "") -> dict[str, Any]:
    wb: dict[str, Any] = {"method": "git", "commit": "abc"}
    if note:
        wb["note"] = note
    if error:
        wb["error"] = error
    return {"images": [{"alias": "web", "image": "r/web", "action": "update",
                        "running": "r/web:1.0.0", "chosen": "1.1.0"},
                       {"alias": "chart", "image": "web", "action": "update", "chosen": "2.0.0"}],
            "writeBack": wb}  # fmt: skip


def test_only_updates_written_this_cycle_count() -> None:
    tally = resourcestatus.ResourceTally()
    tally.add(_record(), 2, written=True)
    tally.add(_record(note="already pushed in abc; not pushed again"), 2, written=True)
    tally.add(_record(error="push refused"), 2, written=True)
    tally.add(_record(), 2, written=False)
    assert (tally.applications, tally.images, tally.updated) == (4, 8, 1)
    assert resourcestatus.recent_updates(tally, "t") == [{
        "alias": "web", "image": "r/web", "newVersion": "1.1.0", "applicationsUpdated": 1,
        "updatedAt": "t", "message": "Updated from 1.0.0 to 1.1.0.",
    }]  # fmt: skip


def test_conditions_keep_their_transition_time_until_status_changes() -> None:
    ok = resourcestatus.build(None, 1, "t1", resourcestatus.ResourceTally(applications=1))
    assert [(c["type"], c["status"], c["lastTransitionTime"]) for c in ok["conditions"]] == [
        ("Ready", "True", "t1"),
        ("Reconciling", "False", "t1"),
        ("Error", "False", "t1"),
    ]
    bad = resourcestatus.build(ok, 2, "t2", resourcestatus.ResourceTally(applications=1, errors=3))
    conditions = {c["type"]: c for c in bad["conditions"]}
    assert conditions["Ready"]["lastTransitionTime"] == "t1"  # still True
    assert conditions["Ready"]["reason"] == "ReconcileCompletedWithErrors"
    assert (conditions["Error"]["status"], conditions["Error"]["lastTransitionTime"]) == (
        "True", "t2")  # fmt: skip
    assert conditions["Error"]["message"] == "3 error(s) occurred during image update checks."
    assert bad["observedGeneration"] == 2 and "recentUpdates" not in bad
    invalid = resourcestatus.build(bad, 3, "t3", resourcestatus.ResourceTally(), invalid="no x")
    ready = invalid["conditions"][0]
    assert (ready["status"], ready["reason"], ready["message"], ready["lastTransitionTime"]) == (
        "False", "InvalidSpec", "The resource cannot be used: no x", "t3")  # fmt: skip
