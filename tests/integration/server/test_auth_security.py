"""Authentication on the real server: sessions and cookies, login lockout, revocation,
tampered tokens, CSRF, anonymous access and disabled admin (the advisory classes of
argo-cd-facts.md section 5.3-5.4)."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterator

import jwt
import pytest

from kaiun.localcluster import LocalCluster
from kaiun.server import stream
from tests.integration.server.authserver import AuthServer, auth_server
from tests.support import wait_for

INVALID = "Invalid username or password"


@pytest.fixture(scope="module")
def server(local_cluster: LocalCluster) -> Iterator[AuthServer]:
    with auth_server(local_cluster) as srv:
        yield srv


def _user(server: AuthServer, password: str, capabilities: str = "login") -> str:
    name = f"u{uuid.uuid4().hex[:8]}"
    server.add_account(name, password, capabilities)
    return name


def _status(server: AuthServer, token: str | None, path: str = "/api/v1/applications") -> int:
    with server.client(token) as c:
        return c.get(path).status_code


def test_login_sets_an_httponly_samesite_cookie_that_authenticates(server: AuthServer) -> None:
    resp = server.login("admin", server.tokens["admin-password"])
    assert resp.status_code == 200
    cookie = resp.headers["set-cookie"]
    assert cookie.startswith(f"argocd.token={resp.json()['token']}")
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()  # plain HTTP here; the TLS test checks Secure
    with server.client(cookies={"argocd.token": resp.json()["token"]}) as c:
        assert c.get("/api/v1/applications").status_code == 200
        info = c.get("/api/v1/session/userinfo").json()
    assert info == {"loggedIn": True, "username": "admin", "iss": "argocd", "groups": []}


def test_cookie_sessions_cannot_write_without_a_json_body(server: AuthServer) -> None:
    """CSRF (GHSA-92mw-q256-5vwg): a cross-site form posts text/plain with the cookie."""
    name = f"csrf-{uuid.uuid4().hex[:6]}"
    body = json.dumps({"metadata": {"name": name}, "spec": {}})
    with server.client(cookies={"argocd.token": server.tokens["admin"]}) as c:
        resp = c.post("/api/v1/applications", content=body, headers={"Content-Type": "text/plain"})
        assert resp.status_code == 415, resp.text
        assert "application/json" in resp.json()["message"]
        assert c.get(f"/api/v1/applications/{name}").status_code == 404


def test_login_locks_out_after_five_failures_whatever_the_spelling(server: AuthServer) -> None:
    password = "victim-pass-1"
    name = _user(server, password)
    spellings = [name, name, name.upper(), f" {name} ", name.capitalize()]
    for spelling in spellings:
        resp = server.login(spelling, "wrong-password")
        assert resp.status_code == 401 and resp.json()["message"] == INVALID
    locked = server.login(name, password)
    assert locked.status_code == 401
    assert locked.json()["message"] == INVALID  # the same answer as a wrong password
    unknown = server.login(f"nobody-{name}", "wrong-password")
    assert unknown.json() == locked.json()


def test_lockout_outlives_a_server_restart(local_cluster: LocalCluster) -> None:
    """GHSA-x32m-mvfj-52xv: restarting the server must not reset the failure count."""
    with auth_server(local_cluster) as first:
        password = "restart-pass-1"
        name = _user(first, password)
        for _ in range(5):
            assert first.login(name, "wrong-password").status_code == 401
        namespace = first.namespace
    with auth_server(local_cluster, namespace=namespace) as second:
        assert second.login(name, password).status_code == 401
        other = _user(second, "other-pass-1")
        assert second.login(other, "other-pass-1").status_code == 200


def test_a_user_under_the_limit_still_logs_in(server: AuthServer) -> None:
    password = "under-pass-1"
    name = _user(server, password)
    for _ in range(4):
        assert server.login(name, "wrong-password").status_code == 401
    assert server.login(name, password).status_code == 200


def test_logout_revokes_the_session(server: AuthServer) -> None:
    token = server.token("admin", server.tokens["admin-password"])
    assert _status(server, token) == 200
    with server.client(token) as c:
        resp = c.delete("/api/v1/session")
    assert resp.status_code == 200 and resp.json() == {"token": ""}
    assert (
        'argocd.token=""' in resp.headers["set-cookie"] or "Max-Age=0" in resp.headers["set-cookie"]
    )
    assert _status(server, token) == 401
    assert _status(server, server.tokens["admin"]) == 200  # other sessions live on


def test_logout_outlives_a_server_restart(local_cluster: LocalCluster) -> None:
    with auth_server(local_cluster) as first:
        token = first.tokens["admin"]
        with first.client(token) as c:
            assert c.delete("/api/v1/session").status_code == 200
        namespace = first.namespace
    with auth_server(local_cluster, namespace=namespace) as second:
        assert _status(second, second.tokens["admin"]) == 200
        assert _status(second, token) == 401


def test_deleting_an_api_token_revokes_it(server: AuthServer) -> None:
    name = _user(server, "ci-pass-12345", "apiKey")
    with server.client(server.tokens["admin"]) as c:
        resp = c.post(f"/api/v1/account/{name}/token", json={"expiresIn": 3600})
        assert resp.status_code == 200, resp.text
        token = resp.json()["token"]
        account = c.get(f"/api/v1/account/{name}").json()
    [record] = account["tokens"]
    assert int(record["expiresAt"]) - int(record["issuedAt"]) == 3600
    assert _status(server, token, f"/api/v1/account/{name}") == 200  # sees itself
    with server.client(server.tokens["admin"]) as c:
        assert c.delete(f"/api/v1/account/{name}/token/{record['id']}").status_code == 200
    assert _status(server, token, f"/api/v1/account/{name}") == 401


def test_changing_a_password_ends_earlier_sessions(server: AuthServer) -> None:
    name = _user(server, "first-pass-1")
    token = server.token(name, "first-pass-1")
    assert _status(server, token) == 200
    time.sleep(1.1)  # passwordMtime has whole seconds: the change must be a later second
    body = {"currentPassword": "first-pass-1", "newPassword": "second-pass-2"}
    with server.client(token) as c:
        resp = c.put("/api/v1/account/password", json=body)
    assert resp.status_code == 200, resp.text
    assert _status(server, token) == 401
    assert server.login(name, "first-pass-1").status_code == 401
    assert _status(server, server.token(name, "second-pass-2")) == 200


def test_password_change_needs_the_current_password_and_the_policy(server: AuthServer) -> None:
    name = _user(server, "policy-pass-1")
    token = server.token(name, "policy-pass-1")
    with server.client(token) as c:
        wrong = c.put(
            "/api/v1/account/password",
            json={"currentPassword": "not-it-123", "newPassword": "whatever-123"},
        )
        short = c.put(
            "/api/v1/account/password",
            json={"currentPassword": "policy-pass-1", "newPassword": "short"},
        )
    assert wrong.status_code == 400 and "current password" in wrong.json()["message"]
    assert short.status_code == 400 and "short" not in short.json()["message"]


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_tampered_and_foreign_tokens_are_refused(server: AuthServer) -> None:
    now = int(time.time())
    claims = {"iss": "argocd", "sub": "admin:login", "iat": now, "nbf": now}
    key = server.secret("argocd-secret")["server.secretkey"].encode()
    header, _, signature = server.tokens["admin"].split(".")
    forged = {
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.",
        "wrong key": jwt.encode(claims, b"k" * 32, algorithm="HS256"),
        "edited payload": f"{header}.{_b64({**claims, 'sub': 'someone:login'})}.{signature}",
        "HS512": jwt.encode(claims, key, algorithm="HS512"),
        "expired": jwt.encode({**claims, "exp": now - 1}, key, algorithm="HS256"),
        "foreign issuer": jwt.encode({**claims, "iss": "evil"}, key, algorithm="HS256"),
        # CVE-2023-22482: a token minted for another audience is not ours to accept.
        "foreign audience": jwt.encode({**claims, "aud": "other"}, key, algorithm="HS256"),
        "future": jwt.encode({**claims, "iat": now + 3600}, key, algorithm="HS256"),
        "no such account": jwt.encode({**claims, "sub": "ghost:login"}, key, algorithm="HS256"),
        "garbage": "not-a-jwt",
    }
    for what, token in forged.items():
        with server.client(token) as c:
            resp = c.get("/api/v1/applications")
        assert resp.status_code == 401, what
        assert resp.json()["code"] == 16
    good = jwt.encode(claims, key, algorithm="HS256")
    assert _status(server, good) == 200  # the same claims, properly signed, are accepted


def test_project_token_is_revoked_by_deleting_its_record(server: AuthServer) -> None:
    server.apply({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": "revoke"},
        "spec": {"roles": [{"name": "ci", "policies": [
            "p, proj:revoke:ci, projects, get, revoke, allow"]}]},
    })  # fmt: skip
    with server.client(server.tokens["admin"]) as c:
        resp = c.post("/api/v1/projects/revoke/roles/ci/token", json={"expiresIn": 600})
        assert resp.status_code == 200, resp.text
        token = resp.json()["token"]
        role = c.get("/api/v1/projects/revoke").json()["spec"]["roles"][0]
    [record] = role["jwtTokens"]
    assert record["exp"] - record["iat"] == 600
    assert _status(server, token, "/api/v1/projects/revoke") == 200
    assert _status(server, token, "/api/v1/projects/default") == 403
    with server.client(server.tokens["admin"]) as c:
        path = f"/api/v1/projects/revoke/roles/ci/token/{record['iat']}"
        assert c.delete(path, params={"id": record["id"]}).status_code == 200
    assert _status(server, token, "/api/v1/projects/revoke") == 401


def test_anonymous_access_gets_policy_default_only(local_cluster: LocalCluster) -> None:
    with auth_server(local_cluster) as srv:
        assert _status(srv, None) == 401
        srv.set_configmap("argocd-cm", {"users.anonymous.enabled": "true"})
        srv.set_configmap("argocd-rbac-cm", {"policy.default": "role:readonly"})
        wait_for(lambda: _status(srv, None) == 200, what="anonymous access on")
        with srv.client() as c:
            created = c.post(
                "/api/v1/applications",
                json={"metadata": {"name": "anon"}, "spec": {
                    "source": {"repoURL": "https://e.com/r.git"},
                    "destination": {"namespace": "x"}}},
            )  # fmt: skip
            assert created.status_code == 403
            assert c.get("/api/v1/session/userinfo").json() == {"loggedIn": False}
            assert "appLabelKey" not in c.get("/api/v1/settings").json()
            assert c.get("/api/version").json().keys() == {"Version"}
        # CVE-2022-29165: with anonymous access on, a forged token is still refused.
        now = int(time.time())
        forged = jwt.encode(
            {"iss": "argocd", "sub": "admin:login", "iat": now}, b"x" * 32, algorithm="HS256"
        )
        assert _status(srv, forged) == 401


def test_disabled_admin_cannot_log_in_or_use_its_sessions(local_cluster: LocalCluster) -> None:
    with auth_server(local_cluster) as srv:
        token = srv.tokens["admin"]
        srv.set_configmap("argocd-cm", {"admin.enabled": "false"})
        wait_for(lambda: _status(srv, token) == 401, what="admin disabled")
        refused = srv.login("admin", srv.tokens["admin-password"])
        assert refused.status_code == 401 and refused.json()["message"] == INVALID


def test_an_event_stream_ends_when_its_session_does(
    server: AuthServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stream, "RECHECK_SECONDS", 0.0)
    token = server.token("admin", server.tokens["admin-password"])
    app = {
        "metadata": {"name": f"s-{uuid.uuid4().hex[:6]}"},
        "spec": {
            "project": "default",
            "source": {"repoURL": "https://example.com/r.git", "path": "p"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "x"},
        },
    }
    with server.client(token) as c, c.stream("GET", "/api/v1/stream/applications") as resp:
        assert resp.status_code == 200
        with server.client(token) as other:
            assert other.delete("/api/v1/session").status_code == 200
        with server.client(server.tokens["admin"]) as admin:
            assert admin.post("/api/v1/applications", json=app).status_code == 200
        lines = [line for line in resp.iter_lines() if line.startswith("data:")]
    # Applications that existed before may come first; the stream then ends, saying why.
    assert json.loads(lines[-1].removeprefix("data: "))["error"]["code"] == 16
    assert not any(app["metadata"]["name"] in line for line in lines)
