"""The browser-test harness itself: chromium reaches the ``kaiun up --demo`` server, and the
``page`` fixture's session cookie authenticates what the page loads."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import BrowserContext, Page

from tests.e2e.ui.uikit import KaiunUp


def test_chromium_opens_healthz(
    context: BrowserContext, kaiun_up: KaiunUp, shot: Callable[..., Path]
) -> None:
    page = context.new_page()
    resp = page.goto(f"{kaiun_up.url}/healthz")
    assert resp is not None and resp.status == 200
    assert page.inner_text("body").strip() == "ok"
    assert shot(page).stat().st_size > 0


def test_page_fixture_is_logged_in_as_admin(page: Page, kaiun_up: KaiunUp) -> None:
    page.goto(f"{kaiun_up.url}/api/v1/session/userinfo")
    info = json.loads(page.inner_text("body"))
    assert info["loggedIn"] is True and info["username"] == "admin", info


def test_fresh_context_is_logged_out(context: BrowserContext, kaiun_up: KaiunUp) -> None:
    page = context.new_page()
    page.goto(f"{kaiun_up.url}/api/v1/session/userinfo")
    assert json.loads(page.inner_text("body")) == {"loggedIn": False}
