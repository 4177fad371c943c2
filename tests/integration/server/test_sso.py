"""SSO against a real OIDC provider on loopback (``oidc-provider-mock`` behind a PKCE gate):
the browser flow through /auth/login and /auth/callback, group-based RBAC, and every way a
login or an ID token must be refused (argo-cd-facts.md section 5.3)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from kaiun.localcluster import LocalCluster
from kaiun.localcluster.server import free_port
from kaiun.localcluster.tls import ensure_certs
from tests.integration.server.authserver import AuthServer, auth_server
from tests.integration.server.oidckit import Provider, oidc_provider
from tests.support import wait_for

CLIENT_ID = "kaiun-sso"
CLIENT_SECRET = "planted-sso-secret-4f1c9a"
USERS = {
    "alice": {"email": "alice@example.com", "groups": ["kaiun:admins", "kaiun:all"]},
    "bob": {"email": "bob@example.com", "groups": ["kaiun:all"]},
    # An ID token of ~14 KB: more than one cookie can hold.
    "dave": {
        "email": "dave@example.com",
        "groups": ["kaiun:admins", *(f"org:team-{i:04d}-with-a-long-name" for i in range(350))],
    },
}


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with oidc_provider(USERS) as p:
        yield p


def _oidc_config(issuer: str) -> str:
    return (
        f"name: Mock\nissuer: {issuer}\nclientID: {CLIENT_ID}\n"
        "clientSecret: $oidc.kaiun.clientSecret\n"
        "requestedScopes: [openid, profile, email, groups]\n"
    )


def _use_issuer(server: AuthServer, issuer: str) -> None:
    server.set_configmap("argocd-cm", {"oidc.config": _oidc_config(issuer)})

    def configured() -> bool:
        with server.client() as c:
            return c.get("/api/v1/settings").json().get("oidcConfig", {}).get("issuer") == issuer

    wait_for(configured, what=f"oidc.config with issuer {issuer}")


@pytest.fixture(scope="module")
def server(local_cluster: LocalCluster, provider: Provider) -> Iterator[AuthServer]:
    with auth_server(local_cluster) as srv:
        srv.set_secret({"oidc.kaiun.clientSecret": CLIENT_SECRET})
        srv.set_configmap("argocd-cm", {"url": srv.url})
        srv.set_configmap("argocd-rbac-cm", {
            "policy.csv": "g, kaiun:admins, role:admin\n",
            "scopes": "[groups, email]",
        })  # fmt: skip
        _use_issuer(srv, provider.url)
        yield srv


def _browser(server: AuthServer) -> httpx.Client:
    return server.client(follow_redirects=False)


def _start(browser: httpx.Client, return_url: str = "") -> str:
    params = {"return_url": return_url} if return_url else {}
    resp = browser.get("/auth/login", params=params)
    assert resp.status_code == 303, resp.text
    return str(resp.headers["location"])


@contextmanager
def _sso_login(server: AuthServer, provider: Provider, sub: str) -> Iterator[httpx.Client]:
    """A browser that went through the whole SSO login as ``sub``."""
    with _browser(server) as browser:
        back = provider.authorize(_start(browser, server.url + "/applications"), sub)
        resp = browser.get(back)
        assert resp.status_code == 303, resp.text
        assert resp.headers["location"] == server.url + "/applications"
        assert browser.cookies.get("argocd.token")
        yield browser


def _app(name: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "spec": {
            "project": "default",
            "source": {"repoURL": "https://example.com/repo.git", "path": "guestbook"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "gb"},
        },
    }


def test_browser_login_yields_a_session_with_the_users_groups(
    server: AuthServer, provider: Provider
) -> None:
    with _sso_login(server, provider, "alice") as browser:
        info = browser.get("/api/v1/session/userinfo").json()
        cookie = browser.cookies["argocd.token"]
    assert info == {"loggedIn": True, "username": "alice", "iss": provider.url,
                    "groups": ["kaiun:admins", "kaiun:all", "alice@example.com"]}  # fmt: skip
    # As in Argo CD, the session cookie is the provider's ID token, for our client.
    claims = jwt.decode(cookie, options={"verify_signature": False})
    assert claims["iss"] == provider.url and claims["aud"] in (CLIENT_ID, [CLIENT_ID])


def test_group_mapped_to_admin_may_create_apps_and_others_may_not(
    server: AuthServer, provider: Provider
) -> None:
    name = f"sso-{uuid.uuid4().hex[:6]}"
    with _sso_login(server, provider, "bob") as bob:
        resp = bob.post("/api/v1/applications", json=_app(name))
        assert resp.status_code == 403, resp.text
        assert bob.get("/api/v1/account/can-i/applications/create/default/x").json() == {
            "value": "no"
        }
    with _sso_login(server, provider, "alice") as alice:
        resp = alice.post("/api/v1/applications", json=_app(name))
        assert resp.status_code == 200, resp.text
        assert alice.get(f"/api/v1/applications/{name}").status_code == 200


def test_the_cli_bearer_path_accepts_the_same_id_token(
    server: AuthServer, provider: Provider
) -> None:
    token = provider.id_token(CLIENT_ID, "alice")
    with server.client(token) as c:
        assert c.get("/api/v1/session/userinfo").json()["username"] == "alice"
        assert c.get("/api/v1/applications").status_code == 200


def test_authorization_request_uses_pkce_s256_and_fresh_256_bit_state_and_nonce(
    server: AuthServer, provider: Provider
) -> None:
    seen: list[dict[str, str]] = []
    for _ in range(2):
        with _browser(server) as browser:
            location = _start(browser)
        query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        seen.append(query)
        assert location.startswith(provider.url + "/oauth2/authorize?")
        assert query["code_challenge_method"] == "S256"
        assert len(query["code_challenge"]) == 43
        assert len(query["state"]) >= 43 and len(query["nonce"]) >= 43  # >= 256 bits
        assert query["redirect_uri"] == server.url + "/auth/callback"
        assert query["client_id"] == CLIENT_ID
        assert query["scope"] == "openid profile email groups"
    assert seen[0]["state"] != seen[1]["state"] and seen[0]["nonce"] != seen[1]["nonce"]
    assert seen[0]["code_challenge"] != seen[1]["code_challenge"]


def _refused(resp: httpx.Response, *words: str) -> None:
    assert resp.status_code == 401, resp.text
    assert all(w in resp.json()["message"] for w in words), resp.text
    assert "argocd.token=" not in resp.headers.get("set-cookie", "")


def test_a_state_from_another_browser_is_refused(server: AuthServer, provider: Provider) -> None:
    with _browser(server) as victim, _browser(server) as attacker:
        back = provider.authorize(_start(victim), "alice")
        _start(attacker)  # the attacker has a login cookie of its own
        _refused(attacker.get(back), "state does not match")
        with _browser(server) as fresh:  # no login cookie at all
            _refused(fresh.get(back), "no login in progress")


def test_a_replayed_callback_is_refused(server: AuthServer, provider: Provider) -> None:
    with _browser(server) as browser:
        back = provider.authorize(_start(browser), "alice")
        state_cookie = browser.cookies["argocd.oauthstate"]
        assert browser.get(back).status_code == 303
    with _browser(server) as replay:
        replay.cookies.set("argocd.oauthstate", state_cookie)
        _refused(replay.get(back), "already completed")


def test_an_altered_login_cookie_is_refused(server: AuthServer, provider: Provider) -> None:
    with _browser(server) as browser:
        back = provider.authorize(_start(browser), "alice")
        sealed = browser.cookies["argocd.oauthstate"]
        flipped = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
        browser.cookies.set("argocd.oauthstate", flipped)
        _refused(browser.get(back), "login cookie is invalid")


def test_an_id_token_with_another_nonce_is_refused(server: AuthServer, provider: Provider) -> None:
    with _browser(server) as browser:
        back = provider.authorize(_start(browser), "alice", edit={"nonce": "x" * 43})
        _refused(browser.get(back), "nonce does not match")


def test_a_code_cannot_be_redeemed_without_the_pkce_verifier(
    server: AuthServer, provider: Provider
) -> None:
    """The verifier never leaves the server: whoever intercepts the code cannot use it."""
    with _browser(server) as browser:
        back = provider.authorize(_start(browser), "alice")
    code = parse_qs(urlsplit(back).query)["code"][0]
    resp = httpx.post(
        f"{provider.url}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": CLIENT_ID,
            "redirect_uri": server.url + "/auth/callback",
        },
        auth=(CLIENT_ID, CLIENT_SECRET),
    )
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_grant"


def test_provider_errors_are_reported_without_echoing_the_query(server: AuthServer) -> None:
    with _browser(server) as browser:
        _start(browser)
        resp = browser.get("/auth/callback", params={"error": "<script>alert(1)</script>"})
        _refused(resp, "did not log you in")
        assert "<script>" not in resp.text
        resp = browser.get("/auth/callback", params={"error": "access_denied"})
        _refused(resp, "access_denied")


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/applications",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
        "http://127.0.0.1:1/applications",
        "http://evil.example@127.0.0.1:1/",
        "/ok\r\nSet-Cookie: x=y",
    ],
)
def test_return_url_off_this_server_is_refused(server: AuthServer, target: str) -> None:
    with _browser(server) as browser:
        resp = browser.get("/auth/login", params={"return_url": target})
    assert resp.status_code == 400, resp.text
    assert "invalid return_url" in resp.json()["message"]
    assert "location" not in resp.headers


def test_return_url_on_this_server_is_kept(server: AuthServer, provider: Provider) -> None:
    with _browser(server) as browser:
        back = provider.authorize(_start(browser, "/applications/default/guestbook?x=1"), "bob")
        resp = browser.get(back)
    assert resp.headers["location"] == server.url + "/applications/default/guestbook?x=1"


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _forgeries(provider: Provider, token: str) -> dict[str, str]:
    claims = jwt.decode(token, options={"verify_signature": False})
    head, _, sig = token.split(".")
    own_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwks = httpx.get(f"{provider.url}/jwks").json()
    public_pem = jwt.PyJWK(jwks["keys"][0]).key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # Algorithm confusion: HS256 "signed" with the provider's public key as the secret.
    hs_header = _b64({"alg": "HS256", "typ": "JWT"})
    hs_body = _b64(claims | {"groups": ["kaiun:admins"]})
    mac = hmac.new(public_pem, f"{hs_header}.{hs_body}".encode(), hashlib.sha256).digest()
    hs_sig = base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    return {
        "altered payload": f"{head}.{_b64(claims | {'groups': ['kaiun:admins']})}.{sig}",
        "signed by another key": jwt.encode(claims, own_key, algorithm="RS256"),
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.",
        "HS256 keyed with the public key": f"{hs_header}.{hs_body}.{hs_sig}",
        "another audience": provider.id_token("some-other-client", "bob"),
        "another issuer": jwt.encode(
            claims | {"iss": "https://elsewhere.example"}, own_key, algorithm="RS256"
        ),
    }


def test_forged_or_foreign_id_tokens_are_refused(server: AuthServer, provider: Provider) -> None:
    genuine = provider.id_token(CLIENT_ID, "bob")
    with server.client(genuine) as c:
        assert c.get("/api/v1/applications").status_code == 200
    for what, token in _forgeries(provider, genuine).items():
        with server.client(token) as c:
            resp = c.get("/api/v1/applications")
            assert resp.status_code == 401, (what, resp.text)
            assert c.get("/api/v1/session/userinfo").json() == {"loggedIn": False}, what


def test_an_expired_id_token_is_refused(server: AuthServer, provider: Provider) -> None:
    with oidc_provider(USERS, token_max_age=timedelta(seconds=10)) as short:
        _use_issuer(server, short.url)
        try:
            token = short.id_token(CLIENT_ID, "alice")
            with server.client(token) as c:
                assert c.get("/api/v1/applications").status_code == 200
            exp = jwt.decode(token, options={"verify_signature": False})["exp"]
            while time.time() < exp + 0.5:
                time.sleep(0.2)
            with server.client(token) as c:
                assert c.get("/api/v1/applications").status_code == 401
        finally:
            _use_issuer(server, provider.url)


def test_logout_ends_an_sso_session(server: AuthServer, provider: Provider) -> None:
    with _sso_login(server, provider, "bob") as browser:
        token = browser.cookies["argocd.token"]
        assert browser.delete("/api/v1/session").status_code == 200
    with server.client(cookies={"argocd.token": token}) as c:
        assert c.get("/api/v1/applications").status_code == 401


def test_the_client_secret_is_never_shown(
    server: AuthServer, provider: Provider, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    with server.client() as anonymous, server.client(server.tokens["admin"]) as admin:
        seen += [anonymous.get("/api/v1/settings").text, admin.get("/api/v1/settings").text]
    assert json.loads(seen[1])["oidcConfig"] == {
        "name": "Mock", "issuer": provider.url, "clientID": CLIENT_ID,
        "scopes": ["openid", "profile", "email", "groups"],
    }  # fmt: skip
    with _browser(server) as browser:
        back = provider.authorize(_start(browser), "alice")
        code_less = back.replace("code=", "code=bogus")
        resp = browser.get(code_less)  # the provider refuses the code: an error path
        seen.append(resp.text)
        assert resp.status_code == 401
    with _sso_login(server, provider, "alice") as browser:
        seen.append(browser.get("/api/v1/session/userinfo").text)
    seen += [r.getMessage() for r in caplog.records]
    assert not [s for s in seen if CLIENT_SECRET in s]


def test_cli_sso_login_stores_a_working_token(
    server: AuthServer, provider: Provider, tmp_path: Path
) -> None:
    config, port = tmp_path / "config", free_port()
    address = server.url.removeprefix("http://")
    proc = subprocess.Popen(
        [sys.executable, "-m", "kaiun.cli", "login", address, "--plaintext", "--sso",
         "--sso-port", str(port), "--sso-launch-browser=false", "--config", str(config)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("Performing authorization_code flow login: "), line
        auth_url = line.split(": ", 1)[1].strip()
        query = parse_qs(urlsplit(auth_url).query)
        assert query["redirect_uri"] == [f"http://localhost:{port}/auth/callback"]
        assert query["code_challenge_method"] == ["S256"]
        back = provider.authorize(auth_url, "alice")
        assert httpx.get(back.replace("localhost", "127.0.0.1", 1)).status_code == 200
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, out
    assert "'alice@example.com' logged in successfully" in out
    stored = yaml.safe_load(config.read_text())
    token = stored["users"][0]["auth-token"]
    with server.client(token) as c:
        info = c.get("/api/v1/session/userinfo").json()
    assert info["username"] == "alice" and "kaiun:admins" in info["groups"]
    assert stored["current-context"] == address


def test_cli_sso_login_refuses_a_forged_callback_state(
    server: AuthServer, provider: Provider, tmp_path: Path
) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kaiun.cli", "login", server.url.removeprefix("http://"),
         "--plaintext", "--sso", "--sso-port", str(port), "--sso-launch-browser=false",
         "--config", str(tmp_path / "config")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        auth_url = proc.stdout.readline().split(": ", 1)[1].strip()
        back = provider.authorize(auth_url, "alice", edit={"state": "attacker-state"})
        httpx.get(back.replace("localhost", "127.0.0.1", 1))
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode != 0
    assert "state does not match" in out
    assert not (tmp_path / "config").exists()


def test_an_https_provider_is_trusted_only_through_root_ca_or_explicit_skip_verify(
    server: AuthServer, provider: Provider, tmp_path: Path
) -> None:
    """GHSA-7943-82jg-wmw5: TLS to the provider is verified unless configured otherwise."""
    tls = ensure_certs(tmp_path / "idp-tls")
    pem = tls[0].read_text()
    with oidc_provider(USERS, tls=tls) as secure:
        try:
            _use_issuer(server, secure.url)
            with _browser(server) as browser:
                resp = browser.get("/auth/login")
            assert resp.status_code == 503, resp.text
            assert "CERTIFICATE_VERIFY_FAILED" in resp.json()["message"]

            root_ca = "rootCA: |\n" + "".join(f"  {line}\n" for line in pem.splitlines())
            server.set_configmap("argocd-cm", {"oidc.config": _oidc_config(secure.url) + root_ca})

            def starts() -> str | None:
                with _browser(server) as b:
                    r = b.get("/auth/login")
                return str(r.headers["location"]) if r.status_code == 303 else None

            wait_for(starts, what="login with rootCA")
            with _browser(server) as browser:
                back = secure.authorize(_start(browser), "alice")
                assert browser.get(back).status_code == 303
                info = browser.get("/api/v1/session/userinfo").json()
            assert info["iss"] == secure.url and info["username"] == "alice"

            insecure = {"oidc.config": _oidc_config(secure.url),
                        "oidc.tls.insecure.skip.verify": "true"}  # fmt: skip
            server.set_configmap("argocd-cm", insecure)
            wait_for(starts, what="login with TLS verification off")
        finally:
            server.set_configmap("argocd-cm", {"oidc.tls.insecure.skip.verify": ""})
            _use_issuer(server, provider.url)


def test_session_create_takes_an_sso_token_as_argo_cd_does(
    server: AuthServer, provider: Provider
) -> None:
    token = provider.id_token(CLIENT_ID, "alice")
    with server.client() as c:
        resp = c.post("/api/v1/session", json={"token": token})
        assert resp.status_code == 200 and resp.json() == {"token": token}
        assert c.cookies["argocd.token"] == token
        forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        refused = c.post("/api/v1/session", json={"token": forged})
        assert refused.status_code == 401


def test_an_unusable_oidc_config_is_reported_at_login(
    server: AuthServer, provider: Provider
) -> None:
    broken = f"issuer: {provider.url}\nclientID: {CLIENT_ID}\nclientSecret: $oidc.nope\n"
    server.set_configmap("argocd-cm", {"oidc.config": broken})
    try:

        def refused() -> httpx.Response | None:
            with _browser(server) as b:
                resp = b.get("/auth/login")
            return resp if resp.status_code == 503 else None

        resp = wait_for(refused, what="the broken oidc.config loaded")
        assert (
            "clientSecret refers to key 'oidc.nope' missing in argocd-secret"
            in (resp.json()["message"])
        )
        with server.client() as c:
            assert "oidcConfig" not in c.get("/api/v1/settings").json()
    finally:
        _use_issuer(server, provider.url)


def test_a_large_id_token_is_split_over_several_cookies_as_argo_cd_does(
    server: AuthServer, provider: Provider
) -> None:
    with _sso_login(server, provider, "dave") as browser:
        head = browser.cookies["argocd.token"]
        count = int(head.split(":", 1)[0])
        assert count > 1
        parts = [browser.cookies[f"argocd.token-{i}"] for i in range(1, count)]
        assert all(len(p) <= 3805 for p in [head, *parts])  # browsers keep ~4096 per cookie
        info = browser.get("/api/v1/session/userinfo").json()
        assert info["username"] == "dave" and len(info["groups"]) == 352
        assert browser.post("/api/v1/applications", json=_app(f"big-{uuid.uuid4().hex[:6]}")
                            ).status_code == 200  # fmt: skip
        assert browser.delete("/api/v1/session").status_code == 200
        assert not [k for k in browser.cookies if k.startswith("argocd.token")]
        assert browser.get("/api/v1/applications").status_code == 401
