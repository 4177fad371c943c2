"""``kaiun repo|repocreds|cluster|cert`` driven as a user would, against a real API server
over the local cluster: what they print, what they store, and that no secret is shown."""

from __future__ import annotations

import base64
import json
import os
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kaiun.cli.main import cli
from kaiun.localcluster import LocalCluster
from tests.integration.repo.repo_testkit import GitRepo
from tests.integration.server.conftest import ApiServer
from tests.support import Kubectl

Kaiun = Callable[..., Result]
PASSWORD = f"pw-{uuid.uuid4().hex}"


@pytest.fixture
def kaiun(api_server: ApiServer, tmp_path: Path) -> Kaiun:
    server = api_server.url.removeprefix("http://")

    def run(*args: str, token: str = "admin-token", input: str | None = None) -> Result:
        rest = ["--server", server, "--plaintext", "--auth-token", token,
                "--config", str(tmp_path / "config")]  # fmt: skip
        return CliRunner().invoke(cli, [*args, *rest], input=input, catch_exceptions=False)

    return run


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    r = GitRepo(tmp_path / f"r{uuid.uuid4().hex[:6]}")
    r.commit({"app/cm.yaml": "kind: ConfigMap\n"})
    return r


def _secrets(kubectl: Kubectl, namespace: str, kind: str) -> list[dict[str, str]]:
    out = kubectl("get", "secrets", "-n", namespace, "-o", "json",
                  "-l", f"argocd.argoproj.io/secret-type={kind}")  # fmt: skip
    return [
        {k: base64.b64decode(v).decode() for k, v in (s.get("data") or {}).items()}
        for s in json.loads(out)["items"]
    ]


def test_repo_add_list_get_rm(
    kaiun: Kaiun, repo: GitRepo, api_server: ApiServer, kubectl: Kubectl
) -> None:
    added = kaiun("repo", "add", repo.url, "--name", "origin", "--username", "ci",
                  "--password", PASSWORD, "--project", "default")  # fmt: skip
    assert added.exit_code == 0, added.output
    assert added.output == f"Repository '{repo.url}' added\n"
    stored = next(s for s in _secrets(kubectl, api_server.namespace, "repository")
                  if s["url"] == repo.url)  # fmt: skip
    assert stored["password"] == PASSWORD and stored["username"] == "ci"
    assert stored["project"] == "default" and stored["name"] == "origin"

    listed = kaiun("repo", "list")
    assert listed.exit_code == 0, listed.output
    header, *rows = listed.output.splitlines()
    assert header.split() == ["TYPE", "NAME", "REPO", "INSECURE", "OCI", "LFS", "CREDS",
                              "STATUS", "MESSAGE", "PROJECT"]  # fmt: skip
    row = next(r for r in rows if repo.url in r)
    assert row.split() == ["git", "origin", repo.url, "false", "false", "false", "true",
                           "Successful", "default"]  # fmt: skip
    assert kaiun("repo", "list", "-o", "url").output.splitlines() == [repo.url]
    got = kaiun("repo", "get", repo.url, "-o", "json", "--refresh", "hard")
    assert got.exit_code == 0, got.output
    body = json.loads(got.output)
    assert body["repo"] == repo.url and body["username"] == "ci"
    assert body["connectionState"]["status"] == "Successful"
    for result in (added, listed, got, kaiun("repo", "get", repo.url, "-o", "yaml")):
        assert PASSWORD not in result.output

    differs = kaiun("repo", "add", repo.url, "--name", "renamed")
    assert differs.exit_code == 20
    assert "use upsert flag" in differs.output
    upserted = kaiun("repo", "add", repo.url, "--name", "renamed", "--upsert")
    assert upserted.exit_code == 0, upserted.output
    assert "renamed" in kaiun("repo", "get", repo.url).output

    unnamed = kaiun("repo", "add", "https://charts.example.com", "--type", "helm")
    assert unnamed.exit_code == 2 and "Must specify --name" in unnamed.output
    refused = kaiun("repo", "add", "file:///nonexistent/repo.git")
    assert refused.exit_code == 20 and "Error:" in refused.output
    denied = kaiun("repo", "rm", repo.url, token="reader-token")
    assert denied.exit_code == 20 and "permission denied" in denied.output
    removed = kaiun("repo", "rm", repo.url)
    assert removed.output == f"Repository '{repo.url}' removed\n"
    assert kaiun("repo", "list", "-o", "url").output == ""
    missing = kaiun("repo", "get", repo.url)
    assert missing.exit_code == 20 and "not found" in missing.output


