"""SSO through an external Dex (``--dex-server``) configured by argocd-cm ``dex.config``: the
issuer is ``URL/api/dex`` on the server's own address, browsers reach Dex through the
server's proxy, and the server redeems codes with Argo CD's ``argo-cd`` client. The Dex here
is the loopback OIDC provider served under ``/api/dex`` with a fixed external host, as Dex
serves its configured issuer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kaiun.localcluster import LocalCluster
from tests.integration.server.authserver import AuthServer, auth_server
from tests.integration.server.oidckit import Provider, oidc_provider
from tests.support import wait_for

# The seed's example (section 14.1): Dex resolves its own $ references, kaiun passes them on.
DEX_CONFIG = """connectors:
- type: github
  id: github
  name: GitHub
  config:
    clientID: $dex.github.clientID
    clientSecret: $dex.github.clientSecret
    orgs:
    - name: my-org
"""
USERS = {
    "carol": {
        "email": "carol@example.com",
        "groups": ["my-org:platform-team"],
        "federated_claims": {"connector_id": "github", "user_id": "carol-gh"},
    },
}


@pytest.fixture(scope="module")
def dex() -> Iterator[Provider]:
    with oidc_provider(USERS, prefix="/api/dex") as p:
        yield p


@pytest.fixture(scope="module")
def server(local_cluster: LocalCluster, dex: Provider) -> Iterator[AuthServer]:
    with auth_server(local_cluster, dex_server=dex.address) as srv:
        dex.serve_as(srv.url)
        srv.set_configmap("argocd-cm", {"url": srv.url, "dex.config": DEX_CONFIG})
        srv.set_configmap("argocd-rbac-cm", {"policy.csv": "g, my-org:platform-team, role:admin\n"})

        def configured() -> bool:
            with srv.client() as c:
                return "dexConfig" in c.get("/api/v1/settings").json()

        wait_for(configured, what="dex.config loaded")
        yield srv


def test_settings_show_dex_connectors_without_their_secrets(server: AuthServer) -> None:
    with server.client() as c:
        body = c.get("/api/v1/settings").json()
    assert body["dexConfig"] == {"connectors": [{"name": "GitHub", "type": "github"}]}
    assert "oidcConfig" not in body
    assert "dex.github" not in str(body)


def test_browser_login_through_dex_maps_federated_user_and_groups(
    server: AuthServer, dex: Provider
) -> None:
    with server.client(follow_redirects=False) as browser:
        resp = browser.get("/auth/login")
        assert resp.status_code == 303, resp.text
        location = resp.headers["location"]
        assert location.startswith(server.url + "/api/dex/oauth2/authorize?")
        assert "client_id=argo-cd&" in location
        back = dex.authorize(location, "carol")  # the browser talks to Dex via the proxy
        done = browser.get(back)
        assert done.status_code == 303, done.text
        info = browser.get("/api/v1/session/userinfo").json()
        assert info["iss"] == server.url + "/api/dex"
        assert info["username"] == "carol-gh"  # Dex's federated_claims.user_id, as Argo CD 3
        assert info["groups"] == ["my-org:platform-team"]
        assert browser.get("/api/v1/account/can-i/applications/create/default/x").json() == {
            "value": "yes"
        }


def test_dex_discovery_is_served_through_the_proxy(server: AuthServer) -> None:
    with server.client() as c:
        doc = c.get("/api/dex/.well-known/openid-configuration").json()
    assert doc["issuer"] == server.url + "/api/dex"
