"""No secret value reaches a response body or a log line: known values are planted in
argocd-secret (and referenced from argocd-cm), then every read endpoint is called as admin
and anonymously, and every failure path that handles a password is exercised."""

from __future__ import annotations

import logging
import uuid

import pytest

from kaiun.localcluster import LocalCluster
from tests.integration.server.authserver import auth_server
from tests.support import wait_for

PLANTED = {
    "webhook.github.secret": "planted-webhook-8f3a1c",
    "oidc.okta.clientSecret": "planted-oidc-secret-77de",
    "dex.github.clientSecret": "planted-dex-secret-19b0",
    "oidc.okta.clientID": "kaiun-public-client",
}
OIDC = """name: Okta
issuer: https://issuer.example.com
clientID: $oidc.okta.clientID
clientSecret: $oidc.okta.clientSecret
requestedScopes: [openid, groups]
"""
READS = [
    "/api/v1/settings",
    "/api/version",
    "/api/v1/session/userinfo",
    "/api/v1/account",
    "/api/v1/account/admin",
    "/api/v1/projects",
    "/api/v1/projects/default",
    "/api/v1/applications",
    "/swagger.json",
]


def test_secrets_never_appear_in_responses_or_logs(
    local_cluster: LocalCluster, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bodies: list[str] = []
    with auth_server(local_cluster) as srv:
        srv.set_secret(PLANTED)
        srv.set_configmap("argocd-cm", {
            "oidc.config": OIDC,
            "url": "https://cd.example.com",
            "ui.bannerurl": "javascript:alert(document.cookie)",
            "help.chatUrl": "javascript:alert(1)",
        })  # fmt: skip
        name = f"u{uuid.uuid4().hex[:6]}"
        user_password = "planted-user-pass-5e1"
        srv.add_account(name, user_password, "apiKey, login")
        user = srv.token(name, user_password)
        admin = srv.tokens["admin"]
        # Failure paths that carry a password or a token.
        bodies.append(srv.login(name, "planted-wrong-pass-a1").text)
        bodies.append(srv.login("ghost", "planted-wrong-pass-a1").text)
        with srv.client(user) as c:
            for new in ("x", "planted-new-pass-9c-but-far-too-long-for-the-policy-of-32"):
                body = {"currentPassword": user_password, "newPassword": new}
                bodies.append(c.put("/api/v1/account/password", json=body).text)
            body = {"currentPassword": "planted-wrong-pass-a1", "newPassword": "okay-pass-123"}
            bodies.append(c.put("/api/v1/account/password", json=body).text)
        with srv.client(f"{user}tampered") as c:
            bodies.append(c.get("/api/v1/applications").text)

        def settings_loaded() -> bool:
            with srv.client(admin) as c:
                return "oidcConfig" in c.get("/api/v1/settings").json()

        wait_for(settings_loaded, what="argocd-cm reloaded")
        for token in (admin, user, None):
            with srv.client(token) as c:
                for path in READS:
                    resp = c.get(path)
                    assert resp.status_code in (200, 401, 403), (path, resp.text)
                    bodies.append(resp.text + str(resp.headers))
        stored = srv.secret("argocd-secret")
        with srv.client(admin) as c:
            settings = c.get("/api/v1/settings").json()
    secrets = [
        *(v for k, v in PLANTED.items() if "clientID" not in k),
        srv.tokens["admin-password"],
        user_password,
        "planted-wrong-pass-a1",
        "planted-new-pass-9c",
        stored["server.secretkey"],
        stored["admin.password"],
        stored[f"accounts.{name}.password"],
    ]
    # The server's side: kaiun's own loggers and uvicorn's (httpx/httpcore are the test's
    # client and log the very tokens the test asked for).
    server_records = [r for r in caplog.records if r.name.split(".")[0] in ("kaiun", "uvicorn")]
    logs = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in server_records)
    tokens = [srv.tokens["admin"], user]
    for secret in secrets:
        for body in bodies:
            assert secret not in body
        assert secret not in logs
    for token in tokens:
        assert token not in logs
    # The refused tampered token was logged (without the token): the check saw real lines.
    assert any(r.name == "kaiun.server.authn" for r in server_records)
    oidc = settings["oidcConfig"]
    assert oidc["clientID"] == "kaiun-public-client" and "clientSecret" not in oidc
    assert settings["url"] == "https://cd.example.com"
    assert settings["uiBannerURL"] == "" and settings["help"]["chatUrl"] == ""
