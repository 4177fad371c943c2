"""``kaiun image-updater test`` against a real registry: what it picks and why, or which step
failed."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from kaiun.cli.main import cli
from tests.integration.imageupdater.conftest import USERS
from tests.registry_kit import Registry, free_port


def _conf(tmp_path: Path, registry: Registry) -> str:
    path = tmp_path / "registries.conf"
    path.write_text(
        f"registries:\n- name: test\n  api_url: {registry.url}\n  prefix: {registry.host}\n"
        "  credentials: env:TEST_REGISTRY_CREDS\n"
    )
    return str(path)


@pytest.fixture
def image(basic_registry: Registry) -> str:
    repo = f"team/cli-{uuid.uuid4().hex[:8]}"
    push = basic_registry.pusher()
    for tag in ["1.2.0", "1.2.7", "1.3.0", "1.3.1-rc.1", "latest"]:
        push.image(repo, tag, created="2024-01-01T00:00:00Z")
    return f"{basic_registry.host}/{repo}"


def _run(args: list[str], creds: str) -> tuple[int, str, str]:
    runner = CliRunner()
    result = runner.invoke(
        cli, ["image-updater", "test", *args], env={"TEST_REGISTRY_CREDS": creds}
    )
    return result.exit_code, result.stdout, result.stderr


def test_says_what_it_would_pick_and_why(
    tmp_path: Path, basic_registry: Registry, image: str
) -> None:
    code, out, _ = _run(
        [image, "--registries-conf-path", _conf(tmp_path, basic_registry),
         "--semver-constraint", "~1.2", "--ignore-tags", "latest"],
        "alice:" + USERS["alice"],
    )  # fmt: skip
    assert code == 0, out
    assert "would pick 1.2.7" in out
    assert "highest semantic version within '~1.2' among 2 candidate(s)" in out
    assert "1.3.0" in out and "outside constraint '~1.2'" in out
    assert "ignored by ignore-tags 'latest'" in out


def test_wrong_password_names_the_step(
    tmp_path: Path, basic_registry: Registry, image: str
) -> None:
    code, out, err = _run(
        [image, "--registries-conf-path", _conf(tmp_path, basic_registry)], "alice:not-it"
    )
    assert code == 1
    assert "basic-auth step failed" in err
    assert "check the username and password" in err
    assert "not-it" not in out + err


def test_unreachable_registry(tmp_path: Path) -> None:
    port = free_port()
    conf = tmp_path / "r.conf"
    conf.write_text(
        f"registries:\n- name: gone\n  api_url: http://127.0.0.1:{port}\n"
        f"  prefix: 127.0.0.1:{port}\n"
    )
    code, _, err = _run([f"127.0.0.1:{port}/x/y", "--registries-conf-path", str(conf)], "")
    assert code == 1
    assert "ping step failed" in err and "cannot connect" in err


def test_unparsable_constraint(tmp_path: Path, basic_registry: Registry, image: str) -> None:
    code, _, err = _run(
        [image, "--registries-conf-path", _conf(tmp_path, basic_registry),
         "--semver-constraint", "latest-ish"],
        "alice:" + USERS["alice"],
    )  # fmt: skip
    assert code == 1
    assert "config step failed" in err
    assert "cannot parse version constraint 'latest-ish'" in err
