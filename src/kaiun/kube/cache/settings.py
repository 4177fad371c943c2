"""What the cluster cache watches and how it reacts: argocd-cm's resource settings.

``resource.exclusions`` / ``resource.inclusions`` (Argo CD 3.x defaults), the tracking method
and instance label, ``resource.ignoreResourceUpdatesEnabled`` with
``resource.customizations.ignoreResourceUpdates.<group>_<kind>`` / ``.all`` (JSON pointers),
and ``resource.respectRBAC``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from kaiun.kube.errors import ConfigError
from kaiun.model.tracking import DEFAULT_INSTANCE_LABEL, TrackingMethod


@dataclass(frozen=True, slots=True)
class ResourceRule:
    """One ``{apiGroups, kinds, clusters}`` entry; empty lists match everything."""

    api_groups: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    clusters: tuple[str, ...] = ()

    def matches(self, group: str, kind: str, cluster: str) -> bool:
        """Glob match of each non-empty list (Argo CD matches the cluster by server URL)."""
        return (
            _any(self.api_groups, group) and _any(self.kinds, kind) and _any(self.clusters, cluster)
        )


def _any(patterns: tuple[str, ...], value: str) -> bool:
    return not patterns or any(fnmatch.fnmatchcase(value, p) for p in patterns)


# Never watched, whatever the settings say.
ALWAYS_EXCLUDED = (
    ResourceRule(api_groups=("events.k8s.io", "metrics.k8s.io")),
    ResourceRule(api_groups=("coordination.k8s.io",), kinds=("Lease",)),
)

# argocd-cm's shipped ``resource.exclusions`` since Argo CD 3.0.
DEFAULT_EXCLUSIONS = (
    ResourceRule(api_groups=("", "discovery.k8s.io"), kinds=("Endpoints", "EndpointSlice")),
    ResourceRule(api_groups=("coordination.k8s.io",), kinds=("Lease",)),
    ResourceRule(
        api_groups=("authentication.k8s.io", "authorization.k8s.io"),
        kinds=(
            "SelfSubjectReview",
            "TokenReview",
            "LocalSubjectAccessReview",
            "SelfSubjectAccessReview",
            "SelfSubjectRulesReview",
            "SubjectAccessReview",
        ),
    ),
    ResourceRule(api_groups=("certificates.k8s.io",), kinds=("CertificateSigningRequest",)),
    ResourceRule(api_groups=("cert-manager.io",), kinds=("CertificateRequest",)),
    ResourceRule(
        api_groups=("cilium.io",), kinds=("CiliumIdentity", "CiliumEndpoint", "CiliumEndpointSlice")
    ),
    ResourceRule(
        api_groups=("kyverno.io", "reports.kyverno.io", "wgpolicyk8s.io"),
        kinds=(
            "PolicyReport",
            "ClusterPolicyReport",
            "EphemeralReport",
            "ClusterEphemeralReport",
            "AdmissionReport",
            "ClusterAdmissionReport",
            "BackgroundScanReport",
            "ClusterBackgroundScanReport",
            "UpdateRequest",
        ),
    ),
)

# Argo CD always ignores these when deciding whether an update matters.
ALWAYS_IGNORED_POINTERS = (
    "/metadata/generation",
    "/metadata/resourceVersion",
    "/metadata/managedFields",
)


@dataclass(frozen=True)
class CacheSettings:
    """Everything the cluster cache needs from argocd-cm."""

    exclusions: tuple[ResourceRule, ...] = DEFAULT_EXCLUSIONS
    inclusions: tuple[ResourceRule, ...] = ()
    tracking_method: TrackingMethod = TrackingMethod.ANNOTATION
    instance_label_key: str = DEFAULT_INSTANCE_LABEL
    ignore_updates_enabled: bool = True
    # "<group>_<kind>" or "all" -> JSON pointers; 3.x ships /status for every kind.
    ignore_updates: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: {"all": ("/status",)}
    )
    respect_rbac: str = ""  # "", "normal" or "strict"

    def watched(self, group: str, kind: str, cluster: str = "") -> bool:
        """Inclusions minus exclusions (and the kinds Argo CD never watches)."""
        if any(r.matches(group, kind, cluster) for r in ALWAYS_EXCLUDED):
            return False
        if self.inclusions and not any(r.matches(group, kind, cluster) for r in self.inclusions):
            return False
        return not any(r.matches(group, kind, cluster) for r in self.exclusions)

    def ignored_pointers(self, group: str, kind: str) -> tuple[str, ...]:
        """JSON pointers whose changes do not make an update worth a refresh."""
        gk = f"{group}_{kind}" if group else kind
        return (
            ALWAYS_IGNORED_POINTERS
            + tuple(self.ignore_updates.get("all", ()))
            + tuple(self.ignore_updates.get(gk, ()))
        )

    @classmethod
    def from_argocd_cm(cls, data: Mapping[str, str]) -> CacheSettings:
        """Read the relevant keys of argocd-cm's ``data``."""
        kwargs: dict[str, Any] = {}
        if "resource.exclusions" in data:
            kwargs["exclusions"] = _rules(data["resource.exclusions"], "resource.exclusions")
        if "resource.inclusions" in data:
            kwargs["inclusions"] = _rules(data["resource.inclusions"], "resource.inclusions")
        kwargs["tracking_method"] = TrackingMethod.parse(
            data.get("application.resourceTrackingMethod")
        )
        kwargs["instance_label_key"] = (
            data.get("application.instanceLabelKey") or DEFAULT_INSTANCE_LABEL
        )
        enabled = data.get("resource.ignoreResourceUpdatesEnabled", "true").strip().lower()
        kwargs["ignore_updates_enabled"] = enabled != "false"
        prefix = "resource.customizations.ignoreResourceUpdates."
        ignore: dict[str, tuple[str, ...]] = {"all": ("/status",)}
        for key, value in data.items():
            if key.startswith(prefix):
                doc = _yaml(value, key)
                ignore[key[len(prefix) :]] = tuple(str(p) for p in doc.get("jsonPointers") or [])
        kwargs["ignore_updates"] = ignore
        kwargs["respect_rbac"] = data.get("resource.respectRBAC", "").strip()
        return cls(**kwargs)


def _yaml(text: str, key: str) -> dict[str, Any]:
    try:
        doc = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"argocd-cm {key} is not valid YAML") from exc
    if not isinstance(doc, dict):
        raise ConfigError(f"argocd-cm {key} must be a mapping")
    return doc


def _rules(text: str, key: str) -> tuple[ResourceRule, ...]:
    try:
        doc = yaml.safe_load(text) or []
    except yaml.YAMLError as exc:
        raise ConfigError(f"argocd-cm {key} is not valid YAML") from exc
    if not isinstance(doc, list):
        raise ConfigError(f"argocd-cm {key} must be a list of {{apiGroups, kinds, clusters}}")
    return tuple(
        ResourceRule(
            api_groups=tuple(str(g) for g in r.get("apiGroups") or ()),
            kinds=tuple(str(k) for k in r.get("kinds") or ()),
            clusters=tuple(str(c) for c in r.get("clusters") or ()),
        )
        for r in doc
        if isinstance(r, dict)
    )
