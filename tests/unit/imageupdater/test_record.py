"""The per-application record, pins, rollback detection and the metrics exposition."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml

from kaiun.controllers.imageupdater import appannotations, record, updateplan
from kaiun.controllers.imageupdater.metrics import Metrics
from kaiun.controllers.imageupdater.strategies import Choice

CASES = yaml.safe_load((Path(__file__).parent / "fixtures" / "rollbacks.yaml").read_text())


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_rollback_detection(case: dict[str, Any]) -> None:
    found = record.rollback({"status": {"history": case["history"]}})
    assert (dataclasses.asdict(found) if found else None) == case["expected"]


def _decisions() -> list[updateplan.Decision]:
    parsed = appannotations.parse({
        appannotations.IMAGE_LIST: "web=ghcr.io/org/web:1.x, ghcr.io/org/side",
    })  # fmt: skip
    assert parsed is not None
    web, side = parsed.images
    live = updateplan.live_images({"status": {"summary": {"images": ["ghcr.io/org/web:1.0"]}}})
    return [
        updateplan.decide(web, live, Choice("1.4.0", "", "highest", {})),
        updateplan.decide(side, live, None, "ping: registry unreachable"),
    ]


def test_record_lists_images_changes_and_errors() -> None:
    decisions = _decisions()
    rec = record.build("2026-01-01T00:00:00Z", decisions, pinned={},
                       write_back={"method": "argocd", "where": "spec.source"})  # fmt: skip
    assert rec["changes"] == [{"image": "ghcr.io/org/web", "from": "1.0", "to": "1.4.0"}]
    assert [i["action"] for i in rec["images"]] == ["update", "skipped"]
    assert rec["writeBack"] == {"method": "argocd", "where": "spec.source"}
    text = record.encode(rec)
    assert " " not in text.split('"message"')[0]  # compact separators
    app = {"metadata": {"annotations": {record.STATUS_ANNOTATION: text}}}
    assert record.decode(app) == rec


def test_errors_are_listed_with_the_image() -> None:
    decisions = _decisions()
    forced = dataclasses.replace(decisions[1].spec, force_update=True)
    error = updateplan.decide(forced, [], None, "ping: registry unreachable")
    rec = record.build("t", [error], errors=["config: bad"])
    assert rec["errors"] == ["config: bad", "ghcr.io/org/side: ping: registry unreachable"]


def test_pins_and_pin_keys() -> None:
    web, side = (d.spec for d in _decisions())
    assert (record.pin_key(web), record.pin_key(side)) == ("web", "side")
    notes = {record.PIN_PREFIX + "web": "1.0", "other": "x", record.PIN_PREFIX + "side": ""}
    assert record.pins(notes) == {"web": "1.0", "side": ""}


def test_decode_tolerates_garbage() -> None:
    assert record.decode({"metadata": {"annotations": {record.STATUS_ANNOTATION: "{"}}}) is None
    assert record.decode({"metadata": {}}) is None


def test_metrics_exposition_uses_image_updater_names() -> None:
    m = Metrics()
    m.add("images_updated_total", 2, application="web")
    m.add("images_updated_total", application="web")
    m.set("images_watched_total", 3, application='we"b')
    text = m.render()
    assert 'argocd_image_updater_images_updated_total{application="web"} 3' in text
    assert 'argocd_image_updater_images_watched_total{application="we\\"b"} 3' in text
    assert "# TYPE argocd_image_updater_images_errors_total counter" in text
    assert "argocd_image_updater_k8s_api_requests_total 0" in text
    assert m.get("images_updated_total", application="web") == 3


def test_redact_takes_credentials_out_of_every_string() -> None:
    rec = {
        "errors": ["git push https://bot:pw-123456@git.example/team/config.git failed",
                   "GitLab said: PRIVATE-TOKEN: glpat-abcdef refused",
                   "GET /v2/?access_token=t0k3n&x=1"],
        "writeBack": {"error": "ssh key -----BEGIN KEY-----\nabc\n----- rejected"},
        "images": [{"message": "the registry refused s3cret-pw", "tagsFound": 3}],
    }  # fmt: skip
    clean = record.redact(rec, {"s3cret-pw", "-----BEGIN KEY-----\nabc\n-----", ""})
    assert clean == {
        "errors": ["git push https://***@git.example/team/config.git failed",
                   "GitLab said: PRIVATE-TOKEN: *** refused",
                   "GET /v2/?access_token=***&x=1"],
        "writeBack": {"error": "ssh key *** rejected"},
        "images": [{"message": "the registry refused ***", "tagsFound": 3}],
    }  # fmt: skip
