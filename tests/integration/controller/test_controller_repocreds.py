"""Private repositories: the controller reads Argo CD's repository Secrets and server trust
ConfigMaps from its namespace and picks up changes without a restart."""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
import ssl
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from kaiun.settings.controller import ControllerSettings
from tests.integration.controller.conftest import (
    ControllerRunner,
    Plane,
    configmap,
    synced_healthy,
)
from tests.integration.repo.repo_testkit import (
    GitHttpServer,
    SshServer,
    StaticHttpServer,
    package_chart,
)
from tests.integration.repo.test_repo_tls import _cert, _pem
from tests.support import wait_for

PASSWORD = "pr1vate-repo-pw-7f3a"
WRONG = "wr0ng-pw-91c2"


def _no_resync(cs: ControllerSettings) -> ControllerSettings:
    """No periodic refresh: only a watched change can make an app render again."""
    return dataclasses.replace(cs, resync_seconds=0.0, wave_delay=0.0, status_processors=4)


def _restart_without_resync(plane: Plane, tmp_path: Path) -> None:
    plane.runner.stop()
    plane.runner = ControllerRunner(
        plane.runner.kubeconfig, plane.namespace, tmp_path / "work2", _no_resync
    )
    plane.runner.start()


def _secret(plane: Plane, name: str, kind: str, data: dict[str, str]) -> None:
    body = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": name,
            "namespace": plane.namespace,
            "labels": {"argocd.argoproj.io/secret-type": kind},
        },
        "stringData": data,
    }
    plane.apply(json.dumps(body))


def _config_map(plane: Plane, name: str, data: dict[str, str]) -> None:
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": plane.namespace},
        "data": data,
    }
    plane.apply(json.dumps(body))


def _served(plane: Plane, tmp_path: Path) -> Path:
    root = tmp_path / "served"
    root.mkdir()
    shutil.copytree(plane.repo.path / ".git", root / "app.git")
    return root


def _app(plane: Plane, name: str, url: str) -> None:
    text = plane.app_yaml(name, automated={"prune": True}).replace(plane.repo.url, url)
    plane.apply(text)


def _comparison_error(app: dict[str, Any]) -> str:
    for cond in (app.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "ComparisonError":
            return str(cond.get("message", ""))
    return ""


def test_https_password_repo_works_once_its_secret_exists_and_is_fixed(
    plane: Plane, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _restart_without_resync(plane, tmp_path)
    ca_key, server_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(2))
    ca = _cert("test-ca", ca_key, None)
    server = _cert("127.0.0.1", server_key, (ca.subject, ca_key))
    (tmp_path / "server.pem").write_text(_pem(server) + _pem(server_key))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "server.pem")
    commit = plane.repo.commit({"app/cm.yaml": configmap("private-https")})
    with GitHttpServer(_served(plane, tmp_path), "git", PASSWORD, ssl_context=context) as srv:
        url = f"{srv.base_url}/app.git"
        # The server's CA, trusted through argocd-tls-certs-cm (read live, like the Secrets).
        _config_map(plane, "argocd-tls-certs-cm", {"127.0.0.1": _pem(ca)})
        _app(plane, "private", url)
        app = plane.wait_app("private", _comparison_error)
        assert _comparison_error(app) == (
            f"Failed to load target state: authentication failed for {url}: "
            "check the repository credentials"
        )

        # An unreadable Secret is reported by name and skipped; a wrong password still fails.
        _secret(plane, "no-url", "repository", {"username": "git", "password": PASSWORD})
        asked = len(srv.requests)
        _secret(plane, "private-repo", "repository", {"url": url, "username": "git",
                                                     "password": WRONG})  # fmt: skip
        # Without a resync, only the Secret's change makes the controller try again.
        wait_for(lambda: len(srv.requests) > asked, timeout=60, what="a retry with the Secret")
        message = _comparison_error(plane.app("private"))
        assert "authentication failed for" in message and WRONG not in message
        # The password fixed in the Secret: the next refresh (no restart) gets through.
        _secret(plane, "private-repo", "repository", {"url": url, "username": "git",
                                                     "password": PASSWORD})  # fmt: skip
        app = plane.wait_app("private", synced_healthy)
        assert app["status"]["sync"]["revision"] == commit
        assert plane.get("configmap", "private-https") is not None
    assert "secret no-url: has no 'url' key" in caplog.text
    assert "ignoring repository secret no-url" in caplog.text
    assert PASSWORD not in json.dumps(app)
    assert PASSWORD not in caplog.text and WRONG not in caplog.text


