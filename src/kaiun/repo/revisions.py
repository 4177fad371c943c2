"""Choosing a commit for a ``targetRevision`` from a repository's refs (Argo CD's rules).

Order: a full commit SHA as given; ``HEAD``; an exact branch, tag or full ref name; then,
if the revision parses as a semver constraint, the highest matching tag (after stripping
``tagPrefix``). Short SHAs are left to the caller, which can look into the mirror.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

import nodesemver

__all__ = [
    "is_full_sha",
    "is_short_sha",
    "match_ref",
    "match_semver",
    "parse_ls_remote",
    "submodule_url",
    "submodule_urls",
]

_FULL_SHA = re.compile(r"^[0-9a-fA-F]{40}$")
_SHORT_SHA = re.compile(r"^[0-9a-fA-F]{4,39}$")


def is_full_sha(revision: str) -> bool:
    """True for a 40-hex-digit commit id."""
    return bool(_FULL_SHA.match(revision))


def is_short_sha(revision: str) -> bool:
    """True for an abbreviated commit id (4 to 39 hex digits)."""
    return bool(_SHORT_SHA.match(revision))


def parse_ls_remote(text: str) -> dict[str, str]:
    """Map ref name -> commit from ``git ls-remote`` output; annotated tags resolve to commits."""
    refs: dict[str, str] = {}
    peeled: dict[str, str] = {}
    for line in text.splitlines():
        sha, _, ref = line.partition("\t")
        if not ref:
            continue
        if ref.endswith("^{}"):
            peeled[ref[:-3]] = sha
        else:
            refs[ref] = sha
    refs.update(peeled)
    return refs


def match_ref(refs: Mapping[str, str], revision: str) -> str | None:
    """The commit ``revision`` names as HEAD, a branch, a tag or a full ref, else None."""
    if revision == "HEAD":
        return refs.get("HEAD")
    for candidate in (revision, f"refs/heads/{revision}", f"refs/tags/{revision}"):
        if candidate in refs:
            return refs[candidate]
    return None


def _constraint(revision: str) -> str | None:
    # Masterminds/semver (Argo CD's library) separates AND terms with commas.
    text = revision.replace(",", " ").strip()
    if not text or nodesemver.valid_range(text, loose=True) is None:
        return None
    return text


def match_semver(refs: Mapping[str, str], revision: str, tag_prefix: str = "") -> str | None:
    """The tag (full ref name) that is the highest version satisfying ``revision``, else None."""
    constraint = _constraint(revision)
    if constraint is None:
        return None
    versions: dict[str, str] = {}
    for ref in refs:
        if not ref.startswith("refs/tags/"):
            continue
        tag = ref.removeprefix("refs/tags/")
        if not tag.startswith(tag_prefix):
            continue
        version = nodesemver.valid(tag.removeprefix(tag_prefix), loose=True)
        if version is not None:
            # valid() returns SemVer objects; plain strings keep the lookup below exact.
            versions.setdefault(str(version), ref)
    best = nodesemver.max_satisfying(list(versions), constraint, loose=True)
    return versions[str(best)] if best is not None else None


def submodule_urls(config: str) -> dict[str, str]:
    """Submodule path -> URL from ``git config --get-regexp`` output over ``.gitmodules``."""
    paths: dict[str, str] = {}
    urls: dict[str, str] = {}
    for line in config.splitlines():
        key, _, value = line.partition(" ")
        name, _, attr = key.removeprefix("submodule.").rpartition(".")
        (paths if attr == "path" else urls)[name] = value
    return {path: urls[name] for name, path in paths.items() if name in urls}


def submodule_url(parent: str, url: str) -> str:
    """The submodule's absolute URL; relative ones (``../x.git``) resolve against the parent.

    A submodule may not switch to a local transport its parent does not use (a remote
    repository must not make the server read local repositories, CVE-2022-39253 class).
    """
    if url.startswith(("./", "../")):
        parts = urlsplit(parent)
        path = posixpath.normpath(posixpath.join(parts.path.rstrip("/"), url))
        return urlunsplit(parts._replace(path=path))
    local = url.startswith(("file://", "/")) or ("://" not in url and ":" not in url)
    if local and not parent.startswith("file://"):
        raise ValueError(f"submodule URL {url!r} is local but the repository is not")
    return url
