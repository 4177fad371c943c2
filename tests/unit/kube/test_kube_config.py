"""Reading connection settings: kubeconfig files, in-cluster, Argo CD cluster Secrets."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from kaiun.kube import config
from kaiun.kube.errors import ConfigError

CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
SECRET_TOKEN = "s3cr3t-token-value"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _kubeconfig(tmp_path: Path, doc: dict[str, Any], name: str = "config") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc))
    return path


def _doc(**user: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "dev",
        "clusters": [
            {
                "name": "c1",
                "cluster": {"server": "https://h1:6443", "certificate-authority-data": _b64(CA)},
            },
            {
                "name": "c2",
                "cluster": {"server": "https://h2:6443", "insecure-skip-tls-verify": True},
            },
        ],
        "users": [{"name": "u1", "user": user}],
        "contexts": [
            {"name": "dev", "context": {"cluster": "c1", "user": "u1", "namespace": "team"}},
            {"name": "other", "context": {"cluster": "c2", "user": "u1"}},
        ],
    }


def test_current_context_with_token_and_ca_data(tmp_path: Path) -> None:
    cfg = config.from_kubeconfig(_kubeconfig(tmp_path, _doc(token=SECRET_TOKEN)))
    assert (cfg.server, cfg.name, cfg.namespace) == ("https://h1:6443", "dev", "team")
    assert cfg.ca_data == CA
    assert cfg.token == SECRET_TOKEN
    assert not cfg.insecure


def test_named_context_and_insecure(tmp_path: Path) -> None:
    cfg = config.from_kubeconfig(_kubeconfig(tmp_path, _doc(token="t")), context="other")
    assert cfg.server == "https://h2:6443"
    assert cfg.insecure
    assert cfg.namespace == "default"


def test_files_resolve_relative_to_the_kubeconfig(tmp_path: Path) -> None:
    (tmp_path / "pki").mkdir()
    (tmp_path / "pki" / "ca.crt").write_text(CA)
    (tmp_path / "pki" / "client.crt").write_text("CERT")
    (tmp_path / "pki" / "client.key").write_text("KEY")
    (tmp_path / "pki" / "token").write_text("tok\n")
    doc = _doc(
        **{
            "client-certificate": "pki/client.crt",
            "client-key": "pki/client.key",
            "tokenFile": "pki/token",
        }
    )
    doc["clusters"][0]["cluster"] = {"server": "https://h1", "certificate-authority": "pki/ca.crt"}
    cfg = config.from_kubeconfig(_kubeconfig(tmp_path, doc))
    assert cfg.ca_data == CA
    assert (cfg.client_cert_data, cfg.client_key_data) == ("CERT", "KEY")
    assert cfg.token_file == tmp_path / "pki" / "token"


def test_client_certificate_data_and_exec(tmp_path: Path) -> None:
    exec_user = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": "get-token",
            "args": ["--cluster", "x"],
            "env": [{"name": "REGION", "value": "eu"}],
            "installHint": "install get-token",
        },
        "client-certificate-data": _b64("CERT"),
        "client-key-data": _b64("KEY"),
    }
    cfg = config.from_kubeconfig(_kubeconfig(tmp_path, _doc(**exec_user)))
    assert cfg.exec is not None
    assert cfg.exec.command == "get-token"
    assert cfg.exec.args == ("--cluster", "x")
    assert cfg.exec.env == (("REGION", "eu"),)
    assert cfg.exec.api_version == "client.authentication.k8s.io/v1"
    assert (cfg.client_cert_data, cfg.client_key_data) == ("CERT", "KEY")


def test_kubeconfig_env_merges_files_first_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _kubeconfig(
        tmp_path,
        {"current-context": "dev", "users": [{"name": "u1", "user": {"token": "first"}}]},
        "a",
    )
    second = _kubeconfig(tmp_path, _doc(token="second"), "b")
    monkeypatch.setenv("KUBECONFIG", f"{first}:{second}")
    cfg = config.from_kubeconfig()
    assert cfg.token == "first"
    assert cfg.server == "https://h1:6443"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update({"current-context": "nope"}), "no context named 'nope'"),
        (
            lambda d: d["contexts"][0]["context"].update({"cluster": "gone"}),
            "no cluster named 'gone'",
        ),
        (lambda d: d.pop("current-context"), "no current-context"),
        (lambda d: d["clusters"][0]["cluster"].update({"server": "h1:6443"}), "is not a URL"),
        (
            lambda d: d["clusters"][0]["cluster"].update(
                {"certificate-authority": "missing.crt", "certificate-authority-data": None}
            ),
            "cannot read certificate-authority",
        ),
    ],
)
def test_bad_kubeconfig(tmp_path: Path, mutate: Any, message: str) -> None:
    doc = _doc(token=SECRET_TOKEN)
    mutate(doc)
    with pytest.raises(ConfigError, match=message) as info:
        config.from_kubeconfig(_kubeconfig(tmp_path, doc))
    assert SECRET_TOKEN not in str(info.value)


def test_unreadable_and_malformed_kubeconfig(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read kubeconfig"):
        config.from_kubeconfig(tmp_path / "absent")
    bad = tmp_path / "bad"
    bad.write_text("clusters: [\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        config.from_kubeconfig(bad)


def _cluster_secret(conf: dict[str, Any], **fields: str) -> dict[str, Any]:
    data = {
        "server": "https://remote:443",
        "name": "prod",
        "config": orjson.dumps(conf).decode(),
        **fields,
    }
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": "prod",
            "namespace": "argocd",
            "labels": {"argocd.argoproj.io/secret-type": "cluster"},
        },
        "data": {k: _b64(v) for k, v in data.items()},
    }


def test_cluster_secret_bearer_token_and_tls() -> None:
    secret = _cluster_secret(
        {
            "bearerToken": SECRET_TOKEN,
            "tlsClientConfig": {
                "caData": _b64(CA),
                "serverName": "api.internal",
                "insecure": False,
            },
        }
    )
    cfg = config.from_cluster_secret(secret)
    assert (cfg.server, cfg.name, cfg.token) == ("https://remote:443", "prod", SECRET_TOKEN)
    assert cfg.ca_data == CA
    assert cfg.tls_server_name == "api.internal"
    assert cfg.cluster_resources and cfg.namespaces == ()


def test_cluster_secret_basic_auth_certs_exec_and_namespaces() -> None:
    secret = _cluster_secret(
        {
            "username": "admin",
            "password": "pw",
            "tlsClientConfig": {"certData": _b64("CERT"), "keyData": _b64("KEY")},
            "execProviderConfig": {
                "command": "argocd-k8s-auth",
                "args": ["aws"],
                "env": {"A": "1"},
                "apiVersion": "client.authentication.k8s.io/v1beta1",
            },
        },
        namespaces="a, b",
    )
    cfg = config.from_cluster_secret(secret)
    assert (cfg.username, cfg.password) == ("admin", "pw")
    assert (cfg.client_cert_data, cfg.client_key_data) == ("CERT", "KEY")
    assert cfg.exec is not None and cfg.exec.env == (("A", "1"),)
    assert cfg.namespaces == ("a", "b")
    # Namespaced clusters see no cluster-scoped kinds unless clusterResources says so.
    assert not cfg.cluster_resources
    assert config.from_cluster_secret(
        _cluster_secret({}, namespaces="a", clusterResources="true")
    ).cluster_resources


def test_cluster_secret_string_data() -> None:
    secret = _cluster_secret({})
    secret["data"] = {}
    secret["stringData"] = {"server": "https://x", "config": '{"bearerToken": "t"}'}
    assert config.from_cluster_secret(secret).token == "t"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s["metadata"].update({"labels": {}}), "lacks the label"),
        (lambda s: s["data"].update({"config": _b64("{not json")}), "not valid JSON"),
        (lambda s: s["data"].pop("server"), "has no 'server'"),
        (
            lambda s: s["data"].update({"config": _b64('{"awsAuthConfig": {"clusterName": "x"}}')}),
            "awsAuthConfig",
        ),
        (lambda s: s["data"].update({"server": "!!"}), "not base64"),
    ],
)
def test_bad_cluster_secret(change: Any, message: str) -> None:
    secret = _cluster_secret({"bearerToken": SECRET_TOKEN})
    change(secret)
    with pytest.raises(ConfigError, match=message) as info:
        config.from_cluster_secret(secret)
    assert SECRET_TOKEN not in str(info.value)


def test_in_cluster(tmp_path: Path) -> None:
    (tmp_path / "token").write_text("sa-token")
    (tmp_path / "ca.crt").write_text(CA)
    (tmp_path / "namespace").write_text("argocd\n")
    env = {"KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"}
    cfg = config.in_cluster(tmp_path, env)
    assert (cfg.server, cfg.namespace, cfg.ca_data) == ("https://10.0.0.1:443", "argocd", CA)
    assert cfg.token_file == tmp_path / "token"
    v6 = config.in_cluster(tmp_path, {**env, "KUBERNETES_SERVICE_HOST": "fd00::1"})
    assert v6.server == "https://[fd00::1]:443"
    with pytest.raises(ConfigError, match="not running in a cluster"):
        config.in_cluster(tmp_path, {})


def test_repr_hides_credentials() -> None:
    cfg = config.ClusterConfig(
        server="https://x",
        token=SECRET_TOKEN,
        password="pw-secret",
        client_key_data="KEY-secret",
        exec=config.ExecConfig(command="c", env=(("AWS_SECRET", "env-secret"),)),
    )
    text = repr(cfg)
    for secret in (SECRET_TOKEN, "pw-secret", "KEY-secret", "env-secret"):
        assert secret not in text
