"""Tool detection and precedence, as Argo CD's ``docs/user-guide/tool_detection.md`` says.

An explicit block (``helm``, ``kustomize``, ``directory``, ``plugin``) or a ``chart`` wins;
otherwise ``Chart.yaml`` means Helm, a kustomization file means Kustomize, and anything
else is a plain directory. A tool disabled in settings is skipped during detection and
refused when asked for explicitly.
"""

from __future__ import annotations

import enum
from pathlib import Path

from kaiun.repo.contract import ApplicationSource, RenderSettings
from kaiun.repo.errors import SourceError, ToolDisabledError

__all__ = ["KUSTOMIZATION_FILES", "SourceType", "detect_source_type"]

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


class SourceType(enum.StrEnum):
    """Argo CD's ``ApplicationSourceType`` names."""

    HELM = "Helm"
    KUSTOMIZE = "Kustomize"
    DIRECTORY = "Directory"
    PLUGIN = "Plugin"


def _explicit(source: ApplicationSource) -> SourceType | None:
    if source.chart:
        return SourceType.HELM
    chosen = [
        kind
        for kind, block in (
            (SourceType.HELM, source.helm),
            (SourceType.KUSTOMIZE, source.kustomize),
            (SourceType.DIRECTORY, source.directory),
            (SourceType.PLUGIN, source.plugin),
        )
        if block is not None
    ]
    if len(chosen) > 1:
        names = ", ".join(k.value.lower() for k in chosen)
        raise SourceError(f"multiple application source types set ({names}); choose one")
    return chosen[0] if chosen else None


def _enabled(kind: SourceType, settings: RenderSettings) -> bool:
    return {
        SourceType.HELM: settings.helm_enabled,
        SourceType.KUSTOMIZE: settings.kustomize_enabled,
    }.get(kind, True)


def detect_source_type(
    source: ApplicationSource, app_dir: Path | None, settings: RenderSettings
) -> SourceType:
    """The tool that renders ``source`` (``app_dir`` is None for a chart from a repository)."""
    explicit = _explicit(source)
    if explicit is not None:
        if not _enabled(explicit, settings):
            raise ToolDisabledError(
                f"{explicit.value} is disabled in argocd-cm ({explicit.value.lower()}.enable)"
            )
        return explicit
    if app_dir is not None:
        if settings.helm_enabled and (app_dir / "Chart.yaml").is_file():
            return SourceType.HELM
        if settings.kustomize_enabled and any(
            (app_dir / name).is_file() for name in KUSTOMIZATION_FILES
        ):
            return SourceType.KUSTOMIZE
    return SourceType.DIRECTORY
