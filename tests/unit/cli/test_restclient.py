"""Which mode a noun command picks (REST or core) from flags, environment and the login
config, and argocd's exit codes for API failures."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from kaiun.cli.restclient import choose_target, classified_exit, generic_exit
from kaiun.cli.restconfig import LocalConfig

ENV = ("KAIUN_SERVER", "ARGOCD_SERVER", "KAIUN_AUTH_TOKEN", "ARGOCD_AUTH_TOKEN")


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var in ENV:
        monkeypatch.delenv(var, raising=False)
    path = tmp_path / "config"
    cfg = LocalConfig.load(path)
    cfg.set_login("prod", "cd.example.com:443", "ctx-token", insecure=True, plaintext=False)
    cfg.save()
    return path


def _flags(config: Path, **extra: object) -> dict[str, object]:
    return {"config_path": config, **extra}


def test_a_login_context_means_rest(config: Path) -> None:
    target = choose_target(_flags(config), core=False, kube_explicit=False)
    assert target is not None
    assert (target.server, target.token, target.insecure) == (
        "cd.example.com:443",
        "ctx-token",
        True,
    )
    assert target.base_url == "https://cd.example.com:443"


def test_core_flag_or_explicit_kubeconfig_means_core(config: Path) -> None:
    assert choose_target(_flags(config), core=True, kube_explicit=False) is None
    assert choose_target(_flags(config), core=False, kube_explicit=True) is None


def test_no_login_and_no_server_falls_back_to_core(tmp_path: Path, config: Path) -> None:
    empty = tmp_path / "none"
    assert choose_target(_flags(empty), core=False, kube_explicit=False) is None
    with pytest.raises(click.UsageError, match="--auth-token needs a server"):
        choose_target(_flags(empty, auth_token="t"), core=False, kube_explicit=False)


def test_server_and_token_from_argocd_environment(
    tmp_path: Path, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARGOCD_SERVER", "other:8080")
    monkeypatch.setenv("ARGOCD_AUTH_TOKEN", "env-token")
    target = choose_target(
        _flags(tmp_path / "none", plaintext=True), core=False, kube_explicit=False
    )
    assert target is not None
    assert (target.base_url, target.token) == ("http://other:8080", "env-token")
    flag = choose_target(
        _flags(config, server="flag:1", auth_token="flag-token"), core=False, kube_explicit=False
    )
    assert flag is not None and (flag.server, flag.token) == ("flag:1", "flag-token")


def test_exit_codes() -> None:
    assert [classified_exit(s) for s in (0, 401, 403, 404, 400, 500)] == [11, 12, 12, 13, 20, 20]
    assert {generic_exit(s) for s in (0, 403, 404, 400)} == {20}
