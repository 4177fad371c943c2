"""A real OIDC provider on 127.0.0.1 for SSO tests: ``oidc-provider-mock`` (discovery, JWKS,
authorization form, token endpoint, RS256 ID tokens) served by werkzeug in a thread.

The mock does not implement PKCE, so ``Provider`` puts RFC 7636 in front of it: the
``code_challenge`` of each authorization is remembered with the code it issues, and the
token endpoint refuses that code unless ``S256(code_verifier)`` matches, as a real
provider would; a client that sends no secret is accepted only through a verified PKCE
verifier (RFC 7636 public clients, which the mock cannot do itself). Users are authorized
non-interactively by POSTing its consent form.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import ssl
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import flask
import httpx
import oidc_provider_mock
import werkzeug.serving

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class PKCEGate:
    """WSGI middleware enforcing PKCE (S256) on the mock's authorization-code grant."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app
        self.challenges: dict[str, str] = {}  # code -> challenge
        self.lock = threading.Lock()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/oauth2/authorize" and environ["REQUEST_METHOD"] == "POST":
            return self._authorize(environ, start_response)
        if path == "/oauth2/token" and environ["REQUEST_METHOD"] == "POST":
            size = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(size)
            environ["wsgi.input"] = io.BytesIO(body)
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            if form.get("grant_type") == "authorization_code":
                with self.lock:
                    challenge = self.challenges.pop(form.get("code", ""), None)
                verifier = form.get("code_verifier")
                if challenge is not None and (not verifier or s256(verifier) != challenge):
                    error = {"error": "invalid_grant",
                             "error_description": "PKCE verification failed"}  # fmt: skip
                    start_response("400 Bad Request", [("Content-Type", "application/json")])
                    return [json.dumps(error).encode()]
                public = "client_secret" not in form and "HTTP_AUTHORIZATION" not in environ
                if challenge is not None and public:
                    # A public client (the CLI) is authenticated by its verified PKCE
                    # verifier; the mock only knows secrets, and accepts any.
                    body += b"&client_secret=public-client-with-pkce"
                    environ["wsgi.input"] = io.BytesIO(body)
                    environ["CONTENT_LENGTH"] = str(len(body))
        return self.app(environ, start_response)

    def _authorize(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        query = parse_qs(environ.get("QUERY_STRING", ""))
        challenge = (query.get("code_challenge") or [""])[0]
        method = (query.get("code_challenge_method") or ["plain"])[0]
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            captured["headers"] = headers
            return start_response(status, headers, *rest)

        result = list(self.app(environ, capture))  # the debugger starts responses lazily
        location = dict(captured.get("headers") or []).get("Location", "")
        code = (parse_qs(urlsplit(location).query).get("code") or [""])[0]
        if code and challenge and method == "S256":
            with self.lock:
                self.challenges[code] = challenge
        return result


class FixedIssuer:
    """Serves the provider under ``prefix`` with a fixed external issuer, as Dex serves the
    issuer it is configured with whatever address a request came to."""

    def __init__(self, app: WSGIApp, prefix: str) -> None:
        self.app, self.prefix, self.host = app, prefix, ""

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(self.prefix):
            environ["SCRIPT_NAME"] = self.prefix
            environ["PATH_INFO"] = path[len(self.prefix) :] or "/"
        if self.host:
            environ["HTTP_HOST"] = self.host
        return self.app(environ, start_response)


class _IssuerAtRoot(flask.Request):
    """The mock names its issuer ``host_url``; under a prefix it must be ``url_root``."""

    @property
    def host_url(self) -> str:  # type: ignore[override]
        return str(self.url_root)


@dataclass
class Provider:
    """A running provider: ``url`` is its issuer."""

    url: str
    gate: PKCEGate
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    address: str = ""  # where it listens (differs from ``url`` behind a proxy)
    fixed: FixedIssuer | None = None
    verify: ssl.SSLContext | bool = True  # trusts the CA of an HTTPS provider

    def serve_as(self, external: str) -> None:
        """Answer as the provider at ``external`` (``http://HOST:PORT`` + the prefix)."""
        assert self.fixed is not None
        self.fixed.host = external.split("://", 1)[1]
        self.url = external + self.fixed.prefix

    def authorize(self, auth_url: str, sub: str, *, edit: dict[str, str] | None = None) -> str:
        """Log ``sub`` in at ``auth_url`` (its query optionally edited); the redirect back."""
        if edit:
            parts = urlsplit(auth_url)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()} | edit
            auth_url = parts._replace(query=urlencode(query)).geturl()
        resp = httpx.post(auth_url, data={"sub": sub}, timeout=30, verify=self.verify)
        assert resp.status_code == 302, resp.text[:500]
        return str(resp.headers["location"])

    def id_token(self, client_id: str, sub: str, *, nonce: str = "n-0123456789") -> str:
        """An ID token for ``sub`` issued to ``client_id`` through the code flow."""
        verifier = "v" * 64
        redirect = "http://127.0.0.1:1/cb"
        query = urlencode({
            "response_type": "code", "client_id": client_id, "redirect_uri": redirect,
            "scope": "openid profile email", "state": "s" * 32, "nonce": nonce,
            "code_challenge": s256(verifier), "code_challenge_method": "S256",
        })  # fmt: skip
        back = self.authorize(f"{self.url}/oauth2/authorize?{query}", sub)
        code = parse_qs(urlsplit(back).query)["code"][0]
        resp = httpx.post(
            f"{self.url}/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect,
                "code_verifier": verifier,
                "client_id": client_id,
            },
            auth=(client_id, "whatever"),
            timeout=30,
            verify=self.verify,
        )
        assert resp.status_code == 200, resp.text
        return str(resp.json()["id_token"])


@contextmanager
def oidc_provider(
    users: dict[str, dict[str, Any]],
    *,
    token_max_age: timedelta = timedelta(hours=1),
    prefix: str = "",
    tls: tuple[Path, Path, Path] | None = None,
) -> Iterator[Provider]:
    """A provider on 127.0.0.1 knowing ``users`` (sub -> extra ID-token claims); with
    ``prefix`` it serves under that path, as Dex at ``/api/dex`` (see ``serve_as``); with
    ``tls`` (ca.crt, server.crt, server.key) over HTTPS."""
    app = oidc_provider_mock.app(
        user_claims=[oidc_provider_mock.User(sub=s, claims=c) for s, c in users.items()],
        access_token_max_age=token_max_age,
        require_nonce=True,
    )
    if prefix:
        app.request_class = _IssuerAtRoot
    gate = PKCEGate(app)
    fixed = FixedIssuer(gate, prefix) if prefix else None
    context = None
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(tls[1]), str(tls[2]))
    server = werkzeug.serving.make_server(
        "127.0.0.1", 0, fixed or gate, threaded=True, ssl_context=context
    )
    thread = threading.Thread(target=server.serve_forever, args=(0.1,), daemon=True)
    thread.start()
    try:
        address = f"{'https' if tls else 'http'}://127.0.0.1:{server.server_port}"
        verify = ssl.create_default_context(cafile=str(tls[0])) if tls else True
        yield Provider(
            address + prefix, gate, dict(users), address=address, fixed=fixed, verify=verify
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
