"""Git over SSH with key authentication against a real ``sshd`` on loopback."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from kaiun.repo import AuthenticationError, CredentialStore, GitError, GitRepos, RepoCredential
from tests.integration.repo.repo_testkit import GitRepo, SshServer, cm

pytestmark = pytest.mark.skipif(
    not Path("/usr/sbin/sshd").exists(), reason="openssh-server missing (scripts/setup installs it)"
)


def _keypair(path: Path) -> tuple[str, str]:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    return path.read_text(), (path.parent / (path.name + ".pub")).read_text()


@pytest.fixture
def ssh_setup(tmp_path: Path, git_repo: GitRepo) -> Iterator[tuple[SshServer, str, str, str]]:
    private, public = _keypair(tmp_path / "client_key")
    git_repo.commit({"app/a.yaml": cm("over-ssh")})
    bare = tmp_path / "served.git"
    shutil.copytree(git_repo.path / ".git", bare)
    with SshServer(tmp_path / "sshd", public) as server:
        yield server, server.url(bare), private, git_repo.git("rev-parse", "HEAD")


def _resolve(tmp: Path, url: str, cred: RepoCredential | None, known_hosts: str = "") -> str:
    repos = GitRepos(
        tmp, CredentialStore([cred] if cred else []), known_hosts=known_hosts,
        revision_cache_seconds=0,
    )  # fmt: skip
    sha = asyncio.run(repos.resolve(url, "main"))
    tree = asyncio.run(repos.checkout(url, sha))
    assert "over-ssh" in (tree / "app" / "a.yaml").read_text()
    return sha


def test_ssh_key_with_known_hosts(
    tmp_path: Path, ssh_setup: tuple[SshServer, str, str, str]
) -> None:
    server, url, private, head = ssh_setup
    cred = RepoCredential(url=url, ssh_private_key=private)
    assert _resolve(tmp_path / "a", url, cred, server.known_hosts) == head


def test_ssh_insecure_skips_host_key_check(
    tmp_path: Path, ssh_setup: tuple[SshServer, str, str, str]
) -> None:
    _, url, private, head = ssh_setup
    cred = RepoCredential(url=url, ssh_private_key=private, insecure=True)
    assert _resolve(tmp_path / "b", url, cred) == head


def test_unknown_host_key_is_refused(
    tmp_path: Path, ssh_setup: tuple[SshServer, str, str, str]
) -> None:
    _, url, private, _ = ssh_setup
    cred = RepoCredential(url=url, ssh_private_key=private)
    with pytest.raises(GitError) as err:
        _resolve(tmp_path / "c", url, cred)
    assert "host key verification failed" in str(err.value)
    assert "known hosts" in str(err.value)


def test_wrong_key_is_an_authentication_error(
    tmp_path: Path, ssh_setup: tuple[SshServer, str, str, str]
) -> None:
    server, url, _, _ = ssh_setup
    other, _ = _keypair(tmp_path / "other_key")
    cred = RepoCredential(url=url, ssh_private_key=other)
    with pytest.raises(AuthenticationError) as err:
        _resolve(tmp_path / "d", url, cred, server.known_hosts)
    assert "BEGIN OPENSSH PRIVATE KEY" not in str(err.value)
