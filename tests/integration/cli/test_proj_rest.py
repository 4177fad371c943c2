"""``kaiun proj`` over a real API server (kaiun.auth security, HTTPS with a self-signed
certificate on 127.0.0.1):
create, get, list, list edits and sync windows through REST after ``kaiun login``, outputs
compared with core mode on the same namespace, and refusals with argocd's exit codes."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kaiun.cli.main import cli
from kaiun.localcluster import LocalCluster
from tests.integration.server.authserver import AuthServer, auth_server
from tests.support import wait_for

Run = Callable[..., Result]
IN_CLUSTER = "https://kubernetes.default.svc"


@pytest.fixture(scope="module")
def server(
    local_cluster: LocalCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AuthServer]:
    with auth_server(local_cluster, tls_dir=tmp_path_factory.mktemp("proj-tls")) as srv:
        yield srv


@pytest.fixture
def rest(server: AuthServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    for var in ("KAIUN_SERVER", "ARGOCD_SERVER", "KAIUN_AUTH_TOKEN", "ARGOCD_AUTH_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    config = tmp_path / "kaiun-config"
    login = CliRunner().invoke(
        cli,
        ["login", server.url.removeprefix("https://"), "--insecure", "--username", "admin",
         "--password", server.tokens["admin-password"], "--config", str(config)],
    )  # fmt: skip
    assert login.exit_code == 0, login.output

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, ["proj", *args, "--config", str(config)])

    return invoke


@pytest.fixture
def core(server: AuthServer, local_cluster: LocalCluster) -> Run:
    def invoke(*args: str) -> Result:
        argv = ["proj", *args, "--kubeconfig", str(local_cluster.kubeconfig), "-n",
                server.namespace]  # fmt: skip
        return CliRunner().invoke(cli, argv)

    return invoke


def _ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


def _spec(server: AuthServer, name: str) -> dict:  # type: ignore[type-arg]
    raw = server.kubectl("get", "appprojects.argoproj.io", name, "-n", server.namespace, "-o",
                         "json")  # fmt: skip
    return dict(json.loads(raw)["spec"])


def test_project_commands_over_rest(server: AuthServer, rest: Run, core: Run) -> None:
    name = f"p{uuid.uuid4().hex[:6]}"
    _ok(rest("create", name, "-d", "team", "--dest", f"{IN_CLUSTER},one", "-s", "https://a.git"))
    assert _spec(server, name)["destinations"] == [{"server": IN_CLUSTER, "namespace": "one"}]
    _ok(rest("create", name, "-d", "team", "--dest", f"{IN_CLUSTER},one", "-s", "https://a.git"))
    changed = rest("create", name, "-d", "other")
    assert changed.exit_code == 20
    assert "existing project spec is different, use upsert flag" in changed.output

    assert "already allowed" not in _ok(rest("add-source", name, "https://b.git"))
    assert "already allowed" in _ok(rest("add-source", name, "https://b.git"))
    _ok(rest("add-destination", name, IN_CLUSTER, "two"))
    again = rest("add-destination", name, IN_CLUSTER, "two")
    assert again.exit_code == 1 and "already defined in project" in again.output
    assert "is added to allowed cluster" in _ok(
        rest("allow-cluster-resource", name, "rbac.authorization.k8s.io", "ClusterRole")
    )
    spec = _spec(server, name)
    assert spec["sourceRepos"] == ["https://a.git", "https://b.git"]
    assert {"server": IN_CLUSTER, "namespace": "two"} in spec["destinations"]

    window = ["--kind", "deny", "--schedule", "0 22 * * *", "--duration", "1h"]
    _ok(rest("windows", "add", name, *window, "--applications", "web-*"))
    _ok(rest("windows", "enable-manual-sync", name, "0"))
    assert _spec(server, name)["syncWindows"] == [
        {"kind": "deny", "schedule": "0 22 * * *", "duration": "1h",
         "applications": ["web-*"], "manualSync": True, "timeZone": "UTC"},
    ]  # fmt: skip
    assert rest("windows", "delete", name, "5").exit_code == 1

    for args in (("get", name), ("get", name, "-o", "yaml"), ("list",), ("list", "-o", "json"),
                 ("windows", "list", name)):  # fmt: skip
        assert _ok(rest(*args)) == _ok(core(*args)), args
    assert f"Name:                        {name}\n" in _ok(rest("get", name))

    missing = rest("get", "nope")
    assert missing.exit_code == 13 and "not found" in missing.output
    assert rest("delete", "default").exit_code == 20
    _ok(rest("remove-destination", name, IN_CLUSTER, "two"))
    _ok(rest("delete", name))
    assert rest("get", name).exit_code == 13


def test_readonly_token_cannot_change_projects(server: AuthServer, rest: Run) -> None:
    server.set_configmap("argocd-rbac-cm", {"policy.csv": "g, watcher, role:readonly\n"})
    server.add_account("watcher", "watcher-pass-123")
    token = server.token("watcher", "watcher-pass-123")
    flags = ["--server", server.url, "--auth-token", token, "--insecure"]
    untrusted = rest("get", "default", "--server", server.url, "--auth-token", token)
    assert untrusted.exit_code == 11 and "cannot reach" in untrusted.output
    wait_for(lambda: rest("get", "default", *flags).exit_code == 0, what="readonly loaded")
    refused = rest("create", "nope-proj", *flags)
    assert refused.exit_code == 12, refused.output
    assert "Error: permission denied: projects, create, nope-proj" in refused.output
    edit = rest("add-source", "default", "https://x.git", *flags)
    assert edit.exit_code == 12 and "permission denied: projects, update, default" in edit.output
    unreachable = rest("list", "--server", "127.0.0.1:1", "--plaintext")
    assert unreachable.exit_code == 11 and "cannot reach" in unreachable.output