def test_repocreds_add_list_rm(kaiun: Kaiun, api_server: ApiServer, kubectl: Kubectl) -> None:
    prefix = f"https://git.example.com/{uuid.uuid4().hex[:6]}/"
    added = kaiun("repocreds", "add", prefix, "--username", "bot", "--password", PASSWORD)
    assert added.exit_code == 0, added.output
    assert added.output == f"Repository credentials for '{prefix}' added\n"
    stored = next(s for s in _secrets(kubectl, api_server.namespace, "repo-creds")
                  if s["url"] == prefix)  # fmt: skip
    assert stored["password"] == PASSWORD
    listed = kaiun("repocreds", "list")
    header, *rows = listed.output.splitlines()
    assert header.split() == ["URL", "PATTERN", "USERNAME", "SSH_CREDS", "TLS_CREDS"]
    assert any(r.split()[:2] == [prefix, "bot"] for r in rows), listed.output
    assert PASSWORD not in listed.output
    assert PASSWORD not in kaiun("repocreds", "list", "-o", "json").output
    removed = kaiun("repocreds", "rm", prefix)
    assert removed.output == f"Repository credentials for '{prefix}' removed\n"
    assert prefix not in kaiun("repocreds", "list", "-o", "url").output


def _kubeconfig(local_cluster: LocalCluster) -> str:
    return str(local_cluster.kubeconfig)


def test_cluster_add_with_token_list_get_rm(
    kaiun: Kaiun, local_cluster: LocalCluster, api_server: ApiServer, kubectl: Kubectl
) -> None:
    name = f"local-{uuid.uuid4().hex[:6]}"
    added = kaiun("cluster", "add", "kaiun-local", "--kubeconfig", _kubeconfig(local_cluster),
                  "--name", name, "--bearer-token", local_cluster.token,
                  "--namespace", "team-a", "--label", "env=test", "--upsert")  # fmt: skip
    assert added.exit_code == 0, added.output
    assert added.output == f"Cluster '{local_cluster.url}' added\n"
    stored = next(s for s in _secrets(kubectl, api_server.namespace, "cluster")
                  if s["name"] == name)  # fmt: skip
    config = json.loads(stored["config"])
    assert config["bearerToken"] == local_cluster.token
    assert (
        base64.b64decode(config["tlsClientConfig"]["caData"]) == Path(local_cluster.ca).read_bytes()
    )
    assert stored["namespaces"] == "team-a"

    listed = kaiun("cluster", "list")
    header, *rows = listed.output.splitlines()
    assert header.split() == ["SERVER", "NAME", "VERSION", "STATUS", "MESSAGE", "PROJECT"]
    row = next(r for r in rows if name in r).split()
    assert row[0] == local_cluster.url and row[3] == "Successful", listed.output
    assert any(r.split()[:2] == ["https://kubernetes.default.svc", "in-cluster"] for r in rows)
    got = kaiun("cluster", "get", name)  # by name; YAML by default, as argocd
    assert got.exit_code == 0, got.output
    assert f"server: {local_cluster.url}" in got.output and "env: test" in got.output
    by_server = kaiun("cluster", "get", local_cluster.url, "-o", "json")
    assert json.loads(by_server.output)["name"] == name
    for result in (added, listed, got, by_server):
        assert local_cluster.token not in result.output

    changed = kaiun("cluster", "set", name, "--name", f"{name}-b", "--namespace", "team-b",
                    "--namespace", "team-c")  # fmt: skip
    assert changed.output == f"Cluster '{name}' updated.\n", changed.output
    name = f"{name}-b"
    after = json.loads(kaiun("cluster", "get", name, "-o", "json").output)
    assert after["namespaces"] == ["team-b", "team-c"] and after["labels"] == {"env": "test"}
    assert after["connectionState"]["status"] == "Successful"  # the token was kept
    kept = kaiun("cluster", "rm", name, input="n\n")
    assert "Cluster" not in kept.output and name in kaiun("cluster", "list").output
    removed = kaiun("cluster", "rm", name, "-y")
    assert removed.output == f"Cluster '{name}' removed\n"
    assert name not in kaiun("cluster", "list").output
    builtin = kaiun("cluster", "rm", "https://kubernetes.default.svc", "-y")
    assert builtin.exit_code == 20 and "cannot be deleted" in builtin.output


