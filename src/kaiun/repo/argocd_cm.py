"""Reading the rendering settings out of an ``argocd-cm`` ConfigMap's ``data``.

Keys, as Argo CD names them: ``kustomize.buildOptions`` (default version),
``kustomize.path.<v>`` (or the older ``kustomize.version.<v>``) with
``kustomize.buildOptions.<v>`` for extra kustomize binaries an app picks with
``spec.source.kustomize.version``, ``helm.enable`` / ``kustomize.enable`` /
``jsonnet.enable`` and ``helm.valuesFileSchemes``. Nothing here does IO.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from kaiun.repo.contract import KustomizeVersion, RenderSettings

__all__ = ["render_settings_from_argocd_cm"]

_ENABLE = {
    "helm.enable": "helm_enabled",
    "kustomize.enable": "kustomize_enabled",
    "jsonnet.enable": "jsonnet_enabled",
}


def _kustomize_versions(data: Mapping[str, str]) -> tuple[KustomizeVersion, ...]:
    paths: dict[str, str] = {}
    # ``kustomize.path.<v>`` is the current spelling; it wins over the deprecated one.
    for prefix in ("kustomize.version.", "kustomize.path."):
        for key, value in data.items():
            if key.startswith(prefix) and key != prefix and value.strip():
                paths[key.removeprefix(prefix)] = value.strip()
    return tuple(
        KustomizeVersion(
            name,
            path,
            tuple(o for o in [data.get(f"kustomize.buildOptions.{name}", "").strip()] if o),
        )
        for name, path in sorted(paths.items())
    )


def render_settings_from_argocd_cm(
    data: Mapping[str, str], base: RenderSettings | None = None
) -> RenderSettings:
    """``base`` (default: Argo CD's defaults) with what ``argocd-cm``'s ``data`` sets."""
    changes: dict[str, object] = {}
    options = data.get("kustomize.buildOptions", "").strip()
    if options:
        changes["kustomize_build_options"] = (options,)
    for key, field in _ENABLE.items():
        if key in data:
            changes[field] = data[key].strip().lower() != "false"
    schemes = data.get("helm.valuesFileSchemes")
    if schemes is not None:
        changes["helm_values_file_schemes"] = tuple(
            s.strip() for s in schemes.split(",") if s.strip()
        )
    versions = _kustomize_versions(data)
    if versions:
        changes["kustomize_versions"] = versions
    return dataclasses.replace(base or RenderSettings(), **changes)  # type: ignore[arg-type]
