"""Secret placeholders ``<path:some/path#key>`` replaced from a pluggable backend.

The argocd-vault-plugin syntax the seed's §4.2 and §6.3 use: ``<path:PATH#KEY>``, optionally
``#VERSION`` and a ``| base64encode`` / ``| base64decode`` modifier. Replacement happens on
the way out of the repo server, *after* the cache, so secret values are never cached; and
only for requests that opt in. Errors name the placeholder, never a value.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from kaiun.repo.errors import RenderError

__all__ = [
    "KubernetesSecretBackend",
    "SecretBackend",
    "SecretPlaceholderError",
    "replace_placeholders",
]

_PLACEHOLDER = re.compile(
    r"<path:(?P<path>[^#<>]+)#(?P<key>[^#<>|]+?)(?:#(?P<version>[^#<>|]+?))?"
    r"\s*(?:\|\s*(?P<modifier>base64encode|base64decode)\s*)?>"
)


class SecretPlaceholderError(RenderError):
    """A placeholder names a secret or key the backend does not have."""


class SecretBackend(Protocol):
    """Where placeholder values come from (Kubernetes Secrets, Vault, ...)."""

    async def get(self, path: str, key: str, version: str | None) -> str:
        """The secret value at ``path``/``key``; raise ``SecretPlaceholderError`` if absent."""
        ...


class KubernetesSecretBackend:
    """Values from Kubernetes Secret objects.

    ``path`` is ``namespace/name``, ``name`` (in ``default_namespace``), or a longer
    Vault-style path such as ``secret/data/grafana`` whose last segment is the Secret's
    name in ``default_namespace`` (Secret names cannot contain ``/``).
    """

    def __init__(self, secrets: Iterable[Mapping[str, Any]], default_namespace: str = "argocd"):
        self._values: dict[str, dict[str, str]] = {}
        for secret in secrets:
            meta = secret.get("metadata") or {}
            name = f"{meta.get('namespace') or default_namespace}/{meta.get('name')}"
            values = {}
            for key, raw in (secret.get("data") or {}).items():
                try:
                    values[key] = base64.b64decode(raw).decode()
                except (binascii.Error, UnicodeDecodeError):
                    continue  # binary data cannot be placed into a manifest string
            values.update({k: str(v) for k, v in (secret.get("stringData") or {}).items()})
            self._values[name] = values
        self.default_namespace = default_namespace

    async def get(self, path: str, key: str, version: str | None) -> str:
        """The decoded value of ``key`` in the Secret at ``path``."""
        parts = path.strip("/").split("/")
        if len(parts) == 2:
            name = "/".join(parts)
        else:
            name = f"{self.default_namespace}/{parts[-1]}"
        try:
            return self._values[name][key]
        except KeyError:
            raise SecretPlaceholderError(
                f"secret placeholder <path:{path}#{key}>: no such secret or key"
            ) from None


async def _replace_in(text: str, backend: SecretBackend) -> str:
    out: list[str] = []
    last = 0
    for match in _PLACEHOLDER.finditer(text):
        value = await backend.get(match["path"].strip(), match["key"].strip(), match["version"])
        if match["modifier"] == "base64encode":
            value = base64.b64encode(value.encode()).decode()
        elif match["modifier"] == "base64decode":
            try:
                value = base64.b64decode(value).decode()
            except (binascii.Error, UnicodeDecodeError):
                raise SecretPlaceholderError(
                    f"secret placeholder <path:{match['path']}#{match['key']}>: value is not "
                    "base64 text"
                ) from None
        out += [text[last : match.start()], value]
        last = match.end()
    out.append(text[last:])
    return "".join(out)


async def _walk(node: Any, backend: SecretBackend) -> Any:
    if isinstance(node, str):
        return await _replace_in(node, backend) if "<path:" in node else node
    if isinstance(node, dict):
        return {k: await _walk(v, backend) for k, v in node.items()}
    if isinstance(node, list):
        return [await _walk(v, backend) for v in node]
    return node


async def replace_placeholders(
    manifests: Iterable[dict[str, Any]], backend: SecretBackend
) -> list[dict[str, Any]]:
    """Copies of ``manifests`` with every placeholder in a string value replaced."""
    return [await _walk(m, backend) for m in manifests]
