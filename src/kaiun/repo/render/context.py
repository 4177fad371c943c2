"""What a renderer is given (``RenderContext``) and what it returns (``Rendered``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kaiun.repo.contract import ManifestRequest, RenderSettings

__all__ = ["RenderContext", "Rendered", "build_environment"]


def build_environment(request: ManifestRequest, revision: str) -> dict[str, str]:
    """Argo CD's build environment (``ARGOCD_APP_*``, ``KUBE_VERSION``, ``KUBE_API_VERSIONS``)."""
    src = request.source
    return {
        "ARGOCD_APP_NAME": request.app_name,
        "ARGOCD_APP_NAMESPACE": request.namespace,
        "ARGOCD_APP_PROJECT_NAME": request.project,
        "ARGOCD_APP_REVISION": revision,
        "ARGOCD_APP_REVISION_SHORT": revision[:7],
        "ARGOCD_APP_REVISION_SHORT_8": revision[:8],
        "ARGOCD_APP_SOURCE_PATH": src.path,
        "ARGOCD_APP_SOURCE_REPO_URL": src.repo_url,
        "ARGOCD_APP_SOURCE_TARGET_REVISION": src.target_revision,
        "KUBE_VERSION": request.kube_version,
        "KUBE_API_VERSIONS": ",".join(request.api_versions),
    }


@dataclass(frozen=True)
class RenderContext:
    """One render: the checkout, the app directory in it, the request and a scratch dir.

    ``work_dir`` does not exist yet: a renderer that needs scratch space creates it.
    """

    root: Path
    app_dir: Path
    request: ManifestRequest
    revision: str
    work_dir: Path
    tool_env: Mapping[str, str]
    ref_roots: Mapping[str, Path] = field(default_factory=dict)

    @property
    def settings(self) -> RenderSettings:
        """The rendering settings of the request."""
        return self.request.settings

    @property
    def build_env(self) -> dict[str, str]:
        """``ARGOCD_APP_*`` variables for this render."""
        return build_environment(self.request, self.revision)


@dataclass(frozen=True)
class Rendered:
    """A renderer's output: objects plus the commands it ran (for ``ManifestResponse``)."""

    objects: list[dict[str, Any]]
    commands: tuple[str, ...] = ()