def test_repo_creds_template_covers_every_repository_under_its_prefix(
    plane: Plane, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _restart_without_resync(plane, tmp_path)
    plane.repo.commit({"app/cm.yaml": configmap("from-template")})
    with GitHttpServer(_served(plane, tmp_path), "org-bot", PASSWORD) as srv:
        url = f"{srv.base_url}/app.git"
        _app(plane, "templated", url)
        first = plane.wait_app("templated", _comparison_error)
        assert "authentication failed" in _comparison_error(first)
        _secret(plane, "org-creds", "repo-creds", {"url": srv.base_url, "username": "org-bot",
                                                  "password": PASSWORD})  # fmt: skip
        app = plane.wait_app("templated", synced_healthy)
    assert plane.get("configmap", "from-template") is not None
    assert PASSWORD not in json.dumps(app) and PASSWORD not in caplog.text


@pytest.mark.skipif(not Path("/usr/sbin/sshd").exists(), reason="openssh-server missing")
def test_ssh_key_repo_with_known_hosts_from_the_config_map(
    plane: Plane, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _restart_without_resync(plane, tmp_path)
    key = tmp_path / "client_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    private, public = key.read_text(), (tmp_path / "client_key.pub").read_text()
    plane.repo.commit({"app/cm.yaml": configmap("over-ssh")})
    bare = tmp_path / "served.git"
    shutil.copytree(plane.repo.path / ".git", bare)
    with SshServer(tmp_path / "sshd", public) as server:
        url = server.url(bare)
        _secret(plane, "ssh-repo", "repository", {"url": url, "sshPrivateKey": private})
        _app(plane, "over-ssh", url)
        # The key alone is not enough: the server's host key is not known yet.
        first = plane.wait_app("over-ssh", _comparison_error)
        assert "host key verification failed" in _comparison_error(first)
        _config_map(plane, "argocd-ssh-known-hosts-cm", {"ssh_known_hosts": server.known_hosts})
        app = plane.wait_app("over-ssh", synced_healthy)
    assert plane.get("configmap", "over-ssh") is not None
    assert "PRIVATE KEY" not in json.dumps(app) and "PRIVATE KEY" not in caplog.text


def test_helm_repository_with_basic_auth(
    plane: Plane, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _restart_without_resync(plane, tmp_path)
    src = tmp_path / "my-chart"
    (src / "templates").mkdir(parents=True)
    (src / "Chart.yaml").write_text("apiVersion: v2\nname: my-chart\nversion: 0.1.0\n")
    (src / "templates" / "cm.yaml").write_text(configmap("{{ .Release.Name }}-settings"))
    package_chart(src, tmp_path / "site", ["1.0.0"])
    with StaticHttpServer(tmp_path / "site", "admin", PASSWORD) as charts:
        app = {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": {"name": "charted", "namespace": plane.namespace},
            "spec": {
                "project": "default",
                "source": {"repoURL": charts.url, "chart": "my-chart", "targetRevision": "1.0.0"},
                "destination": {"server": "https://kubernetes.default.svc",
                                "namespace": plane.dest},
                "syncPolicy": {"automated": {"prune": True}},
            },
        }  # fmt: skip
        plane.apply(json.dumps(app))
        first = plane.wait_app("charted", _comparison_error)
        assert "authentication failed" in _comparison_error(first)
        _secret(plane, "charts", "repository", {"type": "helm", "name": "charts",
                                                "url": charts.url, "username": "admin",
                                                "password": PASSWORD})  # fmt: skip
        done = plane.wait_app("charted", synced_healthy)
    assert done["status"]["sync"]["revision"] == "1.0.0"
    assert plane.get("configmap", "charted-settings") is not None
    assert PASSWORD not in json.dumps(done) and PASSWORD not in caplog.text
