"""The server-rendered first view: with a valid ``argocd.token`` cookie the shell of
``/applications`` lists the caller's apps (RBAC-filtered, escaped); without one it does not."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.server.authserver import AuthServer
from tests.integration.ui.conftest import application
from tests.support import wait_for

EVIL = '<img src=x onerror="alert(1)"><script>alert(2)</script>'


@pytest.fixture(scope="module")
def seeded(ui: AuthServer) -> AuthServer:
    spec = {"sourceRepos": ["*"], "destinations": [{"server": "*", "namespace": "*"}]}
    ui.apply(
        {"apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject", "metadata": {"name": "team"},
         "spec": spec}
    )  # fmt: skip
    ui.apply(application("web", sync={"status": "Synced"}, health={"status": "Healthy"}))
    ui.apply(
        application(
            "broken",
            sync={"status": "OutOfSync"},
            health={"status": "Degraded"},
            conditions=[{"type": "ComparisonError", "message": EVIL}],
        )
    )
    ui.apply(application("team-api", project="team", sync={"status": "Synced"}))
    ui.set_configmap(
        "argocd-rbac-cm",
        {"policy.csv": "p, role:team, applications, get, team/*, allow\ng, dev, role:team\n"},
    )
    ui.add_account("dev", "dev-password-1")
    ui.tokens["dev"] = ui.token("dev", "dev-password-1")
    return ui


def _page(server: AuthServer, path: str, token: str | None) -> httpx.Response:
    cookies = {"argocd.token": token} if token else {}
    with server.client(cookies=cookies) as c:
        return c.get(path)


def test_without_a_session_no_app_is_rendered(seeded: AuthServer) -> None:
    html = _page(seeded, "/applications", None).text
    assert 'href="/login"' in html
    for name in ("web", "broken", "team-api"):
        assert f">{name}<" not in html


def test_an_invalid_cookie_renders_nothing_either(seeded: AuthServer) -> None:
    html = _page(seeded, "/applications", "not-a-token").text
    assert ">web<" not in html and 'href="/login"' in html


def test_admin_sees_every_app_with_sync_and_health(seeded: AuthServer) -> None:
    html = _page(seeded, "/applications", seeded.tokens["admin"]).text
    ns = seeded.namespace
    assert f'<a href="/applications/{ns}/web">web</a>' in html
    assert f'<a href="/applications/{ns}/team-api">team-api</a>' in html
    row = html.split(f'/applications/{ns}/broken"', 1)[1].split("</tr>", 1)[0]
    assert "OutOfSync" in row and "Degraded" in row
    assert "3 applications." in html


def test_condition_messages_are_escaped(seeded: AuthServer) -> None:
    html = _page(seeded, "/applications", seeded.tokens["admin"]).text
    assert EVIL not in html and "<script>alert" not in html and "<img" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html


def test_the_list_is_filtered_by_rbac(seeded: AuthServer) -> None:
    html = _page(seeded, "/applications", seeded.tokens["dev"]).text
    assert ">team-api</a>" in html
    assert ">web</a>" not in html and ">broken</a>" not in html
    assert "1 applications." in html


def test_details_shell_renders_the_app_or_one_answer_for_missing_and_forbidden(
    seeded: AuthServer,
) -> None:
    ns = seeded.namespace
    mine = _page(seeded, f"/applications/{ns}/team-api", seeded.tokens["dev"]).text
    assert "<h1>team-api</h1>" in mine
    forbidden = _page(seeded, f"/applications/{ns}/web", seeded.tokens["dev"]).text
    missing = _page(seeded, f"/applications/{ns}/no-such-app", seeded.tokens["dev"]).text
    assert "not found or not permitted" in forbidden and "<h1>web</h1>" not in forbidden
    strip = lambda s: s.replace("web", "X").replace("no-such-app", "X")  # noqa: E731
    assert strip(forbidden) == strip(missing)


def test_a_logged_out_token_no_longer_renders_apps(seeded: AuthServer) -> None:
    token = seeded.token("dev", "dev-password-1")
    assert ">team-api</a>" in _page(seeded, "/applications", token).text
    with seeded.client(token) as c:
        assert c.delete("/api/v1/session").status_code == 200
    wait_for(
        lambda: ">team-api</a>" not in _page(seeded, "/applications", token).text,
        what="revoked session stops rendering apps",
    )


def test_the_shell_never_echoes_the_session_or_sets_cookies(seeded: AuthServer) -> None:
    token = seeded.tokens["admin"]
    for path in ("/applications", "/login", f"/applications/{seeded.namespace}/web"):
        resp = _page(seeded, path, token)
        assert token not in resp.text, path
        assert "set-cookie" not in resp.headers, path
        assert seeded.tokens["admin-password"] not in resp.text, path
