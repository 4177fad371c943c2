"""What the cluster cache watches and how it reacts: argocd-cm's resource settings.

``resource.exclusions`` / ``resource.inclusions`` (Argo CD 3.x defaults), the tracking method
and instance label, ``resource.respectRBAC``, and what ``ignoreResourceUpdates`` ignores:
``resource.ignoreResourceUpdatesEnabled``, the ``ignoreResourceUpdates`` customizations
(split keys, ``.all`` and the nested ``resource.customizations``; JSON pointers and jq path
expressions) over Argo CD 3.x's shipped defaults, plus the system-level ``ignoreDifferences``
(with the ``/status`` rules ``ignoreResourceStatusField`` implies) unless
``resource.compareoptions`` turns ``ignoreDifferencesOnResourceUpdates`` off. Parsing the
customizations is the settings room's; the jq programs are the diff room's.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from kaiun import diff
from kaiun.kube.errors import ConfigError
from kaiun.model.tracking import DEFAULT_INSTANCE_LABEL, TrackingMethod
from kaiun.settings import resource_customizations as rc


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

_IRU = "resource.customizations.ignoreResourceUpdates."
# Argo CD 3.x's built-in ignoreResourceUpdates, one argocd-cm key each. Setting a key in
# argocd-cm (even to "") replaces that key's default and leaves the others alone.
DEFAULT_IGNORE_RESOURCE_UPDATES: Mapping[str, str] = {
    _IRU + "all": "jsonPointers: [/status]",
    _IRU + "argoproj.io_Application": """jqPathExpressions:
- '.metadata.annotations."notified.notifications.argoproj.io"'
- '.metadata.annotations."argocd.argoproj.io/refresh"'
- '.metadata.annotations."argocd.argoproj.io/hydrate"'
- '.operation'
""",
    _IRU + "argoproj.io_Rollout": """jqPathExpressions:
- '.metadata.annotations."notified.notifications.argoproj.io"'
""",
    _IRU + "autoscaling_HorizontalPodAutoscaler": """jqPathExpressions:
- '.metadata.annotations."autoscaling.alpha.kubernetes.io/behavior"'
- '.metadata.annotations."autoscaling.alpha.kubernetes.io/conditions"'
- '.metadata.annotations."autoscaling.alpha.kubernetes.io/metrics"'
- '.metadata.annotations."autoscaling.alpha.kubernetes.io/current-metrics"'
""",
    _IRU + "ConfigMap": """jqPathExpressions:
- '.metadata.annotations."cluster-autoscaler.kubernetes.io/last-updated"'
- '.metadata.annotations."control-plane.alpha.kubernetes.io/leader"'
""",
    _IRU + "apps_ReplicaSet": """jqPathExpressions:
