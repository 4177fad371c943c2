"""What the ApplicationSet git generators ask the repo server for: directories and files.

``list_directories`` returns every directory of a commit (repo-relative, no hidden ones);
``read_files`` returns the contents of files whose repo-relative path matches a glob
(``**`` crosses directories). Both read a checkout, so symlinks out of the repository are
refused like everywhere else.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from kaiun.repo.errors import ManifestTooLargeError
from kaiun.repo.sandbox import resolve_inside

__all__ = ["list_directories", "match_path", "read_files"]


def match_path(pattern: str, path: str) -> bool:
    """Glob match where ``*`` stays inside a segment and ``**`` spans segments."""
    return _match(PurePosixPath(pattern).parts, PurePosixPath(path).parts)


def _match(pattern: tuple[str, ...], parts: tuple[str, ...]) -> bool:
    import fnmatch

    if not pattern:
        return not parts
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_match(rest, parts[i:]) for i in range(len(parts) + 1))
    return bool(parts) and fnmatch.fnmatchcase(parts[0], head) and _match(rest, parts[1:])


def list_directories(root: Path) -> list[str]:
    """Every non-hidden directory under ``root``, repo-relative, sorted."""
    found: list[str] = []
    for dirpath, dirnames, _ in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in dirnames:
            found.append(str((Path(dirpath) / name).relative_to(root)))
    return sorted(found)


def read_files(root: Path, pattern: str, *, max_bytes: int = 10 * 1024 * 1024) -> dict[str, bytes]:
    """Contents of the files matching ``pattern`` (repo-relative glob), capped in total."""
    out: dict[str, bytes] = {}
    total = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            rel = str((Path(dirpath) / name).relative_to(root))
            if not match_path(pattern, rel):
                continue
            path = resolve_inside(root, root, rel, what="file")
            total += path.stat().st_size
            if total > max_bytes:
                raise ManifestTooLargeError(f"files matching {pattern!r} exceed {max_bytes} bytes")
            out[rel] = path.read_bytes()
    return dict(sorted(out.items()))
