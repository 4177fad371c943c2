"""The application service on Argo CD's paths: shapes, RBAC filtering, errors, operations."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx

from tests.integration.server.conftest import ApiServer


def _app(name: str, project: str = "default", **spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "spec": {
            "project": project,
            "source": {"repoURL": "https://example.com/repo.git", "path": "guestbook"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "gb"},
            **spec,
        },
    }


def _name() -> str:
    return f"app-{uuid.uuid4().hex[:6]}"


def _create(api: ApiServer, body: dict[str, Any], token: str = "admin-token") -> httpx.Response:
    with api.client(token) as c:
        return c.post("/api/v1/applications", json=body)


def _error(resp: httpx.Response, status: int, code: int) -> str:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["code"] == code and body["error"] == body["message"]
    return str(body["message"])


def test_unauthenticated_calls_get_401(api_server: ApiServer) -> None:
    with api_server.client(None) as c:
        _error(c.get("/api/v1/applications"), 401, 16)
    with api_server.client("forged") as c:
        assert "invalid session" in _error(c.get("/api/v1/applications"), 401, 16)


def test_create_strips_operation_and_status(api_server: ApiServer) -> None:
    name = _name()
    body = _app(name)
    body["operation"] = {"sync": {"revision": "HEAD"}}
    body["status"] = {"sync": {"status": "Synced"}}
    created = _create(api_server, body)
    assert created.status_code == 200, created.text
    with api_server.client() as c:
        got = c.get(f"/api/v1/applications/{name}").json()
    assert "operation" not in got
    assert "status" not in got or not got["status"]
    assert got["spec"]["source"]["path"] == "guestbook"


def test_create_conflicting_spec_needs_upsert(api_server: ApiServer) -> None:
    name = _name()
    assert _create(api_server, _app(name)).status_code == 200
    assert _create(api_server, _app(name)).status_code == 200  # same spec: idempotent
    changed = _app(name, revisionHistoryLimit=3)
    assert "upsert" in _error(_create(api_server, changed), 400, 3)
    with api_server.client() as c:
        resp = c.post("/api/v1/applications", params={"upsert": "true"}, json=changed)
        assert resp.status_code == 200
        assert resp.json()["spec"]["revisionHistoryLimit"] == 3


def test_invalid_bodies_get_specific_400s(api_server: ApiServer) -> None:
    assert "metadata.name" in _error(_create(api_server, {"spec": {}}), 400, 3)
    no_dest = _app(_name())
    del no_dest["spec"]["destination"]
    assert "spec.destination" in _error(_create(api_server, no_dest), 400, 3)
    with api_server.client() as c:
        resp = c.post(
            "/api/v1/applications",
            content=b"{not json",
            headers={"Content-Type": "application/json"},
        )
        _error(resp, 400, 3)


def test_list_filters_by_rbac_project_and_fields(api_server: ApiServer) -> None:
    team, other = _name(), _name()
    assert _create(api_server, _app(team, project="team"), "reader-token").status_code == 403
    assert _create(api_server, _app(team, project="team"), "team-token").status_code == 200
    assert _create(api_server, _app(other)).status_code == 200
    with api_server.client("team-token") as c:
        names = {a["metadata"]["name"] for a in c.get("/api/v1/applications").json()["items"]}
    assert team in names and other not in names
    with api_server.client() as c:
        body = c.get(
            "/api/v1/applications",
            params={"projects": "team", "fields": "items.metadata.name,items.spec.project"},
        ).json()
    assert body == {"items": [{"metadata": {"name": team}, "spec": {"project": "team"}}]}


def test_list_pages_with_continue_tokens(api_server: ApiServer) -> None:
    for _ in range(3):
        assert _create(api_server, _app(_name())).status_code == 200
    with api_server.client() as c:
        everything = [a["metadata"]["name"] for a in c.get("/api/v1/applications").json()["items"]]
        seen: list[str] = []
        params: dict[str, Any] = {"limit": 2}
        while True:
            page = c.get("/api/v1/applications", params=params).json()
            assert len(page["items"]) <= 2
            seen += [a["metadata"]["name"] for a in page["items"]]
            token = page["metadata"].get("continue")
            if not token:
                break
            params = {"limit": 2, "continue": token}
        assert seen == everything
        _error(c.get("/api/v1/applications", params={"continue": "garbage!"}), 400, 3)


def test_missing_and_forbidden_look_the_same_to_outsiders(api_server: ApiServer) -> None:
    hidden = _name()
    assert _create(api_server, _app(hidden)).status_code == 200
    with api_server.client("team-token") as c:
        forbidden = _error(c.get(f"/api/v1/applications/{hidden}"), 403, 7)
        missing = _error(c.get("/api/v1/applications/does-not-exist"), 403, 7)
    assert forbidden.startswith("permission denied") and missing.startswith("permission denied")
    with api_server.client() as c:
        _error(c.get("/api/v1/applications/does-not-exist"), 404, 5)


def test_sync_writes_the_operation_once(api_server: ApiServer) -> None:
    name = _name()
    assert _create(api_server, _app(name)).status_code == 200
    with api_server.client("reader-token") as c:
        _error(c.post(f"/api/v1/applications/{name}/sync", json={}), 403, 7)
    request = {
        "revision": "main",
        "prune": True,
        "strategy": {"apply": {"force": True}},
        "resources": [{"group": "apps", "kind": "Deployment", "name": "web"}],
        "syncOptions": {"items": ["CreateNamespace=true"]},
    }
    with api_server.client() as c:
        app = c.post(f"/api/v1/applications/{name}/sync", json=request).json()
        assert app["operation"] == {
            "sync": {
                "prune": True,
                "dryRun": False,
                "revision": "main",
                "syncStrategy": {"apply": {"force": True}},
                "resources": [
                    {"group": "apps", "kind": "Deployment", "name": "web", "namespace": ""}
                ],
                "syncOptions": ["CreateNamespace=true"],
            },
            "initiatedBy": {"username": "admin"},
        }
        again = c.post(f"/api/v1/applications/{name}/sync", json={})
        assert "in progress" in _error(again, 400, 9)
        _error(c.delete(f"/api/v1/applications/{name}/operation"), 400, 9)


def test_rollback_uses_history_and_turns_automation_off(
    api_server: ApiServer, kubectl: Any
) -> None:
    name = _name()
    auto = {"automated": {"prune": True, "selfHeal": True}}
    assert _create(api_server, _app(name, syncPolicy=auto)).status_code == 200
    source = {"repoURL": "https://example.com/repo.git", "path": "guestbook"}
    status = {"status": {"history": [{"id": 1, "revision": "abc123", "source": source}]}}
    kubectl(
        "patch", "application", name, "-n", api_server.namespace, "--type", "merge",
        "-p", json.dumps(status),
    )  # fmt: skip
    with api_server.client() as c:
        _error(c.post(f"/api/v1/applications/{name}/rollback", json={"id": 7}), 404, 5)
        app = c.post(f"/api/v1/applications/{name}/rollback", json={"id": 1}).json()
    assert app["operation"]["sync"]["revision"] == "abc123"
    assert app["operation"]["sync"]["source"] == source
    assert "automated" not in app["spec"]["syncPolicy"]


def test_patch_cannot_move_an_app_out_of_reach(api_server: ApiServer) -> None:
    name = _name()
    assert _create(api_server, _app(name, project="team"), "team-token").status_code == 200
    move = {"patch": json.dumps({"spec": {"project": "default"}}), "patchType": "merge"}
    with api_server.client("team-token") as c:
        _error(c.patch(f"/api/v1/applications/{name}", json=move), 403, 7)
        assert c.get(f"/api/v1/applications/{name}").json()["spec"]["project"] == "team"
        ops = [{"op": "replace", "path": "/spec/destination/namespace", "value": "other"}]
        body = {"patch": json.dumps(ops), "patchType": "json"}
        patched = c.patch(f"/api/v1/applications/{name}", json=body).json()
        assert patched["spec"]["destination"]["namespace"] == "other"
        bad = {"patch": "{oops", "patchType": "merge"}
        assert "not valid JSON" in _error(c.patch(f"/api/v1/applications/{name}", json=bad), 400, 3)


def test_delete_with_cascade_sets_the_finalizer(api_server: ApiServer, kubectl: Any) -> None:
    name = _name()
    assert _create(api_server, _app(name)).status_code == 200
    with api_server.client() as c:
        resp = c.delete(
            f"/api/v1/applications/{name}",
            params={"cascade": "true", "propagationPolicy": "background"},
        )
        assert resp.status_code == 200, resp.text
    # No controller runs here, so the finalizer holds the app in deletion.
    got = json.loads(kubectl("get", "application", name, "-n", api_server.namespace, "-o", "json"))
    assert got["metadata"]["finalizers"] == ["resources-finalizer.argocd.argoproj.io/background"]
    assert got["metadata"]["deletionTimestamp"]


def test_openapi_document_is_served(api_server: ApiServer) -> None:
    with api_server.client(None) as c:
        doc = c.get("/swagger.json").json()
    assert doc["openapi"].startswith("3.")
    assert "/api/v1/applications/{name}/sync" in doc["paths"]
    assert c.is_closed


def test_patches_may_not_touch_status_or_operation(api_server: ApiServer) -> None:
    name = _name()
    assert _create(api_server, _app(name)).status_code == 200
    refused = [
        ("json", [{"op": "add", "path": "/status", "value": {"sync": {"status": "Synced"}}}]),
        ("json", [{"op": "add", "path": "/operation", "value": {"sync": {}}}]),
        ("json", [{"op": "copy", "from": "/status", "path": "/metadata/labels"}]),
        ("json", [{"op": "replace", "path": "", "value": {}}]),
        ("merge", {"status": {"health": {"status": "Healthy"}}}),
    ]
    with api_server.client() as c:
        for patch_type, patch in refused:
            resp = c.patch(
                f"/api/v1/applications/{name}",
                json={"patch": json.dumps(patch), "patchType": patch_type},
            )
            assert "only metadata and spec" in _error(resp, 400, 3), patch
        ok = [{"op": "add", "path": "/spec/revisionHistoryLimit", "value": 4}]
        resp = c.patch(
            f"/api/v1/applications/{name}", json={"patch": json.dumps(ok), "patchType": "json"}
        )
        assert resp.status_code == 200, resp.text
        got = c.get(f"/api/v1/applications/{name}").json()
    assert got["spec"]["revisionHistoryLimit"] == 4
    assert "operation" not in got
