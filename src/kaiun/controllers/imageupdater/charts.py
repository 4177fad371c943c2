"""Helm chart version tracking: keep a chart source's ``targetRevision`` current (pure).

Image Updater only updates images (its open issue #455 asks for charts). kaiun reads
``kaiun.io/image-updater-chart-version: <constraint>`` on an Application whose (one) Helm
chart source comes from a chart repository, picks a version from the repository's index
with the same strategies and filters as images (``semver`` or ``alphabetical``;
``kaiun.io/image-updater-chart-strategy``, ``-allow-tags``, ``-ignore-tags``) and writes it to
``targetRevision`` on the Application. The pin key is ``chart``.
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
PIN_KEY = "chart"


@dataclass(frozen=True)
class ChartSource:
    """The chart source the annotations apply to and where it sits in the spec."""

    index: int | None
    repo_url: str
    chart: str
    current: str


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
    if str(source.get("repoURL", "")).startswith("oci://") or "://" not in str(
        source.get("repoURL", "")
    ):
        raise ConfigError("chart version tracking reads HTTP(S) chart repositories only")
    return ChartSource(
        index, str(source["repoURL"]), str(source["chart"]), str(source.get("targetRevision", ""))
    )


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
    """Whether ``targetRevision`` moves, from the versions the index lists."""
    where = f"chart {source.chart} from {source.repo_url}"
    try:
        found = strategies.candidates(spec, versions)
    except ImageUpdaterError as exc:
        return Decision(spec, Action.ERROR, f"config: {exc}")
    choice = strategies.choose(spec, found)
    current = spec.image.with_tag(source.current) if source.current else None
    if choice.tag is None:
        return Decision(spec, Action.SKIPPED, f"no update for {where}: {choice.reason}", current)
    if choice.tag == source.current:
        return Decision(spec, Action.UP_TO_DATE, f"{where} already at {source.current}", current)
    change = Change(spec, choice.tag)
    was = source.current or "no targetRevision"
    return Decision(spec, Action.UPDATE, f"{where}: {was} → {choice.tag} ({choice.reason})",
                    current, change)  # fmt: skip


def chart_patch(app: Mapping[str, Any], source: ChartSource, version: str) -> dict[str, Any]:
    """A merge patch setting the chart source's ``targetRevision``."""
    spec = app.get("spec") or {}
    if source.index is None:
        return {"spec": {"source": {**(spec.get("source") or {}), "targetRevision": version}}}
    sources = [dict(s) for s in spec["sources"]]
    sources[source.index]["targetRevision"] = version
    return {"spec": {"sources": sources}}
