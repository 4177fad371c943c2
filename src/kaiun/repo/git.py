"""Git sources through the ``git`` CLI: one bare mirror per normalized URL, isolated checkouts.

``GitRepos.resolve`` turns a ``targetRevision`` into a commit (one ``ls-remote`` per URL,
shared by every caller while it is fresh); ``GitRepos.checkout`` returns a read-only tree
of that commit, fetching into the mirror only when the commit is not there yet. Concurrent
callers for the same URL or commit wait for one operation instead of repeating it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import logging
import os
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import orjson

from kaiun.repo import revisions, subtree
from kaiun.repo.credentials import CredentialStore
from kaiun.repo.errors import AuthenticationError, GitError, RevisionNotFoundError
from kaiun.repo.gitauth import git_environment
from kaiun.repo.githubapp import GitHubAppTokens
from kaiun.repo.gitlfs import place_lfs_objects
from kaiun.repo.process import ToolFailedError, base_environment, run_tool
from kaiun.repo.singleflight import SingleFlight
from kaiun.repo.tlscerts import TlsCerts
from kaiun.repo.urls import mirror_key, normalize_repo_url, redact_url, url_secrets

__all__ = ["GitRepos"]

log = logging.getLogger(__name__)

_AUTH_FAILURES = (
    "authentication failed",
    "could not read username",
    "could not read password",
    "terminal prompts disabled",
    "permission denied (publickey",
    "http basic: access denied",
    "returned error: 401",
    "returned error: 403",
    "the requested url returned error: 401",
)

# git's generic advice after any remote failure; the real cause is on the other lines.
_BOILERPLATE = (
    "Could not read from remote repository",
    "Please make sure you have the correct access rights",
    "and the repository exists",
)


def _load_salt(path: Path) -> bytes:
    """A random per-installation salt for directory names, kept so restarts reuse mirrors."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        salt = os.urandom(16)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(salt)
        return salt


