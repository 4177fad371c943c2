"""The ``status`` of an Image Updater 1.x ``ImageUpdater`` resource after a cycle (pure).

Same fields as Image Updater 1.x: ``observedGeneration``, ``lastCheckedAt``,
``lastUpdatedAt``, ``applicationsMatched``, ``imagesManaged``, ``recentUpdates`` (per alias
and new version: how many applications got it) and the ``Ready`` / ``Reconciling`` /
``Error`` conditions. A condition's ``lastTransitionTime`` only moves when its status does,
as ``meta.SetStatusCondition`` keeps it. A resource the updater cannot parse gets
``Ready=False`` with reason ``InvalidSpec`` and the parse error, instead of only a log line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ResourceTally:
    """What one cycle did for the Applications one ``ImageUpdater`` selected."""

    applications: int = 0
    images: int = 0
    errors: int = 0
    updated: int = 0
    # (alias, image, old tag, new version) per update written
    changes: list[tuple[str, str, str, str]] = field(default_factory=list)

    def add(self, record: Mapping[str, Any], images: int, *, written: bool) -> None:
        """Count one Application's check (its record); updates count once ``written``."""
        self.applications += 1
        self.images += images
        self.errors += len(record.get("errors") or [])
        wb = record.get("writeBack") or {}
        # Not an update of this cycle: nothing written, a failed write-back, or a git change
        # pushed by an earlier cycle (the record's note says so) and still waiting to deploy.
        if not written or wb.get("error") or wb.get("note"):
            return
        for entry in record.get("images") or []:
            if entry.get("action") == "update" and entry.get("alias") != "chart":
                old = str(entry.get("running", "")).rpartition(":")[2]
                alias, image = str(entry.get("alias") or ""), str(entry.get("image", ""))
                self.changes.append((alias, image, old, str(entry.get("chosen", ""))))
                self.updated += 1


def _condition(type_: str, status: bool, reason: str, message: str, generation: int,
               now: str, previous: Sequence[Mapping[str, Any]]) -> dict[str, Any]:  # fmt: skip
    value = "True" if status else "False"
    old = next((c for c in previous if c.get("type") == type_), None)
    moved = old is None or old.get("status") != value
    return {
        "type": type_,
        "status": value,
        "reason": reason,
        "message": message,
        "observedGeneration": generation,
        "lastTransitionTime": str((old or {}).get("lastTransitionTime") or now)
        if not moved
        else now,
    }


def recent_updates(tally: ResourceTally, now: str) -> list[dict[str, Any]]:
    """``recentUpdates``: one entry per alias and new version, counting the applications."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for alias, image, old, new in tally.changes:
        key = (alias or image, new)
        if key in found:
            found[key]["applicationsUpdated"] += 1
            continue
        found[key] = {
            "alias": alias or image,
            "image": image,
            "newVersion": new,
            "applicationsUpdated": 1,
            "updatedAt": now,
            "message": f"Updated from {old or 'nothing'} to {new}.",
        }
    return list(found.values())


def build(
    previous: Mapping[str, Any] | None, generation: int, now: str, tally: ResourceTally,
    *, invalid: str = "",
) -> dict[str, Any]:  # fmt: skip
    """The new ``status`` from the previous one and this cycle's tally (or parse error)."""
    previous = previous or {}
    before = list(previous.get("conditions") or [])
    status: dict[str, Any] = {
        "observedGeneration": generation,
        "lastCheckedAt": now,
        "applicationsMatched": tally.applications,
        "imagesManaged": tally.images,
    }
    for key in ("lastUpdatedAt", "recentUpdates"):
        if previous.get(key):
            status[key] = previous[key]
    if tally.updated:
        status["lastUpdatedAt"] = now
        status["recentUpdates"] = recent_updates(tally, now)

    def cond(type_: str, value: bool, reason: str, message: str) -> dict[str, Any]:
        return _condition(type_, value, reason, message, generation, now, before)

    idle = cond("Reconciling", False, "Idle", "Last check completed. Awaiting next cycle.")
    apps, errors, updated = tally.applications, tally.errors, tally.updated
    if invalid:
        error = cond("Error", True, "InvalidSpec", invalid)
        ready = cond("Ready", False, "InvalidSpec", f"The resource cannot be used: {invalid}")
    elif errors:
        error = cond("Error", True, "PartialErrors",
                     f"{errors} error(s) occurred during image update checks.")  # fmt: skip
        ready = cond("Ready", True, "ReconcileCompletedWithErrors",
                     f"Reconciled {apps} applications with {errors} errors, {updated} images "
                     "updated.")  # fmt: skip
    else:
        error = cond("Error", False, "NoErrors", "No errors during last reconciliation.")
        ready = cond("Ready", True, "ReconcileSucceeded",
                     f"Reconciled {apps} applications, {updated} images updated.")  # fmt: skip
    status["conditions"] = [ready, idle, error]
    return status