def test_cluster_add_installs_the_manager_account(
    kaiun: Kaiun, local_cluster: LocalCluster, kubectl: Kubectl, namespace: str
) -> None:
    """The local cluster runs no token controller and accepts only its own token, so the
    test plays the token controller: it fills the account's token Secret with that token."""
    team = f"{namespace}-apps"
    kubectl("create", "namespace", team)
    stop = threading.Event()

    def token_controller() -> None:
        while not stop.is_set():
            proc = kubectl.run("get", "secret", "argocd-manager-long-lived-token",
                               "-n", namespace, "-o", "json", check=False)  # fmt: skip
            if proc.returncode == 0:
                secret = json.loads(proc.stdout)
                ann = secret["metadata"]["annotations"]["kubernetes.io/service-account.name"]
                token = base64.b64encode(local_cluster.token.encode()).decode()
                kubectl("patch", "secret", secret["metadata"]["name"], "-n", namespace,
                        "-p", json.dumps({"data": {"token": token}}))  # fmt: skip
                assert ann == "argocd-manager"
                return
            stop.wait(0.2)

    filler = threading.Thread(target=token_controller, daemon=True)
    filler.start()
    try:
        refused = kaiun("cluster", "add", "kaiun-local", "--kubeconfig",
                        _kubeconfig(local_cluster), "--system-namespace", namespace,
                        "--namespace", team, input="n\n")  # fmt: skip
        assert refused.exit_code == 1 and "Aborted" in refused.output
        added = kaiun("cluster", "add", "kaiun-local", "--kubeconfig",
                      _kubeconfig(local_cluster), "--system-namespace", namespace,
                      "--namespace", team, "--upsert", "--name", namespace, "-y")  # fmt: skip
    finally:
        stop.set()
        filler.join(10)
    assert added.exit_code == 0, added.output
    assert f'ServiceAccount "argocd-manager" created in namespace "{namespace}"' in added.output
    assert f'Role "argocd-manager-role" created in namespace "{team}"' in added.output
    assert added.output.endswith(f"Cluster '{local_cluster.url}' added\n")
    assert local_cluster.token not in added.output
    binding = json.loads(kubectl("get", "rolebinding", "argocd-manager-role-binding",
                                 "-n", team, "-o", "json"))  # fmt: skip
    subjects = [(s["kind"], s["name"], s["namespace"]) for s in binding["subjects"]]
    assert subjects == [("ServiceAccount", "argocd-manager", namespace)]
    row = next(r for r in kaiun("cluster", "list").output.splitlines() if namespace in r)
    assert row.split()[3] == "Successful"
    assert kaiun("cluster", "rm", namespace, "-y").exit_code == 0


