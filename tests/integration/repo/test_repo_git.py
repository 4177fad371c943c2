"""Git sources against real repositories: file:// and smart HTTP with basic auth."""

from __future__ import annotations

import asyncio
import logging
import shutil
from pathlib import Path

import pytest

from kaiun.repo import (
    AuthenticationError,
    CredentialStore,
    GitError,
    GitRepos,
    RepoCredential,
    RevisionNotFoundError,
)
from tests.integration.repo.repo_testkit import GitHttpServer, GitRepo

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"


def resolve(repos: GitRepos, url: str, rev: str, prefix: str = "") -> str:
    return asyncio.run(repos.resolve(url, rev, tag_prefix=prefix))


def test_resolves_branch_tag_head_and_shas(git_repo: GitRepo, tmp_path: Path) -> None:
    first = git_repo.commit({"a.yaml": CM.format(name="a")})
    git_repo.git("tag", "-a", "v1.0.0", "-m", "annotated")
    second = git_repo.commit({"b.yaml": CM.format(name="b")})
    git_repo.git("branch", "release", first)
    repos = GitRepos(tmp_path / "w", revision_cache_seconds=0)

    assert resolve(repos, git_repo.url, "main") == second
    assert resolve(repos, git_repo.url, "HEAD") == second
    assert resolve(repos, git_repo.url, "") == second
    assert resolve(repos, git_repo.url, "release") == first
    assert resolve(repos, git_repo.url, "refs/heads/release") == first
    # An annotated tag resolves to its commit, not the tag object.
    assert resolve(repos, git_repo.url, "v1.0.0") == first
    assert resolve(repos, git_repo.url, first) == first
    assert resolve(repos, git_repo.url, first[:7]) == first


