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


def _jq(s: CacheSettings, group: str, kind: str) -> list[str]:
    return [e for r in s.update_ignores(group, kind).rules for e in r.jq_path_expressions]


def test_ignore_updates_defaults_are_argo_cd_3x() -> None:
    s = CacheSettings.from_argocd_cm({})
    assert s.ignored_pointers("", "Pod")[-1] == "/status"
    assert '.metadata.annotations."argocd.argoproj.io/refresh"' in _jq(
        s, "argoproj.io", "Application"
    )
    assert '.metadata.annotations."deployment.kubernetes.io/desired-replicas"' in _jq(
        s, "apps", "ReplicaSet"
    )
    assert "/subsets" in s.ignored_pointers("", "Endpoints")
    assert _jq(s, "apps", "Deployment") == []
    assert s == CacheSettings()


def test_ignore_updates_key_replaces_only_its_default() -> None:
    s = CacheSettings.from_argocd_cm(
        {
            # Without this, /status stays ignored through ignoreDifferences (next test).
            "resource.compareoptions": "ignoreResourceStatusField: off\n",
            "resource.customizations.ignoreResourceUpdates.all": "",
            "resource.customizations.ignoreResourceUpdates.apps_ReplicaSet": (
                "jqPathExpressions: ['.spec.replicas']\n"
            ),
        }
    )
    assert "/status" not in s.ignored_pointers("", "Pod")
    assert _jq(s, "apps", "ReplicaSet") == [".spec.replicas"]
    assert _jq(s, "", "ConfigMap")  # untouched default


def test_ignore_updates_nested_customizations_and_ignore_differences() -> None:
    data = {
        "resource.customizations": (
            "apps/Deployment:\n"
            "  ignoreResourceUpdates:\n"
            "    jqPathExpressions: ['.spec.template.metadata.annotations.x']\n"
            "    managedFieldsManagers: [hpa]\n"
            "apps/ReplicaSet:\n"
            "  ignoreResourceUpdates: {jsonPointers: [/spec/minReadySeconds]}\n"
            "'*.crossplane.io/*':\n"
            "  ignoreDifferences: {jsonPointers: [/spec/forProvider/tags]}\n"
        ),
    }
    s = CacheSettings.from_argocd_cm(data)
    assert _jq(s, "apps", "Deployment") == [".spec.template.metadata.annotations.x"]
    # Argo CD's update check reads no managedFieldsManagers.
    assert all(not r.managed_fields_managers for r in s.update_ignores("apps", "Deployment").rules)
    # The nested key replaces the shipped default for ReplicaSet.
    assert _jq(s, "apps", "ReplicaSet") == []
    assert "/spec/minReadySeconds" in s.ignored_pointers("apps", "ReplicaSet")
    # System-level ignoreDifferences ignore updates too (ignoreDifferencesOnResourceUpdates).
    assert "/spec/forProvider/tags" in s.ignored_pointers("s3.aws.crossplane.io", "Bucket")
    off = CacheSettings.from_argocd_cm(
        {**data, "resource.compareoptions": "ignoreDifferencesOnResourceUpdates: false\n"}
    )
    assert "/spec/forProvider/tags" not in off.ignored_pointers("s3.aws.crossplane.io", "Bucket")


@pytest.mark.parametrize(
    ("value", "enabled"),
    [("", True), ("true", True), ("True", True), ("1", True), ("false", False), ("F", False),
     ("0", False)],
)  # fmt: skip
def test_ignore_updates_enabled_parses_like_go(value: str, enabled: bool) -> None:
    data = {"resource.ignoreResourceUpdatesEnabled": value}
    assert CacheSettings.from_argocd_cm(data).ignore_updates_enabled is enabled


@pytest.mark.parametrize(
    "data",
    [
        {"resource.ignoreResourceUpdatesEnabled": "yes"},
        {"resource.customizations.ignoreResourceUpdates.Pod": "jqPathExpressions: ['.a[']\n"},
        {"resource.customizations.ignoreResourceUpdates.Pod": "jqPathExpressions: ['..']\n"},
        {"resource.compareoptions": "ignoreDifferencesOnResourceUpdates: maybe\n"},
    ],
)
def test_bad_ignore_update_settings(data: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="argocd-cm"):
        CacheSettings.from_argocd_cm(data)


@pytest.mark.parametrize(
    ("compare_options", "pod_status", "crd_status"),
    [
        ("", True, True),
        ("ignoreResourceStatusField: all\n", True, True),
        ("ignoreResourceStatusField: crd\n", False, True),
        ("ignoreResourceStatusField: off\n", False, False),
        ("ignoreDifferencesOnResourceUpdates: false\n", False, False),
    ],
)  # fmt: skip
def test_status_ignored_through_ignore_differences(
    compare_options: str, pod_status: bool, crd_status: bool
) -> None:
    """With the shipped ``.all`` default replaced, /status is still ignored through the
    system ignoreDifferences that ``ignoreResourceStatusField`` implies, as in Argo CD."""
    data = {
        "resource.customizations.ignoreResourceUpdates.all": "",
        "resource.compareoptions": compare_options,
    }
    s = CacheSettings.from_argocd_cm(data)
    assert ("/status" in s.ignored_pointers("", "Pod")) is pod_status
    crd = s.ignored_pointers("apiextensions.k8s.io", "CustomResourceDefinition")
    assert ("/status" in crd) is crd_status
