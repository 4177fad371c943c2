"""``registries.conf`` from the ``argocd-image-updater-config`` ConfigMap (pure).

Each entry describes one registry endpoint::

    registries:
    - name: Google Container Registry Asia
      api_url: https://asia.gcr.io
      prefix: asia.gcr.io
      ping: no
      credentials: pullsecret:argocd/gcr-secret
      credsexpire: 5h
      insecure: no
      default: false
      defaultns: library
      limit: 20

An image is served by the entry whose ``prefix`` equals its registry host; an image without a
registry goes to the entry marked ``default`` or else to Docker Hub, whose one-component
repositories live under ``library/``. A registry nobody configured is reached at
``https://<host>`` without credentials.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from kaiun.controllers.imageupdater import imageref
from kaiun.controllers.imageupdater.errors import ConfigError
from kaiun.model import duration

_TRUE = {"true", "yes", "on", "1", "y"}
_FALSE = {"false", "no", "off", "0", "n", ""}


@dataclass(frozen=True)
class RegistryConfig:
    """One registry endpoint; ``limit`` is requests per second (0: unlimited)."""

    name: str
    prefix: str
    api_url: str
    ping: bool = True
    credentials: str = ""
    credsexpire: float = 0.0
    insecure: bool = False
    default: bool = False
    defaultns: str = ""
    limit: int = 0


DOCKER_HUB = RegistryConfig(
    name="Docker Hub",
    prefix=imageref.DOCKER_HUB,
    api_url=imageref.DOCKER_HUB_API,
    defaultns="library",
)


def parse_duration(text: str) -> float:
    """Seconds in a Go duration such as ``5h`` or ``1h30m`` (a bare number is seconds)."""
    text = str(text).strip()
    if not text:
        return 0.0
    try:
        return duration.parse_duration(text)
    except duration.DurationError:
        raise ConfigError(
            f"invalid duration {text!r}: use a Go duration such as 30m or 5h"
        ) from None


def _flag(value: Any, field: str, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigError(f"registries.conf entry {name!r}: {field} must be a boolean, got {value!r}")


def _entry(raw: Any, index: int) -> RegistryConfig:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"registries.conf entry #{index + 1} is not a mapping")
    name = str(raw.get("name") or f"#{index + 1}")
    api_url = str(raw.get("api_url") or "").rstrip("/")
    if not api_url.startswith(("https://", "http://")):
        raise ConfigError(
            f"registries.conf entry {name!r}: api_url must be an http(s) URL, got {api_url!r}"
        )
    prefix = str(raw.get("prefix") or api_url.split("://", 1)[1].split("/", 1)[0])
    try:
        limit = int(raw.get("limit") or 0)
    except (TypeError, ValueError):
        raise ConfigError(f"registries.conf entry {name!r}: limit must be an integer") from None
    if limit < 0:
        raise ConfigError(f"registries.conf entry {name!r}: limit must not be negative")
    return RegistryConfig(
        name=name,
        prefix=prefix,
        api_url=api_url,
        ping=_flag(raw.get("ping", True), "ping", name),
        credentials=str(raw.get("credentials") or ""),
        credsexpire=parse_duration(str(raw.get("credsexpire") or "0")),
        insecure=_flag(raw.get("insecure", False), "insecure", name),
        default=_flag(raw.get("default", False), "default", name),
        defaultns=str(raw.get("defaultns") or ""),
        limit=limit,
    )


@dataclass(frozen=True)
class Registries:
    """All configured endpoints, with lookup by an image's registry host."""

    entries: tuple[RegistryConfig, ...] = ()

    def for_registry(self, registry: str) -> RegistryConfig:
        """The endpoint serving images whose registry part is ``registry`` (``""``: default)."""
        if not registry:
            for entry in self.entries:
                if entry.default:
                    return entry
            registry = imageref.DOCKER_HUB
        for entry in self.entries:
            if entry.prefix == registry:
                return entry
        if imageref.is_docker_hub(registry):
            return DOCKER_HUB
        return RegistryConfig(name=registry, prefix=registry, api_url=f"https://{registry}")


def parse(text: str) -> Registries:
    """Parse the ``registries.conf`` document."""
    if not text.strip():
        return Registries()
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"registries.conf is not valid YAML: {exc}") from None
    if doc is None:
        return Registries()
    if not isinstance(doc, Mapping) or not isinstance(doc.get("registries", []), list):
        raise ConfigError("registries.conf must be a mapping with a 'registries' list")
    entries = tuple(_entry(raw, i) for i, raw in enumerate(doc.get("registries") or []))
    defaults = [e.name for e in entries if e.default]
    if len(defaults) > 1:
        raise ConfigError(f"registries.conf marks more than one registry default: {defaults}")
    prefixes = [e.prefix for e in entries]
    dupes = sorted({p for p in prefixes if prefixes.count(p) > 1})
    if dupes:
        raise ConfigError(f"registries.conf has more than one entry for prefix {dupes[0]!r}")
    return Registries(entries)


def from_configmap(data: Mapping[str, str] | None) -> Registries:
    """Registries from the ``argocd-image-updater-config`` ConfigMap's ``data``."""
    return parse((data or {}).get("registries.conf", ""))
