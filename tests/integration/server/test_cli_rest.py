"""The CLI over REST against a real HTTPS server: login contexts, account commands, logout;
and the ``kaiun server`` command itself."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from click.testing import CliRunner, Result

from kaiun.cli.main import cli
from kaiun.localcluster import LocalCluster
from kaiun.localcluster.server import free_port
from tests.integration.server.authserver import AuthServer, auth_server
from tests.support import wait_for


@pytest.fixture(scope="module")
def server(
    local_cluster: LocalCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AuthServer]:
    with auth_server(local_cluster, tls_dir=tmp_path_factory.mktemp("tls")) as srv:
        yield srv


def _kaiun(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, [*args, "--config", str(config)], catch_exceptions=False)


def _address(server: AuthServer) -> str:
    return server.url.removeprefix("https://")


def test_https_login_sets_a_secure_cookie(server: AuthServer) -> None:
    resp = server.login("admin", server.tokens["admin-password"])
    assert resp.status_code == 200
    cookie = resp.headers["set-cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie
    with pytest.raises(httpx.ConnectError):  # self-signed: unknown to the default trust store
        httpx.get(f"{server.url}/healthz")


def test_login_account_commands_and_logout(server: AuthServer, tmp_path: Path) -> None:
    config = tmp_path / "config"
    addr = _address(server)
    password = server.tokens["admin-password"]
    refused = _kaiun(config, "login", addr, "--username", "admin", "--password", password)
    assert refused.exit_code != 0 and "cannot reach" in refused.output
    result = _kaiun(
        config, "login", addr, "--username", "admin", "--password", password, "--insecure"
    )
    assert result.exit_code == 0, result.output
    assert "'admin:login' logged in successfully" in result.output
    assert config.stat().st_mode & 0o777 == 0o600
    stored = yaml.safe_load(config.read_text())
    assert stored["current-context"] == addr
    assert stored["contexts"] == [{"name": addr, "server": addr, "user": addr}]
    assert stored["servers"] == [{"server": addr, "insecure": True, "plain-text": False}]
    token = stored["users"][0]["auth-token"]

    info = _kaiun(config, "account", "get-user-info")
    assert "Logged In: true" in info.output and "Username: admin" in info.output
    assert _kaiun(config, "account", "can-i", "sync", "applications", "default/x").output == (
        "yes\n"
    )
    assert _kaiun(config, "account", "can-i", "get", "nonsense", "x").exit_code != 0

    name = f"ci{uuid.uuid4().hex[:6]}"
    server.add_account(name, "ci-pass-12345", "apiKey")
    made = _kaiun(config, "account", "generate-token", "--account", name, "-e", "1h", "--id", "t1")
    assert made.exit_code == 0, made.output
    api_token = made.output.strip()
    shown = _kaiun(
        config, "account", "get", "--account", name,
        "--server", addr, "--auth-token", api_token, "--insecure",
    )  # fmt: skip
    assert shown.exit_code == 0, shown.output
    assert f"Name:               {name}" in shown.output and "\nt1 " in shown.output
    listed = _kaiun(config, "account", "list")
    assert "admin" in listed.output and name in listed.output
    deleted = _kaiun(config, "account", "delete-token", "--account", name, "t1")
    assert deleted.exit_code == 0, deleted.output
    assert "NONE" in _kaiun(config, "account", "get", "--account", name, "-o", "").output

    contexts = _kaiun(config, "context")
    assert f"*       {addr}" in contexts.output
    out = _kaiun(config, "logout")
    assert out.exit_code == 0 and f"Logged out from '{addr}'" in out.output
    assert "Logged In: false" in _kaiun(config, "account", "get-user-info").output
    with server.client(token) as c:
        assert c.get("/api/v1/applications").status_code == 401


def test_update_password_logs_in_again(server: AuthServer, tmp_path: Path) -> None:
    config = tmp_path / "config"
    name = f"u{uuid.uuid4().hex[:6]}"
    server.add_account(name, "old-pass-123")
    addr = _address(server)
    login = _kaiun(
        config, "login", addr, "--name", "mine", "--username", name,
        "--password", "old-pass-123", "--insecure",
    )  # fmt: skip
    assert login.exit_code == 0, login.output
    assert "Context 'mine' updated" in login.output
    changed = _kaiun(
        config, "account", "update-password",
        "--current-password", "old-pass-123", "--new-password", "new-pass-456",
    )  # fmt: skip
    assert changed.exit_code == 0, changed.output
    assert "Password updated" in changed.output
    assert f"Username: {name}" in _kaiun(config, "account", "get-user-info").output
    assert server.login(name, "new-pass-456").status_code == 200
    switched = _kaiun(config, "context", "mine")
    assert switched.exit_code == 0 and "Switched to context 'mine'" in switched.output
    assert _kaiun(config, "context", "nope").exit_code != 0


def test_kaiun_server_command_serves_the_api(local_cluster: LocalCluster, tmp_path: Path) -> None:
    namespace = f"argocd-{uuid.uuid4().hex[:6]}"
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kaiun.cli", "server", "--kubeconfig",
         str(local_cluster.kubeconfig), "-n", namespace, "--port", str(port), "--insecure"],
        env={**os.environ, "XDG_CONFIG_HOME": str(tmp_path)},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:

        def healthy() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/healthz").text == "ok"
            except httpx.HTTPError:
                return False

        wait_for(healthy, timeout=60, what="kaiun server answering")
        initial = subprocess.run(
            [sys.executable, "-m", "kaiun.cli", "admin", "initial-password",
             "--kubeconfig", str(local_cluster.kubeconfig), "-n", namespace],
            capture_output=True, text=True, check=True,
        ).stdout.split()[0]  # fmt: skip
        resp = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/session",
            json={"username": "admin", "password": initial},
        )
        assert resp.status_code == 200, resp.text
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert "listening on http://127.0.0.1" in out
    assert initial not in out
