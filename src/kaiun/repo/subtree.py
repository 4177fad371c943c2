"""Checkouts of one directory of a commit, for apps made only of plain YAML/JSON files.

A full checkout costs a file write per file of the repository: in a monorepo of a
thousand apps, every new commit wrote some ten thousand files before its first render,
although a plain-manifest app reads only its own directory. When the listing of the app's
path shows nothing that can reach outside it (no Kustomize, Helm or Jsonnet files, no
symlinks, no submodules), only that directory is materialized; the render reads the same
files either way, so its output is the same. When many apps render one commit (a first
sync, a resync after a push), one full checkout serves them past ``PER_COMMIT_LIMIT``.
"""

from __future__ import annotations

import posixpath

__all__ = ["PER_COMMIT_LIMIT", "normalized_path", "plain_listing"]

# Directories materialized per commit before its full checkout is made instead.
PER_COMMIT_LIMIT = 16

# Jsonnet can import files from anywhere in the repository.
_JSONNET_SUFFIXES = (".jsonnet", ".libsonnet")
_REGULAR_FILE_MODES = ("100644", "100755")
# Names that make a directory something other than plain manifests.
_TOOL_FILES = ("kustomization.yaml", "kustomization.yml", "chart.yaml", "chart.yml")


def normalized_path(path: str) -> str | None:
    """``path`` as a repository-relative directory, or None (the root, or escaping it)."""
    if not path or path.startswith("/"):
        return None
    norm = posixpath.normpath(path)
    if norm in (".", "") or norm == ".." or norm.startswith("../"):
        return None
    return norm


def plain_listing(listing: str) -> bool:
    """Whether ``git ls-tree -r -z`` output lists only regular files that no tool reads
    beyond the directory renderer.

    A symlink, a submodule, a Kustomization, a chart or a Jsonnet file sends the render to
    the full checkout.
    """
    entries = [e for e in listing.split("\0") if e]
    if not entries:
        return False
    for entry in entries:
        meta, _, name = entry.partition("\t")
        mode, _, rest = meta.partition(" ")
        if mode not in _REGULAR_FILE_MODES or not rest.startswith("blob "):
            return False
        base = posixpath.basename(name).lower()
        if base.endswith(_JSONNET_SUFFIXES) or base in _TOOL_FILES or base == "kustomization":
            return False
    return True
