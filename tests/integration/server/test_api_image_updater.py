"""``GET /api/v1/applications/{name}/image-updater``: the updater's record, typed, with pins,
under ``applications, get`` RBAC, and never carrying a credential."""

from __future__ import annotations

import json
import uuid

from tests.integration.server.conftest import ApiServer

RECORD = {
    "lastCheckedAt": "2026-11-22T10:00:00Z",
    "images": [
        {"alias": "web", "image": "registry.example.com/web", "action": "update",
         "message": "registry.example.com/web:1.0.0 → registry.example.com/web:1.2.0",
         "strategy": "semver", "constraint": "1.x", "tagsFound": 5, "candidates": 2,
         "running": "registry.example.com/web:1.0.0", "chosen": "1.2.0"},
        {"alias": "side", "image": "registry.example.com/side", "action": "error",
         "message": "ping: GET https://bot:hunter2-token@registry.example.com/v2/ failed",
         "strategy": "digest"},
    ],
    "changes": [{"image": "registry.example.com/web", "from": "1.0.0", "to": "1.2.0"}],
    "writeBack": {"method": "git", "branch": "main", "commit": "3f2c9a",
                  "where": "app/kustomization.yaml images[web]"},
    "errors": ["side: ping: GET https://bot:hunter2-token@registry.example.com/v2/ failed",
               "write-back: Authorization: Bearer ghp_secretvalue refused"],
}  # fmt: skip


def _app(name: str, project: str, annotations: dict[str, str]) -> dict[str, object]:
    return {
        "metadata": {"name": name, "annotations": annotations},
        "spec": {
            "project": project,
            "source": {"repoURL": "https://example.com/repo.git", "path": "guestbook"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "gb"},
        },
    }


def test_the_record_is_typed_with_pins_and_without_credentials(api_server: ApiServer) -> None:
    name = f"iu-{uuid.uuid4().hex[:6]}"
    annotations = {
        "kaiun.io/image-updater-status": json.dumps(RECORD),
        "kaiun.io/image-updater-pin.side": "",
        "kaiun.io/image-updater-pin.web": "1.0.0",
    }
    with api_server.client() as c:
        assert c.post("/api/v1/applications", json=_app(name, "team", annotations)).is_success
        got = c.get(f"/api/v1/applications/{name}/image-updater")
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["application"] == name and body["checked"] is True
    assert body["lastCheckedAt"] == "2026-11-22T10:00:00Z"
    web, side = body["images"]
    assert (web["alias"], web["strategy"], web["constraint"], web["chosen"]) == (
        "web", "semver", "1.x", "1.2.0")  # fmt: skip
    assert (web["tagsFound"], web["candidates"]) == (5, 2)
    assert side["action"] == "error" and side["running"] == ""
    assert body["changes"] == [{"image": "registry.example.com/web", "from": "1.0.0",
                                "to": "1.2.0"}]  # fmt: skip
    assert body["writeBack"]["where"] == "app/kustomization.yaml images[web]"
    assert body["pins"] == {"side": "", "web": "1.0.0"}
    text = got.text
    assert "hunter2-token" not in text and "ghp_secretvalue" not in text
    assert "https://***@registry.example.com/v2/" in body["errors"][0]
    assert body["errors"][1] == "write-back: Authorization: Bearer *** refused"


def test_an_unchecked_application_and_rbac(api_server: ApiServer) -> None:
    name = f"iu-{uuid.uuid4().hex[:6]}"
    with api_server.client() as c:
        assert c.post("/api/v1/applications", json=_app(name, "default", {})).is_success
        body = c.get(f"/api/v1/applications/{name}/image-updater").json()
        missing = c.get(f"/api/v1/applications/no-{name}/image-updater")
    assert body == {"application": name, "checked": False, "lastCheckedAt": "", "images": [],
                    "changes": [], "writeBack": {}, "errors": [], "notes": [],
                    "pins": {}}  # fmt: skip
    assert missing.status_code == 404
    with api_server.client("reader-token") as c:
        assert c.get(f"/api/v1/applications/{name}/image-updater").status_code == 200
    with api_server.client("team-token") as c:  # may get team/* only
        denied = c.get(f"/api/v1/applications/{name}/image-updater")
    assert denied.status_code == 403 and denied.json()["code"] == 7
    with api_server.client(None) as c:
        assert c.get(f"/api/v1/applications/{name}/image-updater").status_code == 401


def test_a_hand_edited_record_is_answered_not_a_500(api_server: ApiServer) -> None:
    name = f"iu-{uuid.uuid4().hex[:6]}"
    junk = {"images": ["x", {"image": "r/web", "tagsFound": "many"}, {"image": "r/ok",
            "action": "up-to-date"}], "changes": "x", "writeBack": [1], "errors": "x"}  # fmt: skip
    annotations = {"kaiun.io/image-updater-status": json.dumps(junk)}
    with api_server.client() as c:
        assert c.post("/api/v1/applications", json=_app(name, "team", annotations)).is_success
        got = c.get(f"/api/v1/applications/{name}/image-updater")
    assert got.status_code == 200, got.text
    body = got.json()
    assert [i["image"] for i in body["images"]] == ["r/ok"]
    assert (body["changes"], body["writeBack"], body["errors"]) == ([], {}, [])
