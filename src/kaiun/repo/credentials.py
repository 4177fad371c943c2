"""Repository credentials from Argo CD ``repository`` and ``repo-creds`` Secrets.

A ``repository`` Secret matches one repository URL exactly (after normalization); a
``repo-creds`` Secret is a template matching every repository whose URL starts with its
``url``, the longest prefix winning. Secret values are never part of ``repr`` or errors.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from kaiun.repo.errors import SourceError
from kaiun.repo.urls import normalize_repo_url

__all__ = [
    "SECRET_TYPE_LABEL",
    "CredentialStore",
    "RepoCredential",
    "credential_from_secret",
]

SECRET_TYPE_LABEL = "argocd.argoproj.io/secret-type"


@dataclass(frozen=True)
class RepoCredential:
    """What is needed to reach one repository; secret fields are hidden from ``repr``."""

    url: str
    type: str = "git"
    name: str = ""
    project: str = ""
    username: str = ""
    password: str = field(default="", repr=False)
    bearer_token: str = field(default="", repr=False)
    ssh_private_key: str = field(default="", repr=False)
    insecure: bool = False
    tls_client_cert_data: str = field(default="", repr=False)
    tls_client_cert_key: str = field(default="", repr=False)
    proxy: str = ""
    no_proxy: str = ""
    force_http_basic_auth: bool = False
    enable_lfs: bool = False
    enable_oci: bool = False
    insecure_oci_force_http: bool = False
    github_app_id: str = ""
    github_app_installation_id: str = ""
    github_app_private_key: str = field(default="", repr=False)
    github_app_enterprise_base_url: str = ""

    def proxy_for(self, url: str) -> str | None:
        """The proxy to reach ``url`` through, honouring ``noProxy`` (host suffixes, ``*``)."""
        if not self.proxy:
            return None
        host = (urlsplit(url if "://" in url else f"x://{url}").hostname or "").lower()
        for entry in (e.strip().lower() for e in self.no_proxy.split(",") if e.strip()):
            if entry == "*" or host == entry.lstrip(".") or host.endswith("." + entry.lstrip(".")):
                return None
        return self.proxy

    def secret_values(self) -> tuple[str, ...]:
        """Every secret string held, so callers can scrub them from tool output."""
        return tuple(
            v
            for v in (
                self.password,
                self.bearer_token,
                self.ssh_private_key,
                self.tls_client_cert_key,
                self.github_app_private_key,
            )
            if v
        )


_FIELDS = {
    "url": "url",
    "type": "type",
    "name": "name",
    "project": "project",
    "username": "username",
    "password": "password",
    "bearerToken": "bearer_token",
    "sshPrivateKey": "ssh_private_key",
    "tlsClientCertData": "tls_client_cert_data",
    "tlsClientCertKey": "tls_client_cert_key",
    "proxy": "proxy",
    "noProxy": "no_proxy",
    "githubAppID": "github_app_id",
    "githubAppInstallationID": "github_app_installation_id",
    "githubAppPrivateKey": "github_app_private_key",
    "githubAppEnterpriseBaseUrl": "github_app_enterprise_base_url",
}
_FLAGS = {
    "insecure": "insecure",
    "forceHttpBasicAuth": "force_http_basic_auth",
    "enableLfs": "enable_lfs",
    "enableOCI": "enable_oci",
    "insecureOCIForceHttp": "insecure_oci_force_http",
}


def _secret_data(secret: Mapping[str, Any]) -> dict[str, str]:
    name = secret.get("metadata", {}).get("name", "<unnamed>")
    data: dict[str, str] = {}
    for key, raw in (secret.get("data") or {}).items():
        try:
            data[key] = base64.b64decode(raw, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            # Name the key, never the value: the value is secret material.
            raise SourceError(f"secret {name}: data key {key!r} is not valid base64") from None
    data.update({k: str(v) for k, v in (secret.get("stringData") or {}).items()})
    return data


def credential_from_secret(secret: Mapping[str, Any]) -> RepoCredential:
    """Read one Argo CD repository or repo-creds Secret (``data`` base64, or ``stringData``)."""
    data = _secret_data(secret)
    if not data.get("url"):
        name = secret.get("metadata", {}).get("name", "<unnamed>")
        raise SourceError(f"secret {name}: has no 'url' key")
    kwargs: dict[str, Any] = {attr: data[key] for key, attr in _FIELDS.items() if key in data}
    kwargs.update({attr: data[key] == "true" for key, attr in _FLAGS.items() if key in data})
    return RepoCredential(**kwargs)


class CredentialStore:
    """Finds the credential for a repository URL: exact repository first, then longest template."""

    def __init__(
        self,
        repositories: Iterable[RepoCredential] = (),
        templates: Iterable[RepoCredential] = (),
    ) -> None:
        self._repos = {normalize_repo_url(c.url): c for c in repositories}
        self._templates = sorted(
            templates, key=lambda c: len(normalize_repo_url(c.url)), reverse=True
        )

    @classmethod
    def from_secrets(cls, secrets: Iterable[Mapping[str, Any]]) -> CredentialStore:
        """Build from Secrets labelled ``argocd.argoproj.io/secret-type``; others are ignored."""
        repos: list[RepoCredential] = []
        templates: list[RepoCredential] = []
        for secret in secrets:
            kind = (secret.get("metadata", {}).get("labels") or {}).get(SECRET_TYPE_LABEL)
            if kind == "repository":
                repos.append(credential_from_secret(secret))
            elif kind == "repo-creds":
                templates.append(credential_from_secret(secret))
        return cls(repos, templates)

    def lookup(self, repo_url: str) -> RepoCredential | None:
        """The credential for ``repo_url``, or None for anonymous access.

        A repository Secret without any secret field inherits the matching template's
        (Argo CD fills missing credentials from repo-creds the same way).
        """
        key = normalize_repo_url(repo_url)
        template = next(
            (t for t in self._templates if key.startswith(normalize_repo_url(t.url))), None
        )
        repo = self._repos.get(key)
        if repo is None:
            return replace(template, url=repo_url) if template else None
        if template is not None and not repo.secret_values() and not repo.username:
            return replace(template, url=repo.url, type=repo.type, name=repo.name)
        return repo
