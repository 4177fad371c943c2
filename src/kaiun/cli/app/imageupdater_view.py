"""The "Image Updater" section of ``kaiun app get``: the updater's last check of the
Application (its ``kaiun.io/image-updater-status`` record) and the pins that hold it.

Pure formatting over the Application dict; nothing is printed when the updater neither
watches nor pins the Application.
"""

from __future__ import annotations

from typing import Any

from kaiun.controllers.imageupdater import record

FIELD = "{:<20}{}"


def _tag(reference: str) -> str:
    # "registry:5000/team/web:1.0.0" → "1.0.0"; a digest reference keeps its digest.
    if "@" in reference:
        return reference[reference.index("@") + 1 :]
    last = reference.rsplit("/", 1)[-1]
    return last.rsplit(":", 1)[1] if ":" in last else ""


def _entries(rec: dict[str, Any], key: str) -> list[Any]:
    # The annotation can be edited by hand: keep what has the record's shape.
    found = rec.get(key)
    if not isinstance(found, list):
        return []
    return [e for e in found if isinstance(e, dict)] if key == "images" else found


def _pinned(entry: dict[str, Any], pins: dict[str, str]) -> str:
    key = record.entry_pin_key(str(entry.get("alias") or ""), str(entry.get("image") or ""))
    if key not in pins:
        return "-"
    return f"at {pins[key]}" if pins[key] else "yes"


def image_rows(rec: dict[str, Any], pins: dict[str, str]) -> list[list[str]]:
    """One row per watched image (and tracked chart): current → picked, strategy, pin."""
    rows = [["IMAGE", "ALIAS", "STRATEGY", "CURRENT", "PICKED", "ACTION", "PINNED"]]
    for entry in _entries(rec, "images"):
        rows.append(
            [
                str(entry.get("image", "")),
                str(entry.get("alias") or "-"),
                str(entry.get("strategy") or "-")
                + (f" {entry['constraint']}" if entry.get("constraint") else ""),
                _tag(str(entry.get("running", ""))) or "-",
                str(entry.get("chosen") or "-"),
                str(entry.get("action", "")),
                _pinned(entry, pins),
            ]
        )
    return rows


def image_updater_section(app: dict[str, Any], table: Any) -> str:
    """The section's text ("" when the updater has no record and no pin for ``app``);
    ``table`` aligns rows as the rest of ``app get`` does."""
    annotations = (app.get("metadata") or {}).get("annotations") or {}
    rec = record.decode(app)
    pins = record.pins(annotations)
    if rec is None and not pins:
        return ""
    out = ["", "Image Updater:"]
    if rec is None:
        out.append(FIELD.format("Last Checked:", "<never>"))
    else:
        out.append(FIELD.format("Last Checked:", rec.get("lastCheckedAt", "")))
        wb = rec.get("writeBack") if isinstance(rec.get("writeBack"), dict) else {}
        if wb:
            where = wb.get("where") or wb.get("error") or ""
            out.append(FIELD.format("Write-Back:", f"{wb.get('method', '')}: {where}".rstrip()))
            for key, label in (("chart", "Chart:"), ("branch", "Branch:"), ("commit", "Commit:"),
                               ("pullRequest", "Pull Request:"), ("note", "Note:")):  # fmt: skip
                if wb.get(key):
                    value = wb[key]
                    if isinstance(value, dict):
                        value = value.get("url") or value.get("number") or value
                    out.append(FIELD.format(label, value))
    if pins:
        held = ", ".join(f"{k} at {v}" if v else k for k, v in sorted(pins.items()))
        out.append(FIELD.format("Pinned:", f"{held} (kaiun image-updater unpin to resume)"))
    text = "\n".join(out) + "\n"
    if rec is not None and _entries(rec, "images"):
        text += table(image_rows(rec, pins))
        messages = [f"  {e.get('alias') or e.get('image')}: {e.get('message', '')}"
                    for e in _entries(rec, "images") if e.get("message")]  # fmt: skip
        if messages:
            text += "Messages:\n" + "\n".join(messages) + "\n"
    for key, label in (("errors", "Errors:"), ("notes", "Notes:")):
        if rec is not None and _entries(rec, key):
            text += label + "\n" + "".join(f"  - {line}\n" for line in _entries(rec, key))
    return text
