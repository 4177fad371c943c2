"""argocd-cm data -> RenderSettings, and the settings' JSON round trip."""

from __future__ import annotations

import pytest

from kaiun.repo import KustomizeVersion, RenderSettings, render_settings_from_argocd_cm

CASES = [
    ({}, RenderSettings()),
    (
        {"kustomize.buildOptions": "--enable-helm", "helm.enable": "false"},
        RenderSettings(kustomize_build_options=("--enable-helm",), helm_enabled=False),
    ),
    (
        {
            "jsonnet.enable": "true",
            "kustomize.enable": "FALSE",
            "helm.valuesFileSchemes": "s3, https",
        },
        RenderSettings(kustomize_enabled=False, helm_values_file_schemes=("s3", "https")),
    ),
    (
        # The current key wins over the deprecated one; options belong to their version.
        {
            "kustomize.version.v3.5.1": "/old/kustomize",
            "kustomize.path.v3.5.1": "/custom-tools/kustomize_3_5_1",
            "kustomize.version.v4": "/tools/k4",
            "kustomize.buildOptions.v4": "--load-restrictor LoadRestrictionsNone",
            "kustomize.path.": "/ignored",
        },
        RenderSettings(
            kustomize_versions=(
                KustomizeVersion("v3.5.1", "/custom-tools/kustomize_3_5_1"),
                KustomizeVersion("v4", "/tools/k4", ("--load-restrictor LoadRestrictionsNone",)),
            )
        ),
    ),
]


@pytest.mark.parametrize(("data", "expected"), CASES)
def test_render_settings_from_argocd_cm(data: dict[str, str], expected: RenderSettings) -> None:
    settings = render_settings_from_argocd_cm(data)
    assert settings == expected
    assert RenderSettings.from_dict(settings.to_dict()) == settings