- '.metadata.annotations."deployment.kubernetes.io/desired-replicas"'
- '.metadata.annotations."deployment.kubernetes.io/max-replicas"'
- '.metadata.annotations."rollout.argoproj.io/desired-replicas"'
""",
    _IRU + "discovery.k8s.io_EndpointSlice": "jsonPointers: [/metadata, /endpoints, /ports]",
    _IRU + "Endpoints": "jsonPointers: [/metadata, /subsets]",
}

# Go's strconv.ParseBool, which Argo CD uses for its boolean argocd-cm keys.
_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})


@dataclass(frozen=True, slots=True)
class UpdateIgnores:
    """What ignoreResourceUpdates ignores for one kind.

    ``pointers``: JSON pointers (always-ignored metadata included); ``rules``: the jq path
    expressions, as diff-room rules holding nothing else. Like Argo CD's, the update check
    reads no ``managedFieldsManagers``.
    """

    pointers: tuple[str, ...] = ALWAYS_IGNORED_POINTERS
    rules: tuple[diff.IgnoreRule, ...] = ()


def _parse_bool(value: str, key: str) -> bool:
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"argocd-cm {key} must be true or false, not {value!r}")


def _update_rules(data: Mapping[str, str]) -> tuple[diff.IgnoreRule, ...]:
    """ignoreResourceUpdates (defaults under argocd-cm) and, if on, system ignoreDifferences."""
    try:
        own = rc.parse_resource_overrides(data)
        defaults = rc.parse_resource_overrides(
            {k: v for k, v in DEFAULT_IGNORE_RESOURCE_UPDATES.items() if k not in data}
        )
        options = rc.compare_options(data)
    except rc.ResourceCustomizationsError as exc:
        raise ConfigError(f"argocd-cm {exc}") from exc
    # A group/Kind the nested resource.customizations configures keeps its own rules.
    defaults = {
        k: o for k, o in defaults.items() if k not in own or not own[k].ignore_resource_updates
    }
    rules = rc.ignore_resource_update_rules(defaults) + rc.ignore_resource_update_rules(own)
    on_updates = options.get("ignoreDifferencesOnResourceUpdates", True)
    if _parse_bool(str(on_updates), "resource.compareoptions ignoreDifferencesOnResourceUpdates"):
        rules += rc.ignore_rules(own) + _status_rules(options)
    return rules


def _status_rules(options: Mapping[str, Any]) -> tuple[diff.IgnoreRule, ...]:
    """The system ignoreDifferences Argo CD derives from ``ignoreResourceStatusField``.

    ``all`` (the 3.x default) ignores ``/status`` of every kind; ``off``/``false``/``none``
    nothing; ``crd`` and anything else the CustomResourceDefinition kind's ``/status`` and
    ``/spec/preserveUnknownFields``.
    """
    mode = str(options.get("ignoreResourceStatusField", "all")).strip().lower()
    if mode == "all":
        return (diff.IgnoreRule(group="*", kind="*", json_pointers=("/status",)),)
    if mode in ("off", "false", "none"):
        return ()
    pointers = ("/status", "/spec/preserveUnknownFields")
    crd = diff.IgnoreRule(
        group="apiextensions.k8s.io", kind="CustomResourceDefinition", json_pointers=pointers
    )
    return (crd,)


_DEFAULT_UPDATE_RULES = _update_rules({})


@dataclass(frozen=True)
class CacheSettings:
    """Everything the cluster cache needs from argocd-cm."""

    exclusions: tuple[ResourceRule, ...] = DEFAULT_EXCLUSIONS
    inclusions: tuple[ResourceRule, ...] = ()
    tracking_method: TrackingMethod = TrackingMethod.ANNOTATION
    instance_label_key: str = DEFAULT_INSTANCE_LABEL
    ignore_updates_enabled: bool = True
    # ignoreResourceUpdates as diff-room rules keyed by group/kind globs (3.x defaults).
    ignore_update_rules: tuple[diff.IgnoreRule, ...] = _DEFAULT_UPDATE_RULES
    respect_rbac: str = ""  # "", "normal" or "strict"
    _ignores: dict[tuple[str, str], UpdateIgnores] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def watched(self, group: str, kind: str, cluster: str = "") -> bool:
        """Inclusions minus exclusions (and the kinds Argo CD never watches)."""
        if any(r.matches(group, kind, cluster) for r in ALWAYS_EXCLUDED):
            return False
        if self.inclusions and not any(r.matches(group, kind, cluster) for r in self.inclusions):
            return False
        return not any(r.matches(group, kind, cluster) for r in self.exclusions)

    def update_ignores(self, group: str, kind: str) -> UpdateIgnores:
        """The fields of ``group``/``kind`` whose changes do not make an update worth a refresh."""
        found = self._ignores.get((group, kind))
        if found is None:
            rules = [
                r
                for r in self.ignore_update_rules
                if fnmatch.fnmatchcase(group, r.group) and fnmatch.fnmatchcase(kind, r.kind)
            ]
            found = UpdateIgnores(
                pointers=ALWAYS_IGNORED_POINTERS + tuple(p for r in rules for p in r.json_pointers),
                rules=tuple(
                    diff.IgnoreRule(jq_path_expressions=r.jq_path_expressions)
                    for r in rules
                    if r.jq_path_expressions
                ),
            )
            self._ignores[(group, kind)] = found
        return found

    def ignored_pointers(self, group: str, kind: str) -> tuple[str, ...]:
        """JSON pointers whose changes do not make an update worth a refresh."""
        return self.update_ignores(group, kind).pointers

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
        enabled = data.get("resource.ignoreResourceUpdatesEnabled", "")
        # Unset or empty means on (the 3.x default); otherwise Go's ParseBool spellings.
        kwargs["ignore_updates_enabled"] = not enabled or _parse_bool(
            enabled, "resource.ignoreResourceUpdatesEnabled"
        )
        kwargs["ignore_update_rules"] = _update_rules(data)
        kwargs["respect_rbac"] = data.get("resource.respectRBAC", "").strip()
        return cls(**kwargs)


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
