"""The applications pages in real headless chromium against ``kaiun up --demo``: log in,
tiles and list, filters and search, live updates, the details page, Sync with progress,
Rollback from History, Delete, RBAC-disabled actions, and ``javascript:`` links."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Dialog, Page, expect

from tests.e2e.ui.uikit import KaiunUp, login
from tests.support import wait_for

LONG = 120_000  # ms: a sync runs hooks and waits for health


def _app(up: KaiunUp, name: str) -> dict[str, Any]:
    return json.loads(up.kubectl("get", "application", name, "-n", up.namespace, "-o", "json"))


def _no_alerts(page: Page) -> list[str]:
    seen: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        seen.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return seen


def test_login_form_then_tiles_list_search_and_filters(
    context: BrowserContext, kaiun_up: KaiunUp, shot: Callable[..., Path]
) -> None:
    page = context.new_page()
    page.goto(f"{kaiun_up.url}/applications")
    expect(page).to_have_url(f"{kaiun_up.url}/login?return_url=%2Fapplications")
    page.fill("#login-username", kaiun_up.username)
    page.fill("#login-password", "wrong password")
    page.click("button[type=submit]")
    expect(page.locator(".login-box .error-banner")).to_have_text("Invalid username or password")
    page.fill("#login-password", kaiun_up.password)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{kaiun_up.url}/applications")

    tiles = page.locator("article.app-tile")
    for name in ("guestbook", "helm-dev", "helm-prod", "kustomize-dev", "jsonnet", "sync-waves"):
        tile = page.locator(f'article.app-tile[data-app="{name}"]')
        expect(tile.locator(".badge.sync-synced")).to_be_visible()
        expect(tile.locator(".badge.health-healthy")).to_be_visible()
    total = tiles.count()
    assert total >= 8
    expect(page.locator("#apps-count")).to_have_text(f"{total} applications")
    shot(page, "tiles")

    page.click("button[data-view=list]")
    expect(page.locator("table.apps-table tbody tr")).to_have_count(total)
    expect(page).to_have_url(f"{kaiun_up.url}/applications?view=list")
    shot(page, "list")

    page.fill("input[name=search]", "helm")
    rows = page.locator("table.apps-table tbody tr")
    expect(rows).to_have_count(2)
    names = rows.evaluate_all("rs => rs.map(r => r.dataset.app)")
    assert sorted(names) == ["helm-dev", "helm-prod"]
    expect(page.locator("#apps-count")).to_have_text(f"2 of {total} applications")

    page.fill("input[name=search]", "")
    page.select_option("select[data-filter=namespace]", "helm-prod")
    expect(rows).to_have_count(1)
    page.select_option("select[data-filter=namespace]", "")
    page.select_option("select[data-filter=health]", "Degraded")
    expect(page.locator(".apps-body .empty")).to_have_text("No applications match the filters.")
    page.select_option("select[data-filter=health]", "")
    page.select_option("select[data-filter=autosync]", "off")
    expect(rows).to_have_count(0)
    page.select_option("select[data-filter=autosync]", "")

    # Favourites: starred apps come first and can be shown alone; kept across reloads.
    page.click('tr[data-app="sync-waves"] button[data-action=favourite]')
    expect(rows.first).to_have_attribute("data-app", "sync-waves")
    page.check("input[name=fav]")
    expect(rows).to_have_count(1)
    page.reload()
    expect(page.locator("table.apps-table tbody tr")).to_have_count(1)
    page.uncheck("input[name=fav]")
    page.click('tr[data-app="sync-waves"] button[data-action=favourite]')


def test_list_updates_live_without_reloading(
    page: Page, kaiun_up: KaiunUp, shot: Callable[..., Path]
) -> None:
    page.goto(f"{kaiun_up.url}/applications?labels=ui-core-live%3Dyes")
    expect(page.locator(".apps-body .empty")).to_have_text("No applications match the filters.")
    page.evaluate("window.__sameDocument = true")
    kaiun_up.kubectl("label", "application", "app-b", "-n", kaiun_up.namespace, "ui-core-live=yes")
    try:
        expect(page.locator('article.app-tile[data-app="app-b"]')).to_be_visible()
        assert page.evaluate("window.__sameDocument") is True
        shot(page)
    finally:
        kaiun_up.kubectl("label", "application", "app-b", "-n", kaiun_up.namespace, "ui-core-live-")


def test_server_rendered_list_before_scripts_run(
    new_context: Callable[..., BrowserContext], kaiun_up: KaiunUp
) -> None:
    ctx = new_context(java_script_enabled=False)
    page = ctx.new_page()
    login(page, kaiun_up)
    page.goto(f"{kaiun_up.url}/applications")
    row = page.locator("table.ssr-apps tr", has=page.locator("a", has_text="guestbook"))
    expect(row).to_contain_text("Synced")
    expect(row).to_contain_text("Healthy")


def test_sync_from_the_dialog_shows_progress_until_synced(
    page: Page, kaiun_up: KaiunUp, shot: Callable[..., Path]
) -> None:
    before = _app(kaiun_up, "sync-waves")["status"]["operationState"]["startedAt"]
    page.goto(f"{kaiun_up.url}/applications/argocd/sync-waves")
    expect(page.locator("h1")).to_have_text("sync-waves")
    page.click("#sync-btn")
    dialog = page.locator(".dialog")
    expect(dialog.locator("h2")).to_have_text("Sync sync-waves")
    expect(dialog.locator(".sync-resources input[type=checkbox]")).to_have_count(3)
    dialog.locator("label.check", has_text="Prune").first.locator("input").check()
    shot(page, "dialog")
    dialog.locator("button[data-action=synchronize]").click()
    expect(dialog).to_have_count(0)

    panel = page.locator("#operation-panel")
    # The new operation, not the previous one's result: Pending, then Running, then done.
    expect(panel.locator("#op-phase")).to_have_text(re.compile("Pending|Running"))
    expect(panel.locator("h3").first).to_contain_text("PreSync · wave", timeout=LONG)
    expect(panel.locator("#op-phase")).to_have_text("Succeeded", timeout=LONG)
    expect(panel).to_contain_text("db-migration")
    expect(panel).to_contain_text("Sync · wave")
    shot(page, "progress")
    page.keyboard.press("Escape")
    expect(page.locator("#operation-panel")).to_have_count(0)
    expect(page.locator(".app-facts .badge.sync-synced")).to_be_visible()
    ours = next(
        h
        for h in _app(kaiun_up, "sync-waves")["status"]["history"]
        if h.get("deployStartedAt", "") > before
    )
    assert ours["initiatedBy"]["username"] == "admin"


def test_rollback_from_history(page: Page, kaiun_up: KaiunUp, shot: Callable[..., Path]) -> None:
    before = _app(kaiun_up, "jsonnet")
    history = before["status"]["history"]
    assert history and before["spec"]["syncPolicy"].get("automated") is not None
    page.goto(f"{kaiun_up.url}/applications/argocd/jsonnet")
    page.click("#history-btn")
    entries = page.locator(".history-entry")
    expect(entries).to_have_count(len(history))
    oldest = history[0]["id"]
    page.locator(f'.history-entry[data-history-id="{oldest}"] button[data-action=rollback]').click()
    dialog = page.locator(".dialog")
    expect(dialog).to_contain_text("Automated sync is on; rolling back turns it off.")
    shot(page, "confirm")
    dialog.locator("button[data-action=rollback]").click()
    expect(page.locator("#operation-panel #op-phase")).to_have_text("Succeeded", timeout=LONG)
    after = _app(kaiun_up, "jsonnet")
    assert after["spec"]["syncPolicy"].get("automated") is None
    assert (
        after["status"]["operationState"]["operation"]["sync"]["revision"]
        == (history[0]["revision"])
    )
    assert len(after["status"]["history"]) == len(history) + 1
    shot(page, "done")


def test_delete_dialog_confirms_the_name_and_deletes_without_cascade(
    page: Page, kaiun_up: KaiunUp
) -> None:
    app = {
        "metadata": {"name": "ui-core-doomed"},
        "spec": {
            "project": "default",
            "source": {"repoURL": kaiun_up.demo_repo_url, "path": "guestbook"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "doomed"},
        },
    }
    with kaiun_up.client() as c:
        assert c.post("/api/v1/applications", json=app).status_code == 200
    page.goto(f"{kaiun_up.url}/applications/argocd/ui-core-doomed")
    page.click("#delete-btn")
    dialog = page.locator(".dialog")
    dialog.locator("input[name=confirm]").fill("wrong")
    dialog.locator("button[data-action=delete]").click()
    expect(dialog.locator(".error-banner")).to_contain_text("Type the application's name")
    dialog.locator("input[name=confirm]").fill("ui-core-doomed")
    dialog.locator("input[value=orphan]").check()
    dialog.locator("button[data-action=delete]").click()
    expect(page).to_have_url(f"{kaiun_up.url}/applications")

    def gone() -> bool:
        proc = kaiun_up.kubectl.run(
            "get", "application", "ui-core-doomed", "-n", kaiun_up.namespace, check=False
        )
        return proc.returncode != 0 and "NotFound" in proc.stderr

    wait_for(gone, timeout=30, what="application deleted")


def test_readonly_user_sees_sync_and_delete_disabled(
    context: BrowserContext, kaiun_up: KaiunUp, shot: Callable[..., Path]
) -> None:
    kaiun_up.add_account("ui-core-viewer", "viewer-password-1", "role:readonly")
    page = context.new_page()
    login(page, kaiun_up, "ui-core-viewer", "viewer-password-1")
    page.goto(f"{kaiun_up.url}/applications")
    tile = page.locator('article.app-tile[data-app="guestbook"]')
    expect(tile.locator("button[data-action=refresh]")).to_be_enabled()
    expect(tile.locator("button[data-action=sync]")).to_be_disabled()
    expect(tile.locator("button[data-action=delete]")).to_be_disabled()
    expect(page.locator("#new-app")).to_be_hidden()
    page.goto(f"{kaiun_up.url}/applications/argocd/guestbook")
    expect(page.locator("h1")).to_have_text("guestbook")
    expect(page.locator("#sync-btn")).to_be_disabled()
    expect(page.locator("#delete-btn")).to_be_disabled()
    expect(page.locator("#refresh-btn")).to_be_enabled()
    page.click("#history-btn")
    expect(page.locator(".history-entry button[data-action=rollback]").first).to_be_disabled()
    shot(page)


def test_javascript_links_are_never_rendered_as_links(
    page: Page, kaiun_up: KaiunUp, shot: Callable[..., Path]
) -> None:
    ns = kaiun_up.namespace
    kaiun_up.kubectl(
        "annotate", "application", "app-a", "-n", ns, "--overwrite",
        "link.argocd.argoproj.io/evil=Click me|javascript:alert(document.domain)",
        "link.argocd.argoproj.io/bare=javascript:alert(2)",
        "link.argocd.argoproj.io/docs=Docs|https://example.com/docs",
    )  # fmt: skip
    alerts = _no_alerts(page)
    try:
        for path, scope in (
            ("/applications", '[data-app="app-a"]'),
            (f"/applications/{ns}/app-a", ".app-header"),
        ):
            page.goto(f"{kaiun_up.url}{path}")
            links = page.locator(f"{scope} .app-links")
            expect(links.locator('[data-link="Docs"]')).to_have_attribute(
                "href", "https://example.com/docs"
            )
            evil = links.locator('[data-link="Click me"]')
            expect(evil).to_have_text("Click me")
            assert evil.evaluate("e => e.tagName") == "SPAN"
            assert links.locator("a[href^=javascript], [href*=alert]").count() == 0
            evil.click()
            assert page.evaluate("document.querySelectorAll('a[href^=\"javascript\"]').length") == 0
        shot(page)
        assert alerts == []
    finally:
        kaiun_up.kubectl(
            "annotate", "application", "app-a", "-n", ns, "link.argocd.argoproj.io/evil-",
            "link.argocd.argoproj.io/bare-", "link.argocd.argoproj.io/docs-",
        )  # fmt: skip


def test_sso_button_appears_when_oidc_is_configured(
    context: BrowserContext, kaiun_up: KaiunUp
) -> None:
    page = context.new_page()
    page.goto(f"{kaiun_up.url}/login")
    expect(page.locator("#login-username")).to_be_visible()
    expect(page.locator("#sso-login")).to_have_count(0)
    config = "name: Example SSO\nissuer: https://sso.example.com\nclientID: kaiun\n"
    kaiun_up.set_configmap("argocd-cm", {"oidc.config": config})
    try:

        def shown() -> bool:
            page.goto(f"{kaiun_up.url}/login?return_url=%2Fapplications%2Fargocd%2Fguestbook")
            page.wait_for_selector("#login-username")
            return page.locator("#sso-login").count() == 1

        wait_for(shown, timeout=30, interval=1, what="SSO button")
        sso = page.locator("#sso-login")
        expect(sso).to_have_text("Log in via Example SSO")
        expect(sso).to_have_attribute(
            "href", "/auth/login?return_url=%2Fapplications%2Fargocd%2Fguestbook"
        )
    finally:
        patch = json.dumps({"data": {"oidc.config": None}})
        kaiun_up.kubectl("patch", "configmap", "argocd-cm", "-n", kaiun_up.namespace, "-p", patch)


def test_phone_width_and_dark_theme(
    new_context: Callable[..., BrowserContext], kaiun_up: KaiunUp, shot: Callable[..., Path]
) -> None:
    ctx = new_context(viewport={"width": 390, "height": 844}, color_scheme="dark")
    page = ctx.new_page()
    login(page, kaiun_up)
    page.goto(f"{kaiun_up.url}/applications")
    tile = page.locator('article.app-tile[data-app="guestbook"]')
    expect(tile).to_be_visible()
    box = tile.bounding_box()
    assert box is not None and box["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert bg == "rgb(18, 22, 29)", bg
    shot(page, "list")
    page.goto(f"{kaiun_up.url}/applications/argocd/guestbook")
    expect(page.locator("#sync-btn")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "details")


def test_keyboard_escape_closes_dialogs(page: Page, kaiun_up: KaiunUp) -> None:
    page.goto(f"{kaiun_up.url}/applications/argocd/guestbook")
    page.focus("#sync-btn")
    page.keyboard.press("Enter")
    expect(page.locator(".dialog")).to_be_visible()
    focused = page.evaluate("document.activeElement.closest('.dialog') !== null")
    assert focused
    page.keyboard.press("Escape")
    expect(page.locator(".dialog")).to_have_count(0)
    assert page.evaluate("document.activeElement.id") == "sync-btn"


def test_user_menu_logout_ends_the_session(context: BrowserContext, kaiun_up: KaiunUp) -> None:
    page = context.new_page()
    token = kaiun_up.token(kaiun_up.username, kaiun_up.password)
    context.add_cookies([{"name": "argocd.token", "value": token, "url": kaiun_up.url}])
    page.goto(f"{kaiun_up.url}/applications")
    expect(page.locator(".user-menu .user-name")).to_have_text(kaiun_up.username)
    page.click("#logout")
    expect(page).to_have_url(f"{kaiun_up.url}/login")
    # The token itself is revoked, not only the cookie dropped.
    with kaiun_up.client(token) as c:
        assert c.get("/api/v1/session/userinfo").json() == {"loggedIn": False}
    page.goto(f"{kaiun_up.url}/applications/argocd/guestbook")
    expect(page).to_have_url(
        f"{kaiun_up.url}/login?return_url=%2Fapplications%2Fargocd%2Fguestbook"
    )
