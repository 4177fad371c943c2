"""Reads the SSO provider argocd-cm configures, resolving its ``$`` secret references
through the cluster: ``$key`` from argocd-secret, ``$name:key`` from Secret ``name`` if it
is labelled ``app.kubernetes.io/part-of: argocd`` (as Argo CD requires)."""

from __future__ import annotations

from collections.abc import Mapping

import yaml

from kaiun.auth.store import decode_secret_data
from kaiun.kube import KubeClient
from kaiun.kube import errors as kerrors
from kaiun.settings.oidc import SSOConfig, parse_sso, secret_reference

__all__ = ["load_sso"]

_PART_OF = "app.kubernetes.io/part-of"


def _named_references(text: str) -> set[str]:
    """Names of the Secrets (other than argocd-secret) ``oidc.config`` refers to."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError:
        return set()
    if not isinstance(raw, dict):
        return set()
    names = set()
    for value in raw.values():
        ref = secret_reference(value) if isinstance(value, str) else None
        if ref is not None and ref[0]:
            names.add(ref[0])
    return names


async def load_sso(
    client: KubeClient,
    namespace: str,
    cm: Mapping[str, str],
    argocd_secret: Mapping[str, bytes],
    *,
    dex_server: str = "",
) -> SSOConfig | None:
    """The configured provider or None; raises OIDCSettingsError for a config that cannot
    be used (the message names the field, never a secret value)."""
    others: dict[str, dict[str, bytes]] = {}
    for name in _named_references(cm.get("oidc.config") or ""):
        try:
            secret = await client.get("v1", "Secret", name, namespace)
        except kerrors.NotFound:
            continue
        labels = (secret.get("metadata") or {}).get("labels") or {}
        if labels.get(_PART_OF) == "argocd":
            others[name] = decode_secret_data(secret)

    def lookup(name: str, key: str) -> str | None:
        data = others.get(name, {}) if name else argocd_secret
        value = data.get(key)
        return value.decode("utf-8", "replace").strip() if value is not None else None

    return parse_sso(
        cm,
        lookup,
        dex_server=dex_server,
        server_secret_key=argocd_secret.get("server.secretkey", b""),
    )
