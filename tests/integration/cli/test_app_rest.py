"""``kaiun app`` over a real API server (kaiun.auth security, plain HTTP on 127.0.0.1) with a
real controller on the same control plane: the whole lifecycle driven through REST after
``kaiun login``, outputs compared with core mode, and a read-only token refused."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from kaiun.cli.main import cli
from kaiun.localcluster import LocalCluster
from tests.integration.controller.conftest import Plane, configmap
from tests.integration.server.authserver import AuthServer, auth_server
from tests.support import wait_for

Run = Callable[..., Result]


@pytest.fixture
def server(plane: Plane, local_cluster: LocalCluster) -> Iterator[AuthServer]:
    with auth_server(local_cluster, namespace=plane.namespace) as srv:
        yield srv


@pytest.fixture
def rest(server: AuthServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    """``kaiun app ...`` with a login context in a config of this test (REST mode)."""
    for var in ("KAIUN_SERVER", "ARGOCD_SERVER", "KAIUN_AUTH_TOKEN", "ARGOCD_AUTH_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    config = tmp_path / "kaiun-config"
    address = server.url.removeprefix("http://")
    login = CliRunner().invoke(
        cli,
        ["login", address, "--plaintext", "--username", "admin",
         "--password", server.tokens["admin-password"], "--config", str(config)],
    )  # fmt: skip
    assert login.exit_code == 0, login.output

    def invoke(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(
            cli, ["app", *args, "--config", str(config)], input=input, catch_exceptions=False
        )

    yield invoke


@pytest.fixture
def core(plane: Plane, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.setenv("KAIUN_REPO_WORK_DIR", str(tmp_path / "cli-repo"))
    kubeconfig = plane.runner.kubeconfig

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(
            cli,
            ["app", "--kubeconfig", str(kubeconfig), "-n", plane.namespace, *args],
            catch_exceptions=False,
        )

    return invoke


def _value(plane: Plane) -> str | None:
    obj = plane.get("configmap", "settings")
    return None if obj is None else str(obj["data"]["key"])


def _ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


def _create(plane: Plane, name: str) -> list[str]:
    return [
        "create", name, "--repo", plane.repo.url, "--path", "app", "--revision", "main",
        "--dest-server", "https://kubernetes.default.svc", "--dest-namespace", plane.dest,
        "--label", "team=blue",
    ]  # fmt: skip


def test_create_get_list_and_edit_over_rest(plane: Plane, rest: Run, server: AuthServer) -> None:
    name = f"web-{plane.dest.rsplit('-', 1)[1]}"
    create = _create(plane, name)
    assert _ok(rest(*create)) == f"application '{name}' created\n"
    assert _ok(rest(*create)) == f"application '{name}' unchanged\n"
    assert plane.app(name)["metadata"]["labels"] == {"team": "blue"}

    as_json = json.loads(_ok(rest("get", name, "-o", "json")))
    assert as_json["metadata"]["name"] == name
    assert yaml.safe_load(_ok(rest("get", name, "-o", "yaml")))["spec"] == as_json["spec"]
    wide = _ok(rest("get", name))
    assert f"URL:                {server.url}/applications/{name}\n" in wide
    assert f"Name:               {plane.namespace}/{name}\n" in wide
    assert name in _ok(rest("list", "-l", "team=blue", "-o", "name"))
    assert _ok(rest("list", "-l", "team=green", "-o", "name")) == ""

    _ok(rest("set", name, "--directory-recurse", "--sync-option", "Validate=false"))
    spec = plane.app(name)["spec"]
    assert spec["source"]["directory"] == {"recurse": True}
    assert spec["syncPolicy"]["syncOptions"] == ["Validate=false"]
    _ok(rest("unset", name, "--directory-recurse"))
    assert "directory" not in plane.app(name)["spec"]["source"]
    merge = '{"metadata": {"labels": {"team": "red"}}}'
    patched = _ok(rest("patch", name, "--type", "merge", "--patch", merge))
    assert yaml.safe_load(patched)["metadata"]["labels"] == {"team": "red"}
    assert plane.app(name)["metadata"]["labels"] == {"team": "red"}


def test_operations_diff_and_delete_over_rest(plane: Plane, rest: Run) -> None:
    name = f"op-{plane.dest.rsplit('-', 1)[1]}"
    plane.repo.commit({"app/cm.yaml": configmap("settings", "v1")})
    _ok(rest(*_create(plane, name)))
    before = rest("diff", name)
    assert before.exit_code == 1, before.output
    assert f"===== /ConfigMap {plane.dest}/settings ======" in before.output

    synced = rest("sync", name, "--timeout", "120")
    assert synced.exit_code == 0, synced.output
    assert "Phase:              Succeeded" in synced.output
    assert _value(plane) == "v1"
    waited = _ok(rest("wait", name, "--health", "--sync", "--timeout", "120"))
    assert "Sync Status:        Synced to main" in waited
    assert "ConfigMap/settings  Synced" in _ok(rest("get", name, "-o", "tree"))
    idle = rest("terminate-op", name)
    assert idle.exit_code == 20 and "No operation is in progress" in idle.output

    plane.repo.commit({"app/cm.yaml": configmap("settings", "v2")})
    requested = _ok(rest("sync", name, "--async"))
    assert requested == f"Application '{plane.namespace}/{name}' sync requested\n"
    _ok(rest("wait", name, "--operation", "--timeout", "120", "-o", "json"))
    assert _value(plane) == "v2"
    ids = _ok(rest("history", name, "-o", "id")).split()
    assert len(ids) == 2
    assert _ok(rest("history", name)).startswith(f"SOURCE  {plane.repo.url}\n")
    _ok(rest("set", name, "--sync-policy", "automated"))
    rolled = rest("rollback", name, ids[0], "--timeout", "120")
    assert rolled.exit_code == 0, rolled.output
    assert _value(plane) == "v1"
    assert "automated" not in (plane.app(name)["spec"].get("syncPolicy") or {})

    plane.kubectl(
        "patch", "configmap", "settings", "-n", plane.dest, "-p", '{"data": {"key": "drift"}}'
    )
    drifted = rest("diff", name)
    assert drifted.exit_code == 1, drifted.output
    assert "-  key: drift" in drifted.output and "+  key: v1" in drifted.output
    assert "key: drift" in _ok(rest("manifests", name, "--source", "live"))
    assert "key: v1" in _ok(rest("manifests", name))
    assert rest("diff", "nope").exit_code == 2

    gone = rest("delete", name, "--cascade", "-y", "--wait", "--timeout", "120")
    assert gone.exit_code == 0, gone.output
    assert f"application '{name}' deleted" in gone.output
    assert plane.get("configmap", "settings") is None
    missing = rest("get", name)
    assert missing.exit_code == 20
    assert f'application "{name}" not found' in missing.output


def test_core_and_rest_print_the_same(plane: Plane, rest: Run, core: Run) -> None:
    name = f"same-{plane.dest.rsplit('-', 1)[1]}"
    plane.repo.commit({"app/cm.yaml": configmap("settings", "v1")})
    plane.apply(plane.app_yaml(name))
    plane.wait_app(name, lambda a: (a.get("status") or {}).get("sync"))

    def stable(*args: str) -> tuple[str, str]:
        """Core output before and after the REST one, until nothing changed in between."""
        for _ in range(20):
            first = _ok(core(*args))
            via_rest = _ok(rest(*args))
            if _ok(core(*args)) == first:
                return first, via_rest
        raise AssertionError(f"app kept changing while comparing {args}")

    for args in (("get", name, "-o", "json"), ("get", name, "-o", "yaml"), ("list",),
                 ("list", "-o", "yaml"), ("history", name), ("resources", name)):  # fmt: skip
        by_core, by_rest = stable(*args)
        assert by_rest == by_core, args
    by_core, by_rest = stable("get", name)
    by_rest_lines = by_rest.splitlines()
    by_core_lines = by_core.splitlines()
    url = next(i for i, line in enumerate(by_core_lines) if line.startswith("URL:"))
    assert by_core_lines[url].rstrip() == "URL:"  # core mode has no server to link to
    assert by_rest_lines[url].startswith("URL:                http://127.0.0.1:")
    assert by_rest_lines[:url] + by_rest_lines[url + 1 :] == (
        by_core_lines[:url] + by_core_lines[url + 1 :]
    )


def test_readonly_token_is_refused_clearly(plane: Plane, server: AuthServer, rest: Run) -> None:
    name = f"ro-{plane.dest.rsplit('-', 1)[1]}"
    plane.apply(plane.app_yaml(name))
    server.set_configmap("argocd-rbac-cm", {"policy.csv": "g, viewer, role:readonly\n"})
    server.add_account("viewer", "viewer-pass-123")
    token = server.token("viewer", "viewer-pass-123")
    flags = ["--server", server.url, "--auth-token", token]

    def allowed() -> bool:
        return rest("get", name, *flags, "-o", "json").exit_code == 0

    wait_for(allowed, what="role:readonly loaded")
    refused = rest("sync", name, *flags)
    assert refused.exit_code == 20, refused.output
    assert refused.output.startswith("Error: permission denied: applications, sync, default/")
    deleted = rest("delete", name, "-y", *flags)
    assert deleted.exit_code == 20 and "permission denied" in deleted.output
    assert plane.app(name)["metadata"]["name"] == name
    bad = rest("list", "--server", server.url, "--auth-token", "not-a-token")
    assert bad.exit_code == 20 and "unauthenticated" in bad.output
