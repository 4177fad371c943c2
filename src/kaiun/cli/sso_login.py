"""``kaiun login --sso``: Argo CD's CLI SSO flow. A one-shot listener on
``127.0.0.1:PORT`` receives the provider's redirect to ``http://localhost:PORT/auth/callback``;
the CLI exchanges the code itself (PKCE S256, no client secret: ``cliClientID`` is a public
client) and keeps the verified ID token as the context's token."""

from __future__ import annotations

import asyncio
import html
import http.server
import queue
import secrets
import threading
import webbrowser
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

import click

from kaiun.auth import InvalidToken
from kaiun.auth.oidc import OIDCError, OIDCProvider, new_login
from kaiun.settings.oidc import DEFAULT_SCOPES, DEX_CLI_CLIENT_ID, DEX_PATH, SSOConfig

__all__ = ["SSOResult", "run_sso_login", "sso_config_from_settings"]

CALLBACK_PATH = "/auth/callback"
WAIT_SECONDS = 300.0

SSOResult = tuple[str, str, dict[str, Any]]  # id token, refresh token, claims


def sso_config_from_settings(settings: Mapping[str, Any], *, insecure: bool) -> SSOConfig:
    """The provider the server's ``/api/v1/settings`` advertises, as the CLI uses it:
    ``cliClientID`` when set, else ``clientID``; for Dex, ``URL/api/dex`` and ``argo-cd-cli``."""
    oidc = settings.get("oidcConfig")
    if isinstance(oidc, Mapping) and oidc.get("issuer"):
        scopes = tuple(str(s) for s in oidc.get("scopes") or ()) or DEFAULT_SCOPES
        return SSOConfig(
            name=str(oidc.get("name") or "SSO"),
            issuer=str(oidc["issuer"]),
            client_id=str(oidc.get("cliClientID") or oidc.get("clientID") or ""),
            scopes=scopes if "openid" in scopes else ("openid", *scopes),
            insecure_skip_verify=insecure,
        )
    if isinstance(settings.get("dexConfig"), Mapping) and settings.get("url"):
        return SSOConfig(
            name="Dex",
            issuer=str(settings["url"]).rstrip("/") + DEX_PATH,
            client_id=DEX_CLI_CLIENT_ID,
            scopes=("openid", "profile", "email", "groups", "offline_access"),
            insecure_skip_verify=insecure,
        )
    raise click.ClickException("the server has no SSO configured (no oidc.config or dex.config)")


class _Callback(http.server.BaseHTTPRequestHandler):
    """Takes the one redirect the provider sends back and hands its query to the CLI."""

    results: queue.Queue[dict[str, str]]

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path != CALLBACK_PATH:
            self.send_error(404)
            return
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        ok = "code" in query and "error" not in query
        text = "Authentication successful! You can close this window." if ok else (
            "Authentication failed: " + html.escape(query.get("error", "no code"))
        )  # fmt: skip
        body = f"<html><body><p>{text}</p></body></html>".encode()
        self.send_response(200 if ok else 400)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.results.put(query)

    def log_message(self, format: str, *args: Any) -> None:
        return  # the query holds the code: keep it off the terminal


def _wait_for_code(port: int, expected_state: str, started: Callable[[], None]) -> str:
    results: queue.Queue[dict[str, str]] = queue.Queue()
    handler = type("Callback", (_Callback,), {"results": results})
    try:
        server = http.server.HTTPServer(("127.0.0.1", port), handler)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on 127.0.0.1:{port}: {exc}") from exc
    thread = threading.Thread(target=server.serve_forever, args=(0.1,), daemon=True)
    thread.start()
    try:
        started()
        while True:
            try:
                query = results.get(timeout=WAIT_SECONDS)
            except queue.Empty as exc:
                raise click.ClickException("no answer from the identity provider in time") from exc
            if "error" in query:
                raise click.ClickException(f"the identity provider refused: {query['error']}")
            state = query.get("state", "")
            if not secrets.compare_digest(state.encode(), expected_state.encode()):
                raise click.ClickException("the callback's state does not match this login")
            if query.get("code"):
                return query["code"]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def run_sso_login(
    config: SSOConfig, *, port: int, launch_browser: bool, echo: Callable[[str], None]
) -> SSOResult:
    """Run the authorization-code flow for the CLI; the verified ID token, the refresh
    token (or "") and the token's claims."""
    provider = OIDCProvider(config)
    attempt = new_login()
    redirect_uri = f"http://localhost:{port}{CALLBACK_PATH}"
    try:
        url = asyncio.run(provider.authorization_url(attempt, redirect_uri))
    except OIDCError as exc:
        raise click.ClickException(str(exc)) from exc

    def started() -> None:
        echo(f"Performing authorization_code flow login: {url}")
        if launch_browser:
            webbrowser.open(url)

    code = _wait_for_code(port, attempt.state, started)

    async def finish() -> tuple[dict[str, Any], dict[str, Any]]:
        tokens = await provider.exchange(
            code, redirect_uri=redirect_uri, verifier=attempt.verifier, client_secret=""
        )
        claims = await provider.verify(str(tokens["id_token"]), nonce=attempt.nonce)
        return tokens, claims

    try:
        tokens, claims = asyncio.run(finish())
    except (OIDCError, InvalidToken) as exc:
        raise click.ClickException(f"SSO login failed: {exc}") from exc
    return str(tokens["id_token"]), str(tokens.get("refresh_token") or ""), claims
