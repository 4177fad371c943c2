"""The UI's HTTP layer: security headers on every response, static files with fixed
content types (and nothing outside ``static/``), the HTML shell of every UI route."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kaiun.ui import CONTENT_SECURITY_POLICY
from tests.integration.server.authserver import AuthServer

STATIC = Path(__file__).resolve().parents[3] / "src" / "kaiun" / "ui" / "static"
SHELL_ROUTES = [
    "/",
    "/login",
    "/applications",
    "/applications/argocd/guestbook",
    "/applications/new",
    "/settings",
    "/settings/repos",
    "/user-info",
]
TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


def _assert_security_headers(headers: dict[str, str] | object, what: str) -> None:
    h = headers  # httpx.Headers: case-insensitive
    assert h["content-security-policy"] == CONTENT_SECURITY_POLICY, what  # type: ignore[index]
    assert h["x-content-type-options"] == "nosniff", what  # type: ignore[index]
    assert h["referrer-policy"] == "same-origin", what  # type: ignore[index]


def test_the_policy_is_the_strict_one() -> None:
    directives = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY


def test_every_ui_response_has_the_security_headers(ui: AuthServer) -> None:
    paths = [*SHELL_ROUTES, "/assets/js/main.js", "/assets/css/base.css", "/assets/nope.js"]
    with ui.client() as c:
        for path in paths:
            resp = c.get(path)
            _assert_security_headers(resp.headers, path)
        # Also the API's own answers (errors included) and with a session.
        _assert_security_headers(c.get("/api/v1/applications").headers, "401 from the API")
    with ui.client(ui.tokens["admin"]) as c:
        for path in SHELL_ROUTES:
            _assert_security_headers(c.get(path).headers, f"{path} logged in")


def test_static_files_have_their_content_types(ui: AuthServer) -> None:
    files = [p for p in STATIC.rglob("*") if p.is_file()]
    assert any(p.suffix == ".js" for p in files) and any(p.suffix == ".css" for p in files)
    with ui.client() as c:
        for path in files:
            rel = path.relative_to(STATIC).as_posix()
            resp = c.get(f"/assets/{rel}")
            assert resp.status_code == 200, rel
            assert resp.headers["content-type"].split(";")[0] == TYPES[path.suffix], rel
            assert resp.content == path.read_bytes(), rel


@pytest.mark.parametrize(
    "path",
    [
        "/assets/../mount.py",
        "/assets/%2e%2e/mount.py",
        "/assets/js/%2e%2e/%2e%2e/mount.py",
        "/assets/js",
        "/assets/js/",
        "/assets/",
        "/assets/.hidden.js",
        "/assets/js/missing.js",
        "/assets/js//main.js",
    ],
)
def test_nothing_outside_static_files_is_served(ui: AuthServer, path: str) -> None:
    with ui.client() as c:
        resp = c.get(path)
    assert resp.status_code == 404, (path, resp.status_code)
    assert b"import" not in resp.content and b"def " not in resp.content


def test_python_sources_next_to_static_are_not_served(ui: AuthServer) -> None:
    with ui.client() as c:
        for name in ("mount.py", "shell.py", "../__init__.py"):
            assert c.get(f"/assets/{name}").status_code == 404, name


def test_shell_routes_serve_the_html_shell(ui: AuthServer) -> None:
    css = sorted(p.name for p in (STATIC / "css").glob("*.css"))
    with ui.client() as c:
        for path in SHELL_ROUTES:
            resp = c.get(path)
            assert resp.status_code == 200, path
            assert resp.headers["content-type"].startswith("text/html"), path
            html = resp.text
            assert '<script type="module" src="/assets/js/main.js"></script>' in html, path
            links = re.findall(r'<link rel="stylesheet" href="/assets/css/([^"]+)">', html)
            assert links[0] == "base.css" and sorted(links) == css, (path, links)
            assert "<noscript>" in html and 'id="app"' in html, path
            assert resp.headers["cache-control"] == "no-store", path


def test_shell_has_no_inline_script_style_or_handlers(ui: AuthServer) -> None:
    with ui.client(ui.tokens["admin"]) as c:
        for path in SHELL_ROUTES:
            html = c.get(path).text
            for tag in re.findall(r"<script\b[^>]*>", html):
                assert " src=" in tag, (path, tag)
            assert not re.search(r"<script\b[^>]*>[^<]+</script>", html), path
            assert "<style" not in html and " style=" not in html, path
            assert not re.search(r"\son[a-z]+=", html), path


def test_scripts_never_build_markup_from_strings() -> None:
    # The CSP forbids eval; h() builds DOM with text nodes so data cannot become markup.
    banned = ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
              "new Function", "setAttribute('on", 'setAttribute("on']  # fmt: skip
    for path in (STATIC / "js").rglob("*.js"):
        text = path.read_text()
        for word in banned:
            assert word not in text, f"{path.name} uses {word}"
