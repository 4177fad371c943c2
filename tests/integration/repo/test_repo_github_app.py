"""GitHub App credentials: a signed app JWT exchanged for an installation token that git uses.

GitHub's token endpoint is played by a loopback server that verifies the JWT's RS256
signature and claims with the app's public key, as GitHub does.
"""

from __future__ import annotations

import asyncio
import base64
import json
import shutil
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from kaiun.repo import AuthenticationError, CredentialStore, GitRepos
from tests.integration.repo.repo_testkit import GitHttpServer, GitRepo, LoopbackHttpServer, cm

APP_ID, INSTALLATION = "12345", "67890"
TOKEN = "ghs_installation_token_for_tests"


def _pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


class FakeGitHubApi(LoopbackHttpServer):
    """``POST /app/installations/{id}/access_tokens`` with real JWT verification."""

    def __init__(self, public_key: rsa.RSAPublicKey) -> None:
        api = self
        self.calls = 0

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                api.calls += 1
                ok = self.path == f"/app/installations/{INSTALLATION}/access_tokens" and api.valid(
                    self.headers.get("Authorization", "")
                )
                body = json.dumps(
                    {"token": TOKEN, "expires_at": "2099-01-01T00:00:00Z"} if ok else {}
                ).encode()
                self.send_response(201 if ok else 401)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.public_key = public_key
        super().__init__(Handler)

    def valid(self, header: str) -> bool:
        head, _, jwt = header.partition(" ")
        if head != "Bearer" or jwt.count(".") != 2:
            return False
        signing_input, _, signature = jwt.rpartition(".")
        try:
            self.public_key.verify(
                _unb64(signature), signing_input.encode(), padding.PKCS1v15(), hashes.SHA256()
            )
        except InvalidSignature:
            return False
        claims = json.loads(_unb64(signing_input.split(".")[1]))
        return claims["iss"] == APP_ID and claims["iat"] <= time.time() < claims["exp"]


@pytest.fixture
def app_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def served(git_repo: GitRepo, tmp_path: Path) -> Iterator[tuple[str, str]]:
    head = git_repo.commit({"app/a.yaml": cm("a")})
    root = tmp_path / "served"
    root.mkdir()
    shutil.copytree(git_repo.path / ".git", root / "app.git")
    with GitHttpServer(root, "x-access-token", TOKEN) as server:
        yield f"{server.base_url}/app.git", head


def _store(url: str, api: str, key_pem: str) -> CredentialStore:
    secret = {
        "metadata": {"name": "gh", "labels": {"argocd.argoproj.io/secret-type": "repo-creds"}},
        "stringData": {
            "url": url.rsplit("/", 1)[0],
            "githubAppID": APP_ID,
            "githubAppInstallationID": INSTALLATION,
            "githubAppPrivateKey": key_pem,
            "githubAppEnterpriseBaseUrl": api,
        },
    }
    return CredentialStore.from_secrets([secret])


def test_installation_token_is_used_and_cached(
    tmp_path: Path, served: tuple[str, str], app_key: rsa.RSAPrivateKey
) -> None:
    url, head = served
    with FakeGitHubApi(app_key.public_key()) as api:
        repos = GitRepos(
            tmp_path / "w", _store(url, api.url, _pem(app_key)), revision_cache_seconds=0
        )
        assert asyncio.run(repos.resolve(url, "main")) == head
        tree = asyncio.run(repos.checkout(url, head))
        assert (tree / "app" / "a.yaml").is_file()
        assert api.calls == 1  # one exchange served ls-remote and fetch


def test_wrong_app_key_is_an_authentication_error(
    tmp_path: Path, served: tuple[str, str], app_key: rsa.RSAPrivateKey
) -> None:
    url, _ = served
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with FakeGitHubApi(app_key.public_key()) as api:
        repos = GitRepos(
            tmp_path / "w", _store(url, api.url, _pem(other)), revision_cache_seconds=0
        )
        with pytest.raises(AuthenticationError, match="authentication failed for"):
            asyncio.run(repos.resolve(url, "main"))
