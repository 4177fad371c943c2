"""Multi-source Applications (``spec.sources``): one request per rendering source, combined.

Sources with ``ref`` are value sources for ``$ref/...`` value files; one that has only a
``ref`` (no ``path`` or ``chart``) renders nothing itself. When two sources produce the
same object (group, kind, namespace, name), the later source wins and a
``RepeatedResourceWarning`` is reported, as Argo CD does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from kaiun.repo.contract import ApplicationSource, ManifestRequest, ManifestResponse
from kaiun.repo.errors import SourceError

__all__ = [
    "CombinedManifests",
    "ManifestGenerator",
    "combine",
    "generate_sources",
    "requests_for_sources",
]


class ManifestGenerator(Protocol):
    """``RepoService`` in-process or ``RemoteRepoService`` over HTTP."""

    async def generate_manifest(self, request: ManifestRequest) -> ManifestResponse:
        """Render one source."""
        ...


@dataclass(frozen=True)
class CombinedManifests:
    """The objects of all sources, each source's response, and warnings."""

    manifests: list[dict[str, Any]]
    responses: list[ManifestResponse]
    warnings: list[str]

    @property
    def revisions(self) -> list[str]:
        """One resolved revision per rendering source, in order."""
        return [r.revision for r in self.responses]


def requests_for_sources(
    sources: Sequence[Mapping[str, Any]], template: ManifestRequest
) -> list[ManifestRequest]:
    """One request per source that renders; ``template`` carries app name, settings, etc."""
    parsed = [ApplicationSource.from_dict(s) for s in sources]
    refs: dict[str, ApplicationSource] = {}
    for src in parsed:
        if src.ref:
            if src.chart:
                raise SourceError(f"source with ref {src.ref!r} cannot also set chart")
            refs[src.ref] = src
    return [
        replace(template, source=src, ref_sources=refs)
        for src in parsed
        if not (src.ref and not src.path and not src.chart)
    ]


def _identity(obj: Mapping[str, Any]) -> tuple[str, str, str, str]:
    group = str(obj.get("apiVersion", "")).rpartition("/")[0]
    meta = obj.get("metadata") or {}
    return (
        group,
        str(obj.get("kind", "")),
        str(meta.get("namespace", "")),
        str(meta.get("name", "")),
    )


def combine(responses: Sequence[ManifestResponse]) -> CombinedManifests:
    """Concatenate the sources' objects; a repeated object keeps the last source's version."""
    position: dict[tuple[str, str, str, str], int] = {}
    manifests: list[dict[str, Any]] = []
    warnings: list[str] = []
    for response in responses:
        for obj in response.manifests:
            key = _identity(obj)
            if key in position:
                group, kind, namespace, name = key
                where = f"{namespace}/{name}" if namespace else name
                warnings.append(
                    f"RepeatedResourceWarning: {kind}.{group or 'core'} {where} appears in more "
                    "than one source; the last one is used"
                )
                manifests[position[key]] = obj
            else:
                position[key] = len(manifests)
                manifests.append(obj)
    return CombinedManifests(manifests, list(responses), warnings)


async def generate_sources(
    service: ManifestGenerator, sources: Sequence[Mapping[str, Any]], template: ManifestRequest
) -> CombinedManifests:
    """Render every source of a multi-source Application with ``service`` and combine them."""
    requests = requests_for_sources(sources, template)
    responses = await asyncio.gather(*(service.generate_manifest(r) for r in requests))
    return combine(responses)