class GitRepos:
    """Mirrors, revision resolution and checkouts under one working directory."""

    def __init__(
        self,
        root: Path,
        credentials: CredentialStore | None = None,
        *,
        timeout: float = 90.0,
        revision_cache_seconds: float = 180.0,
        known_hosts: str = "",
        submodules: bool = True,
        tls_certs: TlsCerts | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.root = root
        self.submodules = submodules
        self.tls_certs = tls_certs or TlsCerts()
        self.credentials = credentials or CredentialStore()
        self.timeout = timeout
        self.revision_cache_seconds = revision_cache_seconds
        self.known_hosts = known_hosts
        self._clock = clock
        self._refs: dict[str, tuple[float, dict[str, str]]] = {}
        self._flights = SingleFlight()
        self._diffs: dict[str, tuple[str, ...]] = {}
        self.github_app = GitHubAppTokens()
        self.fetch_count = 0
        self.ls_remote_count = 0
        for sub in ("mirrors", "checkouts", "tools", "home", "tmp"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        (root / "tmp").chmod(0o700)
        self._salt = _load_salt(root / "salt")
        # (url, sha) -> its finished checkout: directories are never changed once made.
        self._checkouts: dict[tuple[str, str], Path] = {}
        # (url, "sha:path") whose directory is not plain manifests: full checkout.
        self._not_plain: set[tuple[str, str]] = set()
        self._subtree_uses: dict[tuple[str, str], int] = {}  # (url, sha) -> directories made

    # -- running git -----------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def credential_environment(
        self, url: str, base: dict[str, str] | None = None
    ) -> AsyncIterator[tuple[dict[str, str], tuple[str, ...]]]:
        """``(env, secrets)`` for running git against ``url`` with its credentials: the
        askpass helper, ``GIT_CONFIG_*`` and private key files, removed on exit."""
        cred = self.credentials.lookup(url)
        if cred is not None and cred.github_app_id and cred.github_app_private_key:
            token = await self.github_app.token(cred)
            cred = dataclasses.replace(cred, username="x-access-token", password=token)
        secrets_dir = Path(tempfile.mkdtemp(dir=self.root / "tmp"))
        try:
            env = git_environment(
                base if base is not None else base_environment(str(self.root / "home")),
                cred,
                tools_dir=self.root / "tools",
                secrets_dir=secrets_dir,
                known_hosts=self.known_hosts,
                ca_certs=self.tls_certs.for_url(url) if url else "",
                url=url,
            )
            yield env, (*(cred.secret_values() if cred else ()), *url_secrets(url))
        finally:
            shutil.rmtree(secrets_dir, ignore_errors=True)

    async def _git(
        self,
        url: str,
        args: list[str],
        *,
        cwd: Path | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> str:
        async with self.credential_environment(url) as (env, secrets):
            env.update(extra_env or {})
            try:
                result = await run_tool(
                    ["git", *args],
                    cwd=str(cwd or self.root),
                    env=env,
                    time_limit=self.timeout,
                    secrets=secrets,
                    display=f"git {args[0]}",
                )
            except ToolFailedError as exc:
                raise self._classify(url, exc) from None
        return result.stdout.decode()

    @staticmethod
    def _classify(url: str, exc: ToolFailedError) -> GitError:
        lowered = exc.stderr.lower()
        if any(marker in lowered for marker in _AUTH_FAILURES):
            return AuthenticationError(redact_url(url))
        if "host key verification failed" in lowered:
            return GitError(
                f"host key verification failed for {redact_url(url)}: add the server's key to "
                "the SSH known hosts (argocd-ssh-known-hosts-cm) or mark the repository insecure"
            )
        lines = [
            line.strip()
            for line in exc.stderr.splitlines()
            if line.strip() and not any(b in line for b in _BOILERPLATE)
        ]
        detail = "; ".join(lines[-3:]) or "no output"
        return GitError(f"git {exc.tool.split()[-1]} failed for {redact_url(url)}: {detail}")

    # -- refs and revisions ----------------------------------------------------------

    async def ls_remote(self, url: str, *, refresh: bool = False) -> dict[str, str]:
        """The repository's refs, from cache while fresher than ``revision_cache_seconds``."""
        key = normalize_repo_url(url)
        cached = self._refs.get(key)
        if not refresh and cached and self._clock() - cached[0] < self.revision_cache_seconds:
            return cached[1]

        async def fetch_refs() -> dict[str, str]:
            self.ls_remote_count += 1
            out = await self._git(url, ["ls-remote", "--", url])
            refs = revisions.parse_ls_remote(out)
            self._refs[key] = (self._clock(), refs)
            return refs

        return await self._flights.do(f"ls-remote {key}", fetch_refs)

    def invalidate(self, url: str) -> None:
        """Forget cached refs of ``url`` (a webhook or a hard refresh said it changed)."""
        self._refs.pop(normalize_repo_url(url), None)

    async def resolve(
        self, url: str, revision: str, *, tag_prefix: str = "", refresh: bool = False
    ) -> str:
        """The full commit SHA ``revision`` names in ``url``."""
        revision = revision or "HEAD"
        if revisions.is_full_sha(revision):
            return revision.lower()
        refs = await self.ls_remote(url, refresh=refresh)
        sha = revisions.match_ref(refs, revision)
        if sha is None:
            tag = revisions.match_semver(refs, revision, tag_prefix)
            sha = refs[tag] if tag else None
        if sha is None and revisions.is_short_sha(revision):
            sha = await self._expand_short_sha(url, revision)
        if sha is None:
            raise RevisionNotFoundError(
                f"revision {revision!r} not found in {redact_url(url)}: no branch, tag, "
                "commit or matching semver tag"
            )
        return sha

    async def _expand_short_sha(self, url: str, short: str) -> str | None:
        mirror = await self._mirror(url)
        found = await self._rev_parse(mirror, short)
        if found is None:
            await self.fetch(url)
            found = await self._rev_parse(mirror, short)
        return found

    # -- mirror and checkouts --------------------------------------------------------

    def mirror_path(self, url: str) -> Path:
        """Where the bare mirror of ``url`` lives."""
        return self.root / "mirrors" / f"{mirror_key(url, self._salt)}.git"

    async def _mirror(self, url: str) -> Path:
        path = self.mirror_path(url)
        if not (path / "HEAD").exists():
            await self._flights.do(
                f"init {path}", lambda: self._git(url, ["init", "--bare", "-q", str(path)])
            )
        return path

    async def _rev_parse(self, mirror: Path, rev: str) -> str | None:
        try:
            out = await self._git(
                "", ["--git-dir", str(mirror), "rev-parse", "--verify", "-q", f"{rev}^{{commit}}"]
            )
        except GitError:
            return None
        return out.strip() or None

    async def fetch(self, url: str) -> None:
        """Fetch every branch and tag of ``url`` into its mirror (once for concurrent callers)."""
        mirror = await self._mirror(url)

        async def do_fetch() -> None:
            self.fetch_count += 1
            log.info("git fetch repo=%s", redact_url(url))
            await self._git(
                url,
                [
                    "--git-dir", str(mirror), "fetch", "-q", "--prune", "--force", "--", url,
                    "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*",
                ],
            )  # fmt: skip

        await self._flights.do(f"fetch {mirror}", do_fetch)

    async def changed_files(self, url: str, old: str, new: str) -> tuple[str, ...]:
        """Paths (repo-relative) that differ between commits ``old`` and ``new``.

        Every app of a monorepo asks about the same pair after a push: one diff serves all.
        """
        mirror = await self._mirror(url)
        key = f"diff {mirror} {old} {new}"
        if key in self._diffs:
            return self._diffs[key]

        async def diff() -> tuple[str, ...]:
            for sha in (old, new):
                if await self._rev_parse(mirror, sha) is None:
                    await self.fetch(url)
            out = await self._git(
                url, ["--git-dir", str(mirror), "diff", "--name-only", "--no-renames", old, new]
            )
            files = tuple(line for line in out.splitlines() if line)
            if len(self._diffs) >= 256:
                self._diffs.pop(next(iter(self._diffs)))
            self._diffs[key] = files
            return files

        return await self._flights.do(key, diff)

    async def checkout(self, url: str, sha: str) -> Path:
        """A directory holding the tree of commit ``sha``; shared, never to be written to."""
        known = self._checkouts.get((url, sha))
        if known is not None and known.is_dir():
            return known
        lfs = self._lfs_enabled(url)
        # LFS content and pointers are different trees of one commit: separate directories.
        name = sha + ("-lfs" if lfs else "")
        dest = self.root / "checkouts" / mirror_key(url, self._salt) / name
        if dest.is_dir():
            self._remember_checkout(url, sha, dest)
            return dest

        async def make() -> Path:
            if dest.is_dir():
                return dest
            mirror = await self._mirror(url)
            if await self._rev_parse(mirror, sha) is None:
                await self.fetch(url)
                if await self._rev_parse(mirror, sha) is None:
                    raise RevisionNotFoundError(f"commit {sha} not found in {redact_url(url)}")
            await self._materialize(url, mirror, sha, dest, lfs=lfs)
            self._remember_checkout(url, sha, dest)
            return dest

        return await self._flights.do(f"checkout {dest}", make)

    async def checkout_plain_subtree(self, url: str, sha: str, path: str) -> Path | None:
        """A directory holding only ``path`` of commit ``sha`` (at ``path`` inside it), when
        that directory holds only plain manifests (``subtree.plain_listing``); else None.

        Shared and never written to, like ``checkout``; LFS repositories always get None.
        """
        rel = subtree.normalized_path(path)
        if rel is None or self._lfs_enabled(url):
            return None
        known = self._checkouts.get((url, f"{sha}:{rel}"))
        if known is not None:
            return known
        if (url, f"{sha}:{rel}") in self._not_plain or (url, sha) in self._checkouts:
            return None
        key = hashlib.sha256(rel.encode()).hexdigest()[:24]
        dest = self.root / "checkouts" / mirror_key(url, self._salt) / f"{sha}.paths" / key
        if dest.is_dir():
            self._remember_checkout(url, f"{sha}:{rel}", dest)
            return dest
        # Many apps at one commit (a first sync, a resync after a push) share one full
        # checkout: past a few directories, making it costs less than a git call per app.
        uses = self._subtree_uses.get((url, sha), 0) + 1
        if uses > subtree.PER_COMMIT_LIMIT:
            return None
        if len(self._subtree_uses) >= 10_000:
            self._subtree_uses.clear()
        self._subtree_uses[(url, sha)] = uses

        async def make() -> Path | None:
            if dest.is_dir():
                return dest
            mirror = await self._mirror(url)
            if await self._rev_parse(mirror, sha) is None:
                await self.fetch(url)
            try:
                listing = await self._git(
                    "", ["--git-dir", str(mirror), "ls-tree", "-r", "-z", f"{sha}:{rel}"]
                )
            except GitError:
                return None  # no such directory: the full checkout says so properly
            if not subtree.plain_listing(listing):
                if len(self._not_plain) >= 100_000:
                    self._not_plain.clear()
                self._not_plain.add((url, f"{sha}:{rel}"))
                return None
            dest.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(dir=dest.parent, prefix=".tmp-"))
            index = staging.with_suffix(".index")
            try:
                await self._git(
                    "",
                    ["--git-dir", str(mirror), "--work-tree", str(staging),
                     "-c", f"core.hooksPath={os.devnull}",
                     "read-tree", "-u", f"--prefix={rel}/", f"{sha}:{rel}"],
                    cwd=staging,
                    extra_env={"GIT_INDEX_FILE": str(index)},
                )  # fmt: skip
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
            finally:
                index.unlink(missing_ok=True)
            await asyncio.to_thread(staging.rename, dest)
            self._remember_checkout(url, f"{sha}:{rel}", dest)
            return dest

        return await self._flights.do(f"subtree {dest}", make)

    def _remember_checkout(self, url: str, sha: str, dest: Path) -> None:
        if len(self._checkouts) >= 100_000:
            self._checkouts.clear()
        self._checkouts[(url, sha)] = dest

    def _lfs_enabled(self, url: str) -> bool:
        cred = self.credentials.lookup(url) if url else None
        return bool(cred is not None and cred.enable_lfs)

    async def _smudge_lfs(self, url: str, mirror: Path, sha: str, tree: Path, index: Path) -> None:
        """Replace the LFS pointer files of ``tree`` with their content (``enableLfs``).

        The objects are fetched into the mirror's LFS store (``git lfs fetch``, with the
        repository's credentials; it checks each object's digest) and copied over the
        pointers ``git lfs ls-files`` lists for the commit; the mirror's refs are untouched.
        """
        if shutil.which("git-lfs") is None:
            raise GitError(
                f"{redact_url(url)} has enableLfs but git-lfs is not installed on the repo server"
            )
        if url.startswith("-"):  # git lfs fetch takes the remote positionally, without "--"
            raise GitError(f"refusing repository URL {redact_url(url)!r}")
        await self._git(url, ["--git-dir", str(mirror), "lfs", "fetch", url, sha], cwd=mirror)
        listing = await self._git(
            url, ["--git-dir", str(mirror), "lfs", "ls-files", "--json", sha], cwd=mirror
        )
        store = mirror / "lfs" / "objects"
        await asyncio.to_thread(place_lfs_objects, orjson.loads(listing), store, tree)

    async def _materialize(
        self, url: str, mirror: Path, sha: str, dest: Path, *, lfs: bool = False
    ) -> None:
        dest.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=dest.parent, prefix=".tmp-"))
        index = staging.with_suffix(".index")
        try:
            # A private index and work tree per commit: the mirror itself is never modified.
            await self._git(
                "",
                ["--git-dir", str(mirror), "--work-tree", str(staging),
                 "-c", f"core.hooksPath={os.devnull}", "-c", "core.symlinks=true",
                 "read-tree", "-u", "--reset", sha],
                cwd=staging,
                extra_env={"GIT_INDEX_FILE": str(index)},
            )  # fmt: skip
            if lfs:
                await self._smudge_lfs(url, mirror, sha, staging, index)
            if self.submodules:
                await self._submodules(url, mirror, sha, staging)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        finally:
            index.unlink(missing_ok=True)
        await asyncio.to_thread(staging.rename, dest)

    async def _submodules(self, url: str, mirror: Path, sha: str, tree: Path) -> None:
        """Fill each submodule path with its pinned commit, fetched through its own mirror."""
        listing = await self._git("", ["--git-dir", str(mirror), "ls-tree", "-r", "-z", sha])
        links = {
            path: meta.split()[2]
            for meta, _, path in (e.partition("\t") for e in listing.split("\0") if e)
            if meta.startswith("160000 ")
        }
        if not links:
            return
        try:
            config = await self._git(
                "",
                ["--git-dir", str(mirror), "config", "--blob", f"{sha}:.gitmodules",
                 "--get-regexp", r"^submodule\..*\.(path|url)$"],
            )  # fmt: skip
        except GitError:
            raise GitError(f"{redact_url(url)} has submodules but no usable .gitmodules") from None
        urls = revisions.submodule_urls(config)
        for path, commit in links.items():
            sub_url = urls.get(path)
            if sub_url is None:
                raise GitError(f"submodule {path!r} of {redact_url(url)} has no URL in .gitmodules")
            try:
                sub_url = revisions.submodule_url(url, sub_url)
            except ValueError as exc:
                raise GitError(f"submodule {path!r} of {redact_url(url)}: {exc}") from None
            sub_tree = await self.checkout(sub_url, commit)
            target = tree / path
            await asyncio.to_thread(
                shutil.copytree, sub_tree, target, symlinks=True, dirs_exist_ok=True
            )
