"""``--local DIR`` of ``app diff`` and ``app manifests``: render the app from a local
directory instead of its repository.

The directory's repository root (``--local-repo-root``) is copied into a throwaway git
repository and committed, so the repo service renders it exactly as it renders Git — same
tools, same detection, same path rules — through a ``file://`` source.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kaiun.cli.app.core import AppError

_GIT_ENV = {
    "GIT_AUTHOR_NAME": "kaiun",
    "GIT_AUTHOR_EMAIL": "kaiun@localhost",
    "GIT_COMMITTER_NAME": "kaiun",
    "GIT_COMMITTER_EMAIL": "kaiun@localhost",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


def _git(cwd: Path, *args: str) -> None:
    try:
        subprocess.run(
            ["git", *args],
            cwd=cwd,
            env={**os.environ, **_GIT_ENV},
            check=True,
            capture_output=True,
            text=True,
        )
    except FileNotFoundError as exc:
        raise AppError("--local needs the git command; install git") from exc
    except subprocess.CalledProcessError as exc:
        raise AppError(f"cannot snapshot the local directory: git {args[0]}: {exc.stderr}") from exc


@contextmanager
def local_source(local: str, repo_root: str) -> Iterator[dict[str, str]]:
    """Source fields (repoURL, path, targetRevision) rendering ``local`` from a snapshot of
    ``repo_root``; the snapshot is removed afterwards."""
    root = Path(repo_root).resolve()
    app_dir = Path(local).resolve()
    if not app_dir.is_dir():
        raise AppError(f"--local {local}: no such directory")
    if not app_dir.is_relative_to(root):
        raise AppError(
            f"--local {local} is outside --local-repo-root {repo_root}: give the root of the "
            "repository holding it"
        )
    with tempfile.TemporaryDirectory(prefix="kaiun-local-") as tmp:
        snapshot = Path(tmp) / "repo"
        shutil.copytree(root, snapshot, symlinks=True, ignore=shutil.ignore_patterns(".git"))
        _git(snapshot, "init", "-q", "-b", "main")
        _git(snapshot, "add", "-A")
        _git(snapshot, "commit", "-q", "--allow-empty", "-m", "local snapshot")
        yield {
            "repoURL": f"file://{snapshot}",
            "path": str(app_dir.relative_to(root)),
            "targetRevision": "main",
        }
