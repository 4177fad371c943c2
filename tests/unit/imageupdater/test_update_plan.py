"""Per-image decisions: update, up to date, skipped (not running), error."""

from __future__ import annotations

from kaiun.controllers.imageupdater import appannotations, updateplan
from kaiun.controllers.imageupdater.model import ImageSpec
from kaiun.controllers.imageupdater.strategies import Choice
from kaiun.controllers.imageupdater.updateplan import Action

P = appannotations.PREFIX


def _spec(image: str, **settings: str) -> ImageSpec:
    notes = {appannotations.IMAGE_LIST: f"a={image}"}
    notes.update({f"{P}a.{k}": v for k, v in settings.items()})
    parsed = appannotations.parse(notes)
    assert parsed is not None
    return parsed.images[0]


APP = {
    "status": {
        "summary": {
            "images": [
                "nginx:1.25.3",
                "ghcr.io/org/api:1.0.0",
                "quay.io/org/side@sha256:" + "1" * 64,
                "quay.io/org/moving:main",
                "not a valid image!",
            ]
        }
    }
}
LIVE = updateplan.live_images(APP)


def test_live_images_skip_garbage() -> None:
    assert [r.name for r in LIVE] == [
        "nginx",
        "ghcr.io/org/api",
        "quay.io/org/side",
        "quay.io/org/moving",
    ]


def test_update_when_a_newer_tag_is_chosen() -> None:
    spec = _spec("docker.io/library/nginx:~1.25")
    decision = updateplan.decide(spec, LIVE, Choice("1.25.4", "", "highest"))
    assert decision.action is Action.UPDATE
    assert decision.change is not None and decision.change.tag == "1.25.4"
    assert decision.message == "nginx:1.25.3 → docker.io/library/nginx:1.25.4 (highest)"


def test_up_to_date() -> None:
    decision = updateplan.decide(_spec("ghcr.io/org/api"), LIVE, Choice("1.0.0", "", "highest"))
    assert decision.action is Action.UP_TO_DATE and decision.change is None


def test_not_running_is_skipped_unless_forced() -> None:
    skipped = updateplan.decide(_spec("ghcr.io/org/other"), LIVE, Choice("2.0", "", "x"))
    assert skipped.action is Action.SKIPPED and "force-update" in skipped.message
    forced = updateplan.decide(
        _spec("ghcr.io/org/other", **{"force-update": "true"}), LIVE, Choice("2.0", "", "x")
    )
    assert forced.action is Action.UPDATE and "not running" in forced.message


def test_errors_and_nothing_to_pick() -> None:
    spec = _spec("ghcr.io/org/api")
    failed = updateplan.decide(spec, LIVE, None, "basic-auth failed for registry ...")
    assert failed.action is Action.ERROR and failed.message.startswith("basic-auth")
    none = updateplan.decide(spec, LIVE, Choice(None, "", "no tag qualifies"))
    assert none.action is Action.SKIPPED and "no tag qualifies" in none.message


def test_digest_strategy() -> None:
    spec = _spec("quay.io/org/side:main", **{"update-strategy": "digest"})
    same = updateplan.decide(spec, LIVE, Choice("main", "sha256:" + "1" * 64, "digest"))
    assert same.action is Action.UP_TO_DATE
    moved = updateplan.decide(
        _spec("quay.io/org/moving:main", **{"update-strategy": "digest"}),
        LIVE,
        Choice("main", "sha256:" + "2" * 64, "digest"),
    )
    assert moved.action is Action.UPDATE
    assert moved.change is not None and moved.change.pinned == "main@sha256:" + "2" * 64
    stale = updateplan.decide(spec, LIVE, Choice("main", "sha256:" + "3" * 64, "digest"))
    assert stale.action is Action.UPDATE
