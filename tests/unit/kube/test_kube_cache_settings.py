"""Which kinds the cache watches and which updates it ignores (argocd-cm)."""

from __future__ import annotations

import pytest

from kaiun.kube.cache.settings import CacheSettings, ResourceRule
from kaiun.kube.errors import ConfigError
from kaiun.model.tracking import TrackingMethod


@pytest.mark.parametrize(
    ("group", "kind", "watched"),
    [
        ("", "ConfigMap", True),
        ("apps", "Deployment", True),
        ("", "Endpoints", False),
        ("discovery.k8s.io", "EndpointSlice", False),
        ("coordination.k8s.io", "Lease", False),
        ("authorization.k8s.io", "SelfSubjectAccessReview", False),
        ("certificates.k8s.io", "CertificateSigningRequest", False),
        ("cilium.io", "CiliumIdentity", False),
        ("cert-manager.io", "CertificateRequest", False),
        ("cert-manager.io", "Certificate", True),
        ("events.k8s.io", "Event", False),
        ("metrics.k8s.io", "PodMetrics", False),
    ],
)
def test_default_exclusions(group: str, kind: str, watched: bool) -> None:
    assert CacheSettings().watched(group, kind) is watched


def test_inclusions_minus_exclusions_with_globs_and_clusters() -> None:
    s = CacheSettings.from_argocd_cm(
        {
            "resource.inclusions": "- apiGroups: ['*']\n  kinds: [Deployment, 'Config*']\n",
            "resource.exclusions": (
                "- apiGroups: ['']\n  kinds: [ConfigMap]\n  clusters: ['https://prod*']\n"
            ),
        }
    )
    assert s.watched("apps", "Deployment", "https://prod.example")
    assert s.watched("", "ConfigMap", "https://dev.example")
    assert not s.watched("", "ConfigMap", "https://prod.example")
    assert not s.watched("", "Secret", "https://dev.example")
    # Replacing the exclusions drops the defaults, as in Argo CD; the hard-coded ones stay.
    assert s.watched("", "Endpoints", "") is False  # not included
    assert not CacheSettings(exclusions=(), inclusions=()).watched("coordination.k8s.io", "Lease")
    assert CacheSettings(exclusions=()).watched("", "Endpoints")


def test_rule_with_empty_lists_matches_all() -> None:
    assert ResourceRule().matches("x", "Y", "z")


def test_from_argocd_cm_tracking_and_ignore_updates() -> None:
    s = CacheSettings.from_argocd_cm(
        {
            "application.resourceTrackingMethod": "annotation+label",
            "application.instanceLabelKey": "argocd.argoproj.io/instance",
            "resource.customizations.ignoreResourceUpdates.apps_Deployment": (
                "jsonPointers:\n- /spec/replicas\n"
            ),
            "resource.customizations.ignoreResourceUpdates.ConfigMap": "jsonPointers: [/data/x]\n",
            "resource.respectRBAC": "strict",
        }
    )
    assert s.tracking_method is TrackingMethod.ANNOTATION_AND_LABEL
    assert s.instance_label_key == "argocd.argoproj.io/instance"
    assert s.respect_rbac == "strict"
    assert "/spec/replicas" in s.ignored_pointers("apps", "Deployment")
    assert "/status" in s.ignored_pointers("apps", "Deployment")
    assert "/metadata/resourceVersion" in s.ignored_pointers("", "Pod")
    assert "/data/x" in s.ignored_pointers("", "ConfigMap")
    assert "/spec/replicas" not in s.ignored_pointers("apps", "StatefulSet")


def test_defaults() -> None:
    s = CacheSettings.from_argocd_cm({})
    assert s.tracking_method is TrackingMethod.ANNOTATION
    assert s.instance_label_key == "app.kubernetes.io/instance"
    assert s.ignore_updates_enabled
    assert not CacheSettings.from_argocd_cm(
        {"resource.ignoreResourceUpdatesEnabled": "false"}
    ).ignore_updates_enabled


@pytest.mark.parametrize(
    "data",
    [
        {"resource.exclusions": "- apiGroups: [\n"},
        {"resource.exclusions": "apiGroups: x"},
        {"resource.customizations.ignoreResourceUpdates.all": "- a"},
    ],
)
def test_bad_settings(data: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="argocd-cm resource"):
        CacheSettings.from_argocd_cm(data)