def test_cluster_add_times_out_without_a_token(
    kaiun: Kaiun, local_cluster: LocalCluster, namespace: str
) -> None:
    result = kaiun("cluster", "add", "kaiun-local", "--kubeconfig", _kubeconfig(local_cluster),
                   "--system-namespace", namespace, "--namespace", namespace,
                   "--token-timeout", "1", "-y")  # fmt: skip
    assert result.exit_code == 20
    assert "issued no token" in result.output and "--bearer-token" in result.output
    unknown = kaiun("cluster", "add", "nope", "--kubeconfig", _kubeconfig(local_cluster))
    assert unknown.exit_code == 20 and "nope" in unknown.output


def test_cert_add_list_rm(kaiun: Kaiun, local_cluster: LocalCluster, tmp_path: Path) -> None:
    host = f"git-{uuid.uuid4().hex[:6]}.example.com"
    key = base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519" + os.urandom(36)).decode()
    known = tmp_path / "known_hosts"
    known.write_text(f"# comment\n{host},alt-{host} ssh-ed25519 {key}\n")
    added = kaiun("cert", "add-ssh", "--batch", "--from", str(known))
    assert added.exit_code == 0, added.output
    assert added.output == "Successfully created 2 SSH known host entries\n"
    assert kaiun("cert", "add-ssh", "--from", str(known)).exit_code == 2  # --batch required

    tls = kaiun("cert", "add-tls", host, input=Path(local_cluster.ca).read_text())
    assert tls.exit_code == 0, tls.output
    assert tls.output == f"Created entry with 1 PEM certificates for repository server {host}\n"
    bad = kaiun("cert", "add-tls", host, input="not a certificate")
    assert bad.exit_code == 20 and "no PEM certificate" in bad.output

    listed = kaiun("cert", "list", "--hostname-pattern", f"*{host}")
    header, *rows = listed.output.splitlines()
    assert header.split() == ["HOSTNAME", "TYPE", "SUBTYPE", "INFO"]
    cells = sorted((r.split()[0], r.split()[1]) for r in rows)
    assert cells == [(f"alt-{host}", "ssh"), (host, "https"), (host, "ssh")]
    ssh_only = json.loads(kaiun("cert", "list", "--cert-type", "ssh", "--hostname-pattern",
                                host, "-o", "json").output)  # fmt: skip
    assert [c["certInfo"][:7] for c in ssh_only] == ["SHA256:"]

    removed = kaiun("cert", "rm", host, "--cert-type", "ssh")
    assert removed.output == f"Removed 1 certificates matching '{host}'\n"
    left = kaiun("cert", "list", "--hostname-pattern", f"*{host}", "-o", "json").output
    assert sorted((c["serverName"], c["certType"]) for c in json.loads(left)) == [
        (f"alt-{host}", "ssh"), (host, "https"),
    ]  # fmt: skip


def test_server_from_the_environment_and_none_at_all(api_server: ApiServer, tmp_path: Path) -> None:
    config = ["--config", str(tmp_path / "config")]
    env = {"ARGOCD_SERVER": api_server.url.removeprefix("http://"),
           "ARGOCD_AUTH_TOKEN": "admin-token"}  # fmt: skip
    listed = CliRunner().invoke(cli, ["cluster", "list", "--plaintext", "-o", "server", *config],
                                env=env)  # fmt: skip
    assert listed.exit_code == 0, listed.output
    assert "https://kubernetes.default.svc" in listed.output.splitlines()
    bare = {"ARGOCD_SERVER": "", "KAIUN_SERVER": ""}
    nowhere = CliRunner().invoke(cli, ["repo", "list", *config], env=bare)
    assert nowhere.exit_code == 20 and "kaiun login" in nowhere.output
    anonymous = CliRunner().invoke(
        cli, ["repo", "list", "--server", env["ARGOCD_SERVER"], "--plaintext", *config],
        env={**bare, "ARGOCD_AUTH_TOKEN": "", "KAIUN_AUTH_TOKEN": ""},
    )  # fmt: skip
    assert anonymous.exit_code == 20 and "HTTP 401" in anonymous.output
