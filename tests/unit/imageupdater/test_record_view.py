"""The "Image Updater" section of ``kaiun app get`` from a record and pins (pure)."""

from __future__ import annotations

import json
from typing import Any

from kaiun.cli.app.imageupdater_view import image_updater_section
from kaiun.cli.app.views import table


def _app(record: Any, **pins: str) -> dict[str, Any]:
    annotations = {f"kaiun.io/image-updater-pin.{k}": v for k, v in pins.items()}
    if record is not None:
        annotations["kaiun.io/image-updater-status"] = json.dumps(record)
    return {"metadata": {"annotations": annotations}}


def test_pins_without_a_record_yet() -> None:
    assert image_updater_section(_app(None), table) == ""
    assert image_updater_section(_app(None, web="", chart="1.0.0"), table) == (
        "\nImage Updater:\nLast Checked:       <never>\n"
        "Pinned:             chart at 1.0.0, web (kaiun image-updater unpin to resume)\n"
    )


def test_a_hand_edited_record_does_not_break_app_get() -> None:
    record = {"lastCheckedAt": "t", "images": ["junk", {"image": "r/web", "action": "error"}],
              "writeBack": "junk", "errors": "not a list", "notes": ["kept"]}  # fmt: skip
    text = image_updater_section(_app(record), table)
    assert text.splitlines()[1:] == [
        "Image Updater:",
        "Last Checked:       t",
        "IMAGE  ALIAS  STRATEGY  CURRENT  PICKED  ACTION  PINNED",
        "r/web  -      -         -        -       error   -",
        "Notes:",
        "  - kept",
    ]
