"""Container image references as the image updater reads them (pure).

An image-list entry is ``[alias=]name[:constraint|@digest]``. The part after the last ``:``
that follows the last ``/`` is a version constraint (or, for the ``digest`` strategy, the tag to
follow), not necessarily a tag. The registry is the first path component when it looks like a
host (has a ``.`` or ``:``, or is ``localhost``); otherwise the image lives on the default
registry (Docker Hub unless registries.conf says otherwise), where one-component names get the
``library/`` namespace.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kaiun.controllers.imageupdater.errors import ConfigError

DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "https://registry-1.docker.io"
_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
_ALIAS = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_PATH_PART = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_DIGEST = re.compile(r"[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-fA-F]{32,}")


@dataclass(frozen=True)
class ImageRef:
    """A parsed image name: ``registry`` is ``""`` when none was written."""

    registry: str
    repository: str
    tag: str = ""
    digest: str = ""

    @property
    def name(self) -> str:
        """``registry/repository`` as written (no tag or digest)."""
        return f"{self.registry}/{self.repository}" if self.registry else self.repository

    def with_tag(self, tag: str, digest: str = "") -> ImageRef:
        """The same image at another tag (and optionally digest)."""
        return ImageRef(self.registry, self.repository, tag, digest)

    def __str__(self) -> str:
        text = self.name
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


def _looks_like_host(component: str) -> bool:
    return "." in component or ":" in component or component == "localhost"


def parse(text: str) -> ImageRef:
    """Parse ``[registry/]repository[:tag][@digest]``; the tag part is kept verbatim."""
    text = text.strip()
    if not text:
        raise ConfigError("empty image name")
    digest = ""
    if "@" in text:
        text, digest = text.split("@", 1)
        if not _DIGEST.fullmatch(digest):
            raise ConfigError(f"invalid digest {digest!r} in image reference")
    tag = ""
    slash = text.rfind("/")
    colon = text.rfind(":")
    if colon > slash:
        text, tag = text[:colon], text[colon + 1 :]
    parts = text.split("/")
    registry = ""
    if len(parts) > 1 and _looks_like_host(parts[0]):
        registry, parts = parts[0], parts[1:]
    repository = "/".join(parts)
    if not all(_PATH_PART.fullmatch(p) for p in parts):
        raise ConfigError(
            f"invalid image name {text!r}: path components are lower-case letters, digits "
            "and separators (. _ -)"
        )
    return ImageRef(registry, repository, tag, digest)


def split_alias(entry: str) -> tuple[str, str]:
    """Split an image-list entry into ``(alias, image)``; the alias is ``""`` when absent.

    An ``=`` only introduces an alias when what precedes it is a plain alias (so a constraint
    such as ``nginx:>=1.2`` is not mistaken for one).
    """
    entry = entry.strip()
    head, sep, rest = entry.partition("=")
    if sep and _ALIAS.fullmatch(head.strip()):
        return head.strip(), rest.strip()
    return "", entry


def is_docker_hub(registry: str) -> bool:
    """Whether ``registry`` names Docker Hub (or is empty, meaning the default)."""
    return registry in _HUB_ALIASES


def api_repository(repository: str, *, default_namespace: str) -> str:
    """The repository path the registry API uses: single names get ``default_namespace/``."""
    if "/" not in repository and default_namespace:
        return f"{default_namespace}/{repository}"
    return repository
