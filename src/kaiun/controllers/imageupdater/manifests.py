"""Docker / OCI manifest documents and auth challenges as data (pure).

Media types, reading an image index (manifest list) into platform entries, a config blob into
creation time and platform, ``WWW-Authenticate`` challenges, and ``Link`` pagination headers.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
ACCEPT = ", ".join((OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST))
INDEX_TYPES = frozenset({DOCKER_LIST, OCI_INDEX})
IMAGE_TYPES = frozenset({DOCKER_MANIFEST, OCI_MANIFEST})

_PARAM = re.compile(r'(\w+)\s*=\s*(?:"([^"]*)"|([^\s,]+))')
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')
_FRACTION = re.compile(r"\.(\d+)")


@dataclass(frozen=True)
class Challenge:
    """A ``WWW-Authenticate`` challenge: ``scheme`` is ``bearer`` or ``basic`` (lower case)."""

    scheme: str
    realm: str = ""
    service: str = ""
    scope: str = ""


def parse_challenge(header: str) -> Challenge | None:
    """Parse the first challenge of a ``WWW-Authenticate`` header (None when absent)."""
    header = header.strip()
    if not header:
        return None
    scheme, _, rest = header.partition(" ")
    params = {m.group(1).lower(): m.group(2) or m.group(3) or "" for m in _PARAM.finditer(rest)}
    return Challenge(
        scheme.lower(), params.get("realm", ""), params.get("service", ""), params.get("scope", "")
    )


def next_link(header: str) -> str:
    """The ``rel="next"`` target of a ``Link`` header, or ``""``."""
    m = _NEXT.search(header or "")
    return m.group(1) if m else ""


@dataclass(frozen=True)
class IndexEntry:
    """One platform manifest listed in an image index."""

    digest: str
    os: str
    arch: str
    variant: str = ""


def media_type(doc: Mapping[str, Any], header: str) -> str:
    """The document's media type, from its body or else the ``Content-Type`` header."""
    found = doc.get("mediaType")
    if isinstance(found, str) and found:
        return found
    if "manifests" in doc:
        return OCI_INDEX
    return header.split(";", 1)[0].strip()


def index_entries(doc: Mapping[str, Any]) -> tuple[IndexEntry, ...]:
    """The platform images of an index; attestation entries (``unknown/unknown``) are left out."""
    entries = []
    for item in doc.get("manifests") or []:
        platform = item.get("platform") or {}
        os_, arch = str(platform.get("os", "")), str(platform.get("architecture", ""))
        if not os_ or not arch or (os_, arch) == ("unknown", "unknown"):
            continue
        entries.append(
            IndexEntry(str(item.get("digest", "")), os_, arch, platform.get("variant", ""))
        )
    return tuple(entries)


def config_digest(doc: Mapping[str, Any]) -> str:
    """The config blob digest of an image manifest (``""`` when missing)."""
    config = doc.get("config") or {}
    return str(config.get("digest", ""))


def parse_created(text: Any) -> dt.datetime | None:
    """An RFC 3339 timestamp (nanoseconds allowed) as an aware datetime; None if unreadable."""
    if not isinstance(text, str) or not text:
        return None
    value = text.strip().replace("Z", "+00:00")
    # Python reads at most microseconds: cut longer fractions.
    value = _FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), value, count=1)
    try:
        created = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return created if created.tzinfo else created.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class ImageConfig:
    """What the config blob says: platform and creation time."""

    os: str
    arch: str
    variant: str
    created: dt.datetime | None


def parse_config(doc: Mapping[str, Any]) -> ImageConfig:
    """Read an image config blob."""
    return ImageConfig(
        str(doc.get("os", "")),
        str(doc.get("architecture", "")),
        str(doc.get("variant", "")),
        parse_created(doc.get("created")),
    )
