"""``argocd.argoproj.io/manifest-generate-paths``: does a commit touch an app's paths?

The annotation is a ``;``-separated list; each entry is relative to the app's source path
(``.`` is the app path itself) or, when it starts with ``/``, to the repository root, and
may be a glob. A changed file counts when it equals an entry, lies under it, or matches it.
"""

from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Iterable

__all__ = ["parse_generate_paths", "paths_changed"]


def parse_generate_paths(annotation: str) -> tuple[str, ...]:
    """The entries of the annotation value, empty ones dropped."""
    return tuple(p.strip() for p in annotation.split(";") if p.strip())


def _absolute(entry: str, app_path: str) -> str:
    if entry.startswith("/"):
        return posixpath.normpath(entry.lstrip("/") or ".")
    return posixpath.normpath(posixpath.join(app_path or ".", entry))


def paths_changed(entries: Iterable[str], app_path: str, changed: Iterable[str]) -> bool:
    """True when any changed file is covered by one of the annotation's entries."""
    targets = [_absolute(e, app_path) for e in entries]
    for file in changed:
        for target in targets:
            if target == "." or file == target or file.startswith(target + "/"):
                return True
            if fnmatch.fnmatchcase(file, target):
                return True
    return False