def test_semver_constraints_pick_the_highest_matching_tag(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    shas = {}
    for tag in ("v1.0.0", "v1.2.0", "v1.10.1", "v2.0.0", "v2.1.0-rc.1", "app-v3.0.0"):
        shas[tag] = git_repo.commit(message=tag)
        git_repo.git("tag", tag)
    repos = GitRepos(tmp_path / "w", revision_cache_seconds=0)

    assert resolve(repos, git_repo.url, "^1.0") == shas["v1.10.1"]
    assert resolve(repos, git_repo.url, "~1.2.0") == shas["v1.2.0"]
    assert resolve(repos, git_repo.url, ">=1.0.0, <2.0.0") == shas["v1.10.1"]
    assert resolve(repos, git_repo.url, "1.x || 2.x") == shas["v2.0.0"]
    assert resolve(repos, git_repo.url, "*") == shas["v2.0.0"]  # pre-releases excluded
    assert resolve(repos, git_repo.url, "^3", prefix="app-v") == shas["app-v3.0.0"]
    with pytest.raises(RevisionNotFoundError, match=r"\^9\.0"):
        resolve(repos, git_repo.url, "^9.0")


def test_unknown_revision_is_a_clear_error(git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.commit({"a.yaml": CM.format(name="a")})
    repos = GitRepos(tmp_path / "w", revision_cache_seconds=0)
    with pytest.raises(RevisionNotFoundError, match="'nope' not found"):
        resolve(repos, git_repo.url, "nope")


def test_checkout_is_isolated_per_commit_and_fetches_once(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    first = git_repo.commit({"a.yaml": "one"})
    second = git_repo.commit({"a.yaml": "two"})
    repos = GitRepos(tmp_path / "w", revision_cache_seconds=0)

    async def both() -> tuple[Path, Path, Path]:
        return await asyncio.gather(
            repos.checkout(git_repo.url, first),
            repos.checkout(git_repo.url, second),
            repos.checkout(git_repo.url + ".git/", second),  # same repo, other spelling
        )

    one, two, again = asyncio.run(both())
    assert (one / "a.yaml").read_text() == "one"
    assert (two / "a.yaml").read_text() == "two"
    assert again == two
    assert repos.fetch_count == 1
    assert not (one / ".git").exists()


def test_many_resolvers_share_one_ls_remote(git_repo: GitRepo, tmp_path: Path) -> None:
    head = git_repo.commit({"a.yaml": "x"})
    repos = GitRepos(tmp_path / "w", revision_cache_seconds=3600)

    async def many() -> list[str]:
        return await asyncio.gather(*(repos.resolve(git_repo.url, "main") for _ in range(20)))

    assert asyncio.run(many()) == [head] * 20
    assert repos.ls_remote_count == 1
    newer = git_repo.commit({"a.yaml": "y"})
    assert resolve(repos, git_repo.url, "main") == head  # still fresh in the cache
    repos.invalidate(git_repo.url)
    assert resolve(repos, git_repo.url, "main") == newer


def _http_repo(tmp_path: Path, git_repo: GitRepo) -> Path:
    root = tmp_path / "served"
    root.mkdir()
    shutil.copytree(git_repo.path / ".git", root / "app.git")
    return root


def test_smart_http_with_basic_auth(
    git_repo: GitRepo, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    head = git_repo.commit({"a.yaml": CM.format(name="a")})
    root = _http_repo(tmp_path, git_repo)
    password = "s3cr3t-token-value"
    with GitHttpServer(root, "git", password) as server:
        url = f"{server.base_url}/app.git"
        creds = CredentialStore.from_secrets(
            [
                {
                    "metadata": {
                        "name": "org-creds",
                        "labels": {"argocd.argoproj.io/secret-type": "repo-creds"},
                    },
                    "stringData": {"url": server.base_url, "username": "git", "password": password},
                }
            ]
        )
        caplog.set_level(logging.DEBUG)
        repos = GitRepos(tmp_path / "w", creds, revision_cache_seconds=0)
        assert resolve(repos, url, "main") == head
        tree = asyncio.run(repos.checkout(url, head))
        assert "name: a" in (tree / "a.yaml").read_text()
        assert any("git-upload-pack" in r for r in server.requests)
        assert password not in caplog.text

        anonymous = GitRepos(tmp_path / "anon", revision_cache_seconds=0)
        with pytest.raises(AuthenticationError) as anon_err:
            resolve(anonymous, url, "main")
        assert str(anon_err.value) == (
            f"authentication failed for {url}: check the repository credentials"
        )

        wrong = CredentialStore([RepoCredential(url=url, username="git", password="wrong-pw")])
        with pytest.raises(AuthenticationError) as wrong_err:
            resolve(GitRepos(tmp_path / "bad", wrong, revision_cache_seconds=0), url, "main")
        assert "wrong-pw" not in str(wrong_err.value)


def test_smart_http_with_bearer_token(
    git_repo: GitRepo, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A repository Secret's ``bearerToken`` goes out as ``Authorization: Bearer`` (via
    ``GIT_CONFIG_*``, never argv) and stays out of logs."""
    head = git_repo.commit({"a.yaml": CM.format(name="a")})
    token = "bearer-t0ken-value"
    with GitHttpServer(_http_repo(tmp_path, git_repo)) as server:
        server.expected = f"Bearer {token}"
        url = f"{server.base_url}/app.git"
        secret = {
            "metadata": {"labels": {"argocd.argoproj.io/secret-type": "repository"}},
            "stringData": {"url": url, "bearerToken": token},
        }
        caplog.set_level(logging.DEBUG)
        repos = GitRepos(tmp_path / "w", CredentialStore.from_secrets([secret]),
                         revision_cache_seconds=0)  # fmt: skip
        assert resolve(repos, url, "main") == head
        assert "name: a" in (asyncio.run(repos.checkout(url, head)) / "a.yaml").read_text()
        with pytest.raises(AuthenticationError):
            resolve(GitRepos(tmp_path / "anon", revision_cache_seconds=0), url, "main")
    assert token not in caplog.text


def test_missing_repository_is_a_git_error_without_secrets(tmp_path: Path) -> None:
    url = f"file://{tmp_path}/does-not-exist"
    repos = GitRepos(tmp_path / "w", revision_cache_seconds=0)
    with pytest.raises(GitError, match="does-not-exist") as err:
        resolve(repos, url, "main")
    assert "Traceback" not in str(err.value)


def test_checkout_directories_are_not_derivable_from_the_url(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    """A kustomization cannot reach another repository's checkout by a guessed path."""
    head = git_repo.commit({"a.yaml": "x"})
    one = asyncio.run(GitRepos(tmp_path / "one").checkout(git_repo.url, head))
    two = asyncio.run(GitRepos(tmp_path / "two").checkout(git_repo.url, head))
    again = asyncio.run(GitRepos(tmp_path / "one").checkout(git_repo.url, head))
    assert one.parent.name != two.parent.name
    assert again == one  # the salt is kept, so a restart reuses its checkouts


def test_submodules_are_checked_out_at_their_pinned_commit(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    lib = GitRepo(tmp_path / "lib")
    pinned = lib.commit({"base/cm.yaml": CM.format(name="from-lib")})
    lib.commit({"base/cm.yaml": CM.format(name="newer")})
    git_repo.commit({"app/a.yaml": CM.format(name="a")})
    git_repo.git(
        "-c", "protocol.file.allow=always", "submodule", "add", "-q", lib.url, "vendor/lib"
    )
    git_repo.git("-C", "vendor/lib", "checkout", "-q", pinned)
    head = git_repo.commit(message="add submodule")
    repos = GitRepos(tmp_path / "w", revision_cache_seconds=0)
    tree = asyncio.run(repos.checkout(git_repo.url, head))
    assert "from-lib" in (tree / "vendor/lib/base/cm.yaml").read_text()
    off = GitRepos(tmp_path / "off", revision_cache_seconds=0, submodules=False)
    assert not any((asyncio.run(off.checkout(git_repo.url, head)) / "vendor/lib").iterdir())


def test_local_submodule_of_a_remote_repository_is_refused() -> None:
    from kaiun.repo.revisions import submodule_url

    assert submodule_url("https://h/org/app.git", "../lib.git") == "https://h/org/lib.git"
    assert submodule_url("file:///srv/app", "/srv/lib") == "/srv/lib"
    for local in ("file:///etc/repo", "/var/lib/kaiun/other", "relative-dir"):
        with pytest.raises(ValueError, match="is local but the repository is not"):
            submodule_url("https://h/org/app.git", local)
