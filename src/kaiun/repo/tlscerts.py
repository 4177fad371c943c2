"""Server CA certificates per host (Argo CD's ``argocd-tls-certs-cm``) for git, Helm and OCI.

The ConfigMap maps a host name (``git.example.com``, or ``host:port``) to PEM certificates;
a repository on that host is verified against them instead of the system trust store.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from urllib.parse import urlsplit

from kaiun.repo.credentials import RepoCredential

__all__ = ["TlsCerts"]


class TlsCerts:
    """Looks up the CA bundle for a repository URL and builds verification settings."""

    def __init__(self, certs: Mapping[str, str] | None = None) -> None:
        self._certs = {k.lower(): v for k, v in (certs or {}).items()}

    def for_url(self, url: str) -> str:
        """PEM certificates configured for ``url``'s host (with or without port), or ``""``."""
        netloc = urlsplit(url if "://" in url else f"oci://{url}").netloc.rpartition("@")[2]
        host = netloc.rsplit(":", 1)[0] if ":" in netloc else netloc
        return self._certs.get(netloc.lower()) or self._certs.get(host.lower(), "")

    def httpx_verify(self, url: str, cred: RepoCredential | None) -> ssl.SSLContext | bool:
        """``verify=`` for httpx: off when insecure, the host's CAs when set, else the system's."""
        if cred is not None and cred.insecure:
            return False
        pem = self.for_url(url)
        return ssl.create_default_context(cadata=pem) if pem else True
