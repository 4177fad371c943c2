"""Helm chart version tracking: keep a chart source's ``targetRevision`` current (pure).

Image Updater only updates images (its open issue #455 asks for charts). kaiun reads
``kaiun.io/image-updater-chart-version: <constraint>`` on an Application whose (one) Helm
chart source comes from a chart repository, picks a version from the repository's index
with the same strategies and filters as images (``semver`` or ``alphabetical``;
``kaiun.io/image-updater-chart-strategy``, ``-allow-tags``, ``-ignore-tags``) and writes it to
``targetRevision`` on the Application. The pin key is ``chart``.

A chart in an OCI registry (``repoURL`` ``oci://host/path``, or without a scheme as Argo CD
writes Helm OCI repositories) has its versions in the tags of ``host/path/<chart>``; Helm
stores a version's ``+`` as ``_`` there (OCI tags cannot hold ``+``), so tags are read back
with ``_`` → ``+`` as Helm does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kaiun.controllers.imageupdater import resolve, strategies, tagfilter
from kaiun.controllers.imageupdater.argocdwriteback import Change
from kaiun.controllers.imageupdater.errors import ConfigError, ImageUpdaterError
from kaiun.controllers.imageupdater.model import ImageSpec, Strategy, UpdateSettings
from kaiun.controllers.imageupdater.updateplan import Action, Decision

PREFIX = "kaiun.io/image-updater-chart-"
VERSION = PREFIX + "version"
PULL_SECRET = PREFIX + "pull-secret"
PIN_KEY = "chart"


@dataclass(frozen=True)
class ChartSource:
    """The chart source the annotations apply to and where it sits in the spec."""

    index: int | None
    repo_url: str
    chart: str
    current: str
    oci: bool = False

    @property
    def oci_repository(self) -> tuple[str, str]:
        """``(registry host, repository)`` holding an OCI chart's versions as tags."""
        base = self.repo_url.removeprefix("oci://").strip("/")
        host, _, path = base.partition("/")
        return host, f"{path}/{self.chart}".strip("/")


def chart_source(app: Mapping[str, Any]) -> ChartSource:
    """The Application's one chart-repository source."""
    spec = app.get("spec") or {}
    if spec.get("sources"):
        found = [(i, s) for i, s in enumerate(spec["sources"]) if s.get("chart")]
        if len(found) != 1:
            raise ConfigError(
                f"chart version tracking needs exactly one chart source; found {len(found)}"
            )
        index, source = found[0]
    else:
        index, source = None, spec.get("source") or {}
        if not source.get("chart"):
            raise ConfigError(
                "chart version tracking needs a Helm chart source (spec.source.chart)"
            )
    url = str(source.get("repoURL", ""))
    oci = url.startswith("oci://") or "://" not in url
    if not url.removeprefix("oci://").strip("/"):
        raise ConfigError("chart version tracking needs the chart source's repoURL")
    if not oci and not url.startswith(("http://", "https://")):
        raise ConfigError(f"chart version tracking cannot read chart repository {url!r}: use "
                          "an http(s):// chart repository or an OCI registry")  # fmt: skip
    current = str(source.get("targetRevision", ""))
    return ChartSource(index, url, str(source["chart"]), current, oci)


def oci_versions(tags: Iterable[str]) -> list[str]:
    """Chart versions from an OCI repository's tags (Helm writes ``+`` as ``_``)."""
    return [t.replace("_", "+") for t in tags]


def chart_spec(annotations: Mapping[str, str], chart: str) -> ImageSpec | None:
    """The chart's tracking settings as an :class:`ImageSpec` (the strategies' input), or
    None when the Application does not track its chart."""
    constraint = annotations.get(VERSION)
    if constraint is None:
        return None
    ignore = annotations.get(PREFIX + "ignore-tags")
    settings = UpdateSettings(
        update_strategy=annotations.get(PREFIX + "strategy") or "semver",
        allow_tags=annotations.get(PREFIX + "allow-tags"),
        ignore_tags=None if ignore is None else tagfilter.split_list(ignore),
    )
    spec = resolve.image(PIN_KEY, f"{chart}:{constraint.strip()}" if constraint.strip() else chart,
                         settings)  # fmt: skip
    if spec.strategy not in (Strategy.SEMVER, Strategy.ALPHABETICAL):
        raise ConfigError(
            f"{PREFIX}strategy {spec.strategy.value!r} is not available for charts: use semver "
            "or alphabetical"
        )
    return spec


def index_versions(index: Mapping[str, Any], chart: str) -> list[str]:
    """Every version of ``chart`` in a repository ``index.yaml``."""
    entries = (index.get("entries") or {}).get(chart) or []
    return [str(e["version"]) for e in entries if isinstance(e, Mapping) and e.get("version")]


def decide_chart(spec: ImageSpec, source: ChartSource, versions: Iterable[str]) -> Decision:
    """Whether ``targetRevision`` moves, from the versions the index (or registry) lists."""
    return _decide_chart(spec, source, list(versions))


def _decide_chart(spec: ImageSpec, source: ChartSource, versions: list[str]) -> Decision:
    where = f"chart {source.chart} from {source.repo_url}"
    try:
        found = strategies.candidates(spec, versions)
    except ImageUpdaterError as exc:
        return Decision(spec, Action.ERROR, f"config: {exc}")
    counts: dict[str, Any] = {"tags_found": len(versions), "candidates": len(found.tags)}
    choice = strategies.choose(spec, found)
    current = spec.image.with_tag(source.current) if source.current else None
    if choice.tag is None:
        return Decision(spec, Action.SKIPPED, f"no update for {where}: {choice.reason}", current,
                        **counts)  # fmt: skip
    if choice.tag == source.current:
        return Decision(spec, Action.UP_TO_DATE, f"{where} already at {source.current}", current,
                        **counts)  # fmt: skip
    change = Change(spec, choice.tag)
    was = source.current or "no targetRevision"
    return Decision(spec, Action.UPDATE, f"{where}: {was} → {choice.tag} ({choice.reason})",
                    current, change, **counts)  # fmt: skip


def chart_patch(app: Mapping[str, Any], source: ChartSource, version: str) -> dict[str, Any]:
    """A merge patch setting the chart source's ``targetRevision``."""
    spec = app.get("spec") or {}
    if source.index is None:
        return {"spec": {"source": {**(spec.get("source") or {}), "targetRevision": version}}}
    sources = [dict(s) for s in spec["sources"]]
    sources[source.index]["targetRevision"] = version
    return {"spec": {"sources": sources}}
