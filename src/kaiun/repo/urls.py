"""Repository URLs: Argo CD's normalization (one mirror per normalized URL) and redaction."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit, urlunsplit

__all__ = ["is_ssh_url", "mirror_key", "normalize_repo_url", "redact_url", "url_secrets"]

# scp-like syntax, ``git@github.com:org/repo.git``: user@host:path without a scheme.
_SCP_LIKE = re.compile(r"^(?P<user>[^@/\s]+)@(?P<host>[^:/\s]+):(?P<path>[^/].*)$")


def is_ssh_url(url: str) -> bool:
    """True for ``ssh://`` URLs and scp-like ``user@host:path`` addresses."""
    return url.startswith("ssh://") or bool(_SCP_LIKE.match(url))


def normalize_repo_url(url: str) -> str:
    """Normalize as Argo CD does: scp-like to ``ssh://``, no ``.git`` or trailing ``/``, lowercase.

    Two spellings of one repository share one mirror, one revision cache and one credential.
    """
    url = url.strip()
    match = _SCP_LIKE.match(url)
    if match:
        url = f"ssh://{match['user']}@{match['host']}/{match['path']}"
    url = url.rstrip("/")
    url = url.removesuffix(".git")
    return url.lower()


def redact_url(url: str) -> str:
    """Drop any password embedded in a URL so it can appear in logs and errors."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable url>"
    if parts.password is None:
        return url
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{hostport}"))


def url_secrets(url: str) -> tuple[str, ...]:
    """A password embedded in ``url`` (``https://user:pw@host``), to scrub from tool output."""
    try:
        password = urlsplit(url).password
    except ValueError:
        return ()
    return (password,) if password else ()


def mirror_key(url: str, salt: bytes = b"") -> str:
    """A file-name-safe key for the mirror and checkouts of ``url``.

    With a secret ``salt`` the key cannot be derived from the URL, so one repository's
    manifests cannot name another repository's checkout by a relative path.
    """
    return hashlib.sha256(salt + normalize_repo_url(url).encode()).hexdigest()[:24]
