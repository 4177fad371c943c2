"""The per-application record of the last check, pins, and rollback detection (pure).

The record is compact JSON in the Application annotation ``kaiun.io/image-updater-status``:
an annotation, not ``status``, because the application controller rewrites ``status`` on every
refresh while it never touches annotations it does not own. Pins are annotations
``kaiun.io/image-updater-pin.<key>`` (``<key>`` is the image's alias, else the last component
of its name) whose value is the tag held (empty: whatever runs). A rollback — the newest
``status.history`` entry initiated by a user and deploying what an older entry deployed — pins
every watched image once; ``kaiun.io/image-updater-rollback-seen`` remembers which history
entry did, so ``unpin`` is not undone by the same rollback.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kaiun.controllers.imageupdater.model import ImageSpec
from kaiun.controllers.imageupdater.updateplan import Action, Decision

STATUS_ANNOTATION = "kaiun.io/image-updater-status"
PIN_PREFIX = "kaiun.io/image-updater-pin."
ROLLBACK_SEEN = "kaiun.io/image-updater-rollback-seen"


def pin_key(spec: ImageSpec) -> str:
    """The annotation suffix that pins ``spec``: its alias, else its name's last component."""
    return entry_pin_key(spec.alias, spec.image.repository)


def entry_pin_key(alias: str, image: str) -> str:
    """:func:`pin_key` from a record entry's ``alias`` and ``image`` name."""
    key = alias or image.rsplit("/", 1)[-1]
    return re.sub(r"[^A-Za-z0-9_.-]", "-", key)[:40]


def pins(annotations: Mapping[str, str]) -> dict[str, str]:
    """Pin key → held tag (``""`` holds whatever runs)."""
    return {
        k[len(PIN_PREFIX) :]: str(v) for k, v in annotations.items() if k.startswith(PIN_PREFIX)
    }


@dataclass(frozen=True)
class Rollback:
    """A user's rollback found in ``status.history``."""

    history_id: str
    username: str
    revision: str


def _deployed(entry: Mapping[str, Any]) -> str:
    # What an entry deployed: revision(s) and source(s), so a rollback of parameters only
    # (write-back-method argocd keeps the git revision) is still told apart.
    keys = ("revision", "revisions", "source", "sources")
    return json.dumps({k: entry.get(k) for k in keys}, sort_keys=True)


def rollback(app: Mapping[str, Any]) -> Rollback | None:
    """The rollback the newest history entry is, if it is one: initiated by a user, deploying
    what an older entry deployed and not what the entry just before it did."""
    history = list((app.get("status") or {}).get("history") or [])
    if len(history) < 3:
        return None
    last, previous, older = history[-1], history[-2], history[:-2]
    user = str((last.get("initiatedBy") or {}).get("username") or "")
    if not user:
        return None
    deployed = _deployed(last)
    if deployed == _deployed(previous) or all(_deployed(h) != deployed for h in older):
        return None
    revision = str(last.get("revision") or ",".join(last.get("revisions") or []))
    return Rollback(str(last.get("id", len(history) - 1)), user, revision)


def decision_entry(decision: Decision, pinned: str | None = None) -> dict[str, Any]:
    """One image's line in the record."""
    entry: dict[str, Any] = {
        "alias": decision.spec.alias,
        "image": decision.spec.image.name,
        "action": decision.action.value,
        "message": decision.message,
        "strategy": decision.spec.strategy.value,
    }
    if decision.spec.constraint:
        entry["constraint"] = decision.spec.constraint
    if decision.tags_found is not None:
        entry["tagsFound"] = decision.tags_found
    if decision.candidates is not None:
        entry["candidates"] = decision.candidates
    if decision.current is not None:
        entry["running"] = str(decision.current)
    if decision.change is not None:
        entry["chosen"] = decision.change.pinned
    if pinned is not None:
        entry["pinned"] = pinned
    return entry


def build(
    checked_at: str,
    decisions: Sequence[Decision],
    *,
    pinned: Mapping[str, str] | None = None,
    write_back: Mapping[str, Any] | None = None,
    errors: Sequence[str] = (),
    notes: Sequence[str] = (),
) -> dict[str, Any]:
    """The record for one check of one Application."""
    pinned = pinned or {}
    images = [decision_entry(d, pinned.get(pin_key(d.spec))) for d in decisions]
    changes = [
        {
            "image": d.spec.image.name,
            "from": d.current.tag if d.current else "",
            "to": d.change.pinned,
        }
        for d in decisions
        if d.change is not None
    ]
    all_errors = [*errors, *(f"{d.spec.label}: {d.message}" for d in decisions
                             if d.action is Action.ERROR)]  # fmt: skip
    record: dict[str, Any] = {"lastCheckedAt": checked_at, "images": images}
    if changes:
        record["changes"] = changes
    if write_back:
        record["writeBack"] = dict(write_back)
    if all_errors:
        record["errors"] = all_errors
    if notes:
        record["notes"] = list(notes)
    return record


_URL_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]+@")
_AUTH_VALUE = re.compile(
    r"(?i)(?P<key>authorization:\s*(?:bearer|basic|token)\s+|private-token:\s*"
    r"|[?&](?:access_token|token|password)=)[^\s&\"']+"
)


def redact(value: Any, secrets: Iterable[str] = ()) -> Any:
    """``value`` (a record or any part of it) with credentials taken out: URL user-info,
    authorization header values and token query parameters, and every string in ``secrets``
    (passwords and tokens the cycle used), so no error text can carry one into the record."""
    known = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)
    if isinstance(value, str):
        text = _URL_USERINFO.sub(lambda m: m.group("scheme") + "***@", value)
        text = _AUTH_VALUE.sub(lambda m: m.group("key") + "***", text)
        for secret in known:
            text = text.replace(secret, "***")
        return text
    if isinstance(value, Mapping):
        return {k: redact(v, known) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v, known) for v in value]
    return value


def encode(record: Mapping[str, Any]) -> str:
    """The annotation value: compact JSON."""
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False)


def decode(app: Mapping[str, Any]) -> dict[str, Any] | None:
    """The record stored on ``app``, or None."""
    text = ((app.get("metadata") or {}).get("annotations") or {}).get(STATUS_ANNOTATION)
    if not text:
        return None
    try:
        found = json.loads(text)
    except ValueError:
        return None
    return found if isinstance(found, dict) else None
