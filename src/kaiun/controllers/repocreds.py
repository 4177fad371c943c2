"""Live repository credentials for an in-process repo server, read from the control plane.

Argo CD's controller and repo server use, for every render, the ``repository`` and
``repo-creds`` Secrets (label ``argocd.argoproj.io/secret-type``) and the
``argocd-ssh-known-hosts-cm`` / ``argocd-tls-certs-cm`` ConfigMaps of the control-plane
namespace. This watches them and swaps what the ``RepoService`` uses, without a restart.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from kaiun.controllers.runtime import Informer
from kaiun.kube import KubeClient
from kaiun.repo import CredentialStore, RepoCredential, RepoError, credential_from_secret
from kaiun.repo.credentials import SECRET_TYPE_LABEL

__all__ = [
    "KNOWN_HOSTS_CM",
    "TLS_CERTS_CM",
    "CredentialsChange",
    "RepoCredentialsWatch",
    "build_store",
]

log = logging.getLogger(__name__)
KNOWN_HOSTS_CM = "argocd-ssh-known-hosts-cm"
KNOWN_HOSTS_KEY = "ssh_known_hosts"
TLS_CERTS_CM = "argocd-tls-certs-cm"
SECRET_SELECTOR = f"{SECRET_TYPE_LABEL} in (repository,repo-creds)"
SYNC_WAIT = 60.0


class CredentialTarget(Protocol):
    """What takes the credentials: ``RepoService.set_credentials``."""

    def set_credentials(
        self,
        credentials: CredentialStore,
        *,
        known_hosts: str | None = None,
        tls_certs: Mapping[str, str] | None = None,
    ) -> None: ...


class CredentialsChange:
    """What changed between two readings: tells whether a repository URL is affected."""

    def __init__(self, old: CredentialStore, new: CredentialStore, servers_changed: bool) -> None:
        self.old = old
        self.new = new
        # The known hosts or CA certificates changed: any repository may now behave otherwise.
        self.servers_changed = servers_changed

    def affects(self, repo_url: str) -> bool:
        """Whether ``repo_url`` would now be reached with other credentials or trust."""
        return self.servers_changed or self.old.lookup(repo_url) != self.new.lookup(repo_url)


def build_store(secrets: Mapping[str, Mapping[str, Any]]) -> CredentialStore:
    """A store from labelled Secrets by name; an unreadable one is logged (by name) and skipped."""
    repos: list[RepoCredential] = []
    templates: list[RepoCredential] = []
    for name, secret in sorted(secrets.items()):
        kind = ((secret.get("metadata") or {}).get("labels") or {}).get(SECRET_TYPE_LABEL)
        if kind not in ("repository", "repo-creds"):
            continue
        try:
            cred = credential_from_secret(secret)
        except RepoError as exc:
            # The message names the Secret and the key, never a value.
            log.warning("ignoring %s secret %s: %s", kind, name, exc)
            continue
        (repos if kind == "repository" else templates).append(cred)
    return CredentialStore(repos, templates)


class RepoCredentialsWatch:
    """Keeps a repo service's credentials, known hosts and CA certificates current."""

    def __init__(
        self,
        client: KubeClient,
        namespace: str,
        target: CredentialTarget,
        on_change: Callable[[CredentialsChange], None] | None = None,
    ) -> None:
        self.namespace = namespace
        self.target = target
        self.on_change = on_change
        self.store = CredentialStore()
        self._servers: tuple[str, tuple[tuple[str, str], ...]] = ("", ())
        self._started = False
        self._secrets = Informer(
            client, "v1", "Secret", namespace, self._changed, label_selector=SECRET_SELECTOR
        )
        self._config_maps = [
            Informer(
                client,
                "v1",
                "ConfigMap",
                namespace,
                self._changed,
                field_selector=f"metadata.name={name}",
            )
            for name in (KNOWN_HOSTS_CM, TLS_CERTS_CM)
        ]

    async def start(self) -> None:
        """Start watching; return once the first lists were applied to the target."""
        informers = [self._secrets, *self._config_maps]
        for informer in informers:
            await informer.start()
        await asyncio.gather(*(i.wait_synced(SYNC_WAIT) for i in informers))
        self._started = True
        self._apply()

    async def stop(self) -> None:
        """Stop watching (the target keeps the last credentials)."""
        for informer in (self._secrets, *self._config_maps):
            await informer.stop()

    def _changed(self, name: str, obj: dict[str, Any] | None) -> None:
        # Until every first list is in, a partial reading would flap the credentials.
        if self._started:
            self._apply()

    def _config_map(self, name: str) -> dict[str, str]:
        for informer in self._config_maps:
            obj = informer.get(name)
            if obj is not None:
                return {str(k): str(v) for k, v in (obj.get("data") or {}).items()}
        return {}

    def _apply(self) -> None:
        store = build_store(self._secrets.store)
        known_hosts = self._config_map(KNOWN_HOSTS_CM).get(KNOWN_HOSTS_KEY, "")
        certs = self._config_map(TLS_CERTS_CM)
        servers = (known_hosts, tuple(sorted(certs.items())))
        change = CredentialsChange(self.store, store, servers != self._servers)
        self.store, self._servers = store, servers
        self.target.set_credentials(store, known_hosts=known_hosts, tls_certs=certs)
        log.info(
            "repository credentials loaded secrets=%d known_hosts=%d tls_hosts=%d",
            len(self._secrets.store), len(known_hosts.splitlines()), len(certs),
        )  # fmt: skip
        if self.on_change is not None:
            try:
                self.on_change(change)
            except Exception:
                log.exception("repository credentials change handler failed")
