"""Fixtures of the web UI browser tests: a real ``kaiun up --demo`` process and Debian's
chromium driven by Playwright's sync API.

``kaiun_up`` (package) starts the process on free loopback ports with a temporary data dir
and waits until every demo app is Synced and Healthy; ``browser`` (package) is headless
chromium on a fresh profile; ``context``/``page`` are per test, ``page`` logged in as admin;
``shot(page, suffix="")`` saves a screenshot as ``test-artifacts/ui/<test>.png``.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from kaiun.localcluster.server import free_port
from tests.e2e.ui.uikit import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    NAMESPACE,
    KaiunUp,
    demo_apps,
    login,
    stop_process,
    tail,
)
from tests.support import Kubectl, wait_for


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The first UI test also pays for starting ``kaiun up --demo`` and syncing every demo app,
    which on a loaded machine can pass the suite's 300 s safety net."""
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here) and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(600))


# Package scope (this directory has an __init__.py for it): the process and the browser end
# with the last UI test. Playwright's sync API keeps its event loop running in the main
# thread while a browser is open, which would break every later test calling asyncio.run().
@pytest.fixture(scope="package")
def kaiun_up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KaiunUp]:
    """``kaiun up --demo`` as a process, every demo app Synced and Healthy."""
    root = tmp_path_factory.mktemp("kaiun-up")
    data_dir = root / "kaiun"
    api_port = free_port()
    cluster_port = free_port()
    while cluster_port == api_port:
        cluster_port = free_port()
    log_path = root / "up.log"
    cmd = [
        sys.executable, "-m", "kaiun.cli", "up", "--demo", "--port", str(cluster_port),
        "--data-dir", str(data_dir), "--api-port", str(api_port), "--no-image-updater",
    ]  # fmt: skip
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=root)
    try:

        def announced() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"kaiun up exited {proc.returncode}:\n{tail(log_path)}")
            return "Press Ctrl-C" in log_path.read_text(errors="replace")

        wait_for(announced, timeout=180, interval=0.3, what="kaiun up announced")
        text = log_path.read_text(errors="replace")
        assert f"API server: https://127.0.0.1:{api_port}" in text, text
        kubeconfig = data_dir / "kubeconfig"
        kubectl = Kubectl(kubeconfig)

        def all_synced() -> bool:
            apps = demo_apps(kubectl, NAMESPACE)
            return len(apps) >= 8 and all(v == ("Synced", "Healthy") for v in apps.values())

        wait_for(
            all_synced, timeout=240, interval=1,
            what=f"demo apps Synced/Healthy: {demo_apps(kubectl, NAMESPACE)}",
        )  # fmt: skip
        secret = json.loads(
            kubectl("get", "secret", "argocd-initial-admin-secret", "-n", NAMESPACE, "-o", "json")
        )
        password = base64.b64decode(secret["data"]["password"]).decode()
        yield KaiunUp(
            url=f"https://127.0.0.1:{api_port}",
            username="admin",
            password=password,
            kubeconfig=kubeconfig,
            data_dir=data_dir,
        )
    finally:
        stop_process(proc)


@pytest.fixture(scope="package")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """Headless Debian chromium (Playwright launches it on a fresh temporary profile)."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run scripts/setup (apt package chromium)")
    downloads = tmp_path_factory.mktemp("chromium-downloads")
    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            downloads_path=str(downloads),
        )
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    """Make fresh browser contexts (own cookies); all are closed after the test."""
    made: list[BrowserContext] = []

    def make(**kwargs: Any) -> BrowserContext:
        opts: dict[str, Any] = {
            "ignore_https_errors": True,
            "viewport": {"width": 1280, "height": 860},
        }
        opts.update(kwargs)
        ctx = browser.new_context(**opts)
        ctx.set_default_timeout(20_000)
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.close()


@pytest.fixture
def context(new_context: Callable[..., BrowserContext]) -> BrowserContext:
    """A fresh, logged-out browser context (self-signed HTTPS accepted)."""
    return new_context()


@pytest.fixture
def page(context: BrowserContext, kaiun_up: KaiunUp) -> Page:
    """A page in a fresh context, logged in as admin."""
    p = context.new_page()
    login(p, kaiun_up)
    return p


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[..., Path]:
    """``shot(page, suffix="")`` saves a full-page PNG as test-artifacts/ui/<test>[-suffix].png."""

    def save(page: Page, suffix: str = "") -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        path = ARTIFACTS / f"{name}{'-' + suffix if suffix else ''}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
