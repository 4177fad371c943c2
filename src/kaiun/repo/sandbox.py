"""Keeping every file a render reads inside the repository root.

Argo CD's advisories (CVE-2022-24348, -24904, -31036 and kin) were all a path or a symlink
that led out of the checkout. Every user-supplied path goes through ``resolve_inside``;
every directory a tool will read goes through ``refuse_escaping_symlinks`` first.
"""

from __future__ import annotations

import os
from pathlib import Path

from kaiun.repo.errors import PathEscapeError

__all__ = ["refuse_escaping_symlinks", "resolve_inside"]


def _inside(root: Path, candidate: Path) -> bool:
    return candidate == root or root in candidate.parents


def resolve_inside(root: Path, base: Path, relative: str, *, what: str) -> Path:
    """``relative`` joined to ``base`` with symlinks resolved; refused unless inside ``root``.

    Absolute paths are taken relative to ``root``, as Argo CD does for value files.
    The error names the user's path, never the resolved target (that could leak layout).
    """
    root = root.resolve()
    start = root if relative.startswith("/") else base
    joined = Path(os.path.normpath(start / relative.lstrip("/")))
    if not _inside(root, joined):
        raise PathEscapeError(f"{what} {relative!r} is outside the repository")
    resolved = joined.resolve()
    if not _inside(root, resolved):
        raise PathEscapeError(
            f"{what} {relative!r} resolves through a symlink to outside the repository"
        )
    return resolved


def refuse_escaping_symlinks(root: Path, directory: Path) -> None:
    """Raise if any symlink under ``directory`` points outside ``root`` (or dangles outside it)."""
    root = root.resolve()
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in (*dirnames, *filenames):
            path = Path(dirpath) / name
            if not path.is_symlink():
                continue
            target = Path(os.path.normpath(Path(dirpath) / os.readlink(path)))
            if not _inside(root, target) or not _inside(root, path.resolve()):
                rel = path.relative_to(root)
                raise PathEscapeError(
                    f"symlink {str(rel)!r} points outside the repository; out-of-bounds "
                    "symlinks are refused (reposerver.allow.oob.symlinks)"
                )
