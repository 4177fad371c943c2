"""The API server enforces AppProjects before it writes, as Argo CD's does: a spec outside its
project is refused on create/update/patch with the project's message and nothing changes; a
manual sync or rollback that a sync window blocks is refused."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx

from tests.integration.server.conftest import ApiServer, team_project
from tests.support import Kubectl


def _name(prefix: str = "pol") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def _app(name: str, project: str, namespace: str = "gb") -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "spec": {
            "project": project,
            "source": {"repoURL": "https://example.com/repo.git", "path": "guestbook"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
        },
    }


def _project(kubectl: Kubectl, api: ApiServer, name: str, **spec: Any) -> None:
    kubectl("apply", "-f", "-", input=json.dumps(team_project(api.namespace, name, **spec)))


def _message(resp: httpx.Response, status: int) -> str:
    assert resp.status_code == status, resp.text
    return str(resp.json()["message"])


def test_create_outside_the_project_is_refused(api_server: ApiServer, kubectl: Kubectl) -> None:
    proj = _name("narrow")
    _project(kubectl, api_server, proj, destinations=[{"server": "*", "namespace": "allowed"}])
    with api_server.client() as c:
        bad, good = _name(), _name()
        msg = _message(c.post("/api/v1/applications", json=_app(bad, proj, "forbidden")), 400)
        assert (
            "InvalidSpecError" in msg
            and "forbidden" in msg
            and "do not match any of the allowed destinations" in msg
        ), msg
        assert c.get(f"/api/v1/applications/{bad}").status_code == 404  # nothing written
        assert c.post("/api/v1/applications", json=_app(good, proj, "allowed")).status_code == 200
        missing = _message(c.post("/api/v1/applications", json=_app(_name(), "nope")), 400)
        assert "project nope which does not exist" in missing, missing


def test_updates_that_leave_the_project_change_nothing(
    api_server: ApiServer, kubectl: Kubectl
) -> None:
    proj = _name("narrow")
    _project(kubectl, api_server, proj, destinations=[{"server": "*", "namespace": "allowed"}])
    name = _name()
    with api_server.client() as c:
        assert c.post("/api/v1/applications", json=_app(name, proj, "allowed")).status_code == 200
        assert "do not match any of the allowed destinations" in _message(
            c.put(f"/api/v1/applications/{name}", json=_app(name, proj, "elsewhere")), 400
        )
        spec = _app(name, proj, "elsewhere")["spec"]
        assert "do not match any of the allowed destinations" in _message(
            c.put(f"/api/v1/applications/{name}/spec", json=spec), 400
        )
        patch = json.dumps({"spec": {"destination": {"namespace": "elsewhere"}}})
        assert "do not match any of the allowed destinations" in _message(
            c.patch(f"/api/v1/applications/{name}", json={"patch": patch, "patchType": "merge"}),
            400,
        )
        kept = c.get(f"/api/v1/applications/{name}").json()
        assert kept["spec"]["destination"]["namespace"] == "allowed"


def test_sync_and_rollback_blocked_by_a_deny_window(
    api_server: ApiServer, kubectl: Kubectl
) -> None:
    proj = _name("frozen")
    window = {
        "kind": "deny", "schedule": "* * * * *", "duration": "1h",
        "applications": ["*"], "manualSync": False,
    }  # fmt: skip
    _project(kubectl, api_server, proj, syncWindows=[window])
    name = _name()
    with api_server.client() as c:
        assert c.post("/api/v1/applications", json=_app(name, proj)).status_code == 200
        msg = _message(c.post(f"/api/v1/applications/{name}/sync", json={}), 403)
        assert msg.startswith("cannot sync"), msg
        app = c.get(f"/api/v1/applications/{name}").json()
        assert "operation" not in app  # no sync was requested
    # A deny window that allows manual syncs lets the same request through.
    window["manualSync"] = True
    _project(kubectl, api_server, proj, syncWindows=[window])
    with api_server.client() as c:
        resp = c.post(f"/api/v1/applications/{name}/sync", json={})
        assert resp.status_code == 200, resp.text
        assert resp.json()["operation"]["sync"] is not None
