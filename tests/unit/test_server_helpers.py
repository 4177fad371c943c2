"""Small pure pieces of the API server and the CLI's REST config: Go durations, the URL
scheme allow-list, and the contexts file."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from kaiun.cli.restconfig import LocalConfig, Target, resolve
from kaiun.server.authn import parse_duration
from kaiun.server.settings import safe_url


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("24h", 86400), ("1h30m", 5400), ("90s", 90), ("0s", 0), ("1.5h", 5400),
     ("500ms", 0), ("", None), ("1d", None), ("h", None), ("10", None), ("-1h", None)],
)  # fmt: skip
def test_parse_duration(text: str, seconds: int | None) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("url", "kept"),
    [("https://cd.example.com", True), ("http://x.y/p?q=1", True),
     ("javascript:alert(1)", False), ("JavaScript:alert(1)", False),
     ("data:text/html,<b>", False), ("//evil.example.com", False), ("cd.example.com", False),
     ("https://", False), (" https://ok.example.com ", True)],
)  # fmt: skip
def test_safe_url_allows_only_absolute_http_urls(url: str, kept: bool) -> None:
    assert bool(safe_url(url)) is kept
    if kept:
        assert safe_url(url) == url.strip()


def test_contexts_round_trip_and_resolve(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "config"
    config = LocalConfig.load(path)
    config.set_login("a", "a.example:443", "tok-a", insecure=False, plaintext=False)
    config.set_login("b", "127.0.0.1:8080", "tok-b", insecure=True, plaintext=True)
    config.save()
    assert path.stat().st_mode & 0o777 == 0o600
    target = resolve(server=None, auth_token=None, insecure=None, plaintext=None,
                     config_path=path)  # fmt: skip
    assert target == Target("127.0.0.1:8080", "tok-b", True, True, "b")
    assert target.base_url == "http://127.0.0.1:8080"
    a = resolve(server=None, auth_token=None, insecure=None, plaintext=None,
                config_path=path, context_name="a")  # fmt: skip
    assert (a.base_url, a.token) == ("https://a.example:443", "tok-a")
    flags = resolve(server="other:1", auth_token="t", insecure=None, plaintext=None,
                    config_path=path)  # fmt: skip
    assert (flags.base_url, flags.token, flags.insecure) == ("https://other:1", "t", False)
    reloaded = LocalConfig.load(path)
    reloaded.delete_context("b")
    reloaded.save()
    assert LocalConfig.load(path).current_context == ""
    with pytest.raises(click.ClickException, match="kaiun login"):
        resolve(server=None, auth_token=None, insecure=None, plaintext=None, config_path=path)


def test_kaiun_config_environment_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAIUN_CONFIG", str(tmp_path / "cfg"))
    assert LocalConfig.load().path == tmp_path / "cfg"
