"""Git LFS content for a checkout: LFS objects copied over the pointer files of one commit.

``git lfs fetch`` (run by ``GitRepos`` with the repository's credentials) fills the mirror's
LFS store and checks each object's digest; this module only places the objects, refusing
any path that would leave the work tree.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from kaiun.repo.errors import GitError
from kaiun.repo.sandbox import resolve_inside

__all__ = ["place_lfs_objects"]

_OID = re.compile(r"^[0-9a-f]{64}$")


def place_lfs_objects(listing: dict[str, Any], store: Path, tree: Path) -> int:
    """Copy each object of ``git lfs ls-files --json`` output over its pointer in ``tree``;
    returns how many were placed. Only regular files are replaced, never through a link."""
    placed = 0
    for entry in listing.get("files") or ():
        name = str(entry.get("name", ""))
        oid = str(entry.get("oid", ""))
        if not _OID.match(oid):
            raise GitError(f"git lfs listed an invalid object id for {name!r}")
        target = resolve_inside(tree, tree, name, what="LFS file")
        if target != tree.resolve() / name or not target.is_file():
            continue  # reached through a symlink, or not a file of this tree: left as it is
        source = store / oid[:2] / oid[2:4] / oid
        if not source.is_file():
            raise GitError(f"the LFS object of {name!r} was not fetched")
        shutil.copyfile(source, target)
        placed += 1
    return placed
