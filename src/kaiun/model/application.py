"""A typed, read-only view of an Argo CD ``Application`` dict (``argoproj.io/v1alpha1``).

Dict-faithful: ``raw`` keeps the object as given, and every field is read the way Argo CD
reads it (``sources`` overrides ``source``; ``automated.enabled: null`` means on; retry
backoff strings are Go durations; ``revisionHistoryLimit`` defaults to 10). Also holds the
names of the annotations and finalizers the controller acts on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kaiun.model.duration import DurationError, parse_duration

API_VERSION = "argoproj.io/v1alpha1"
KIND = "Application"
REFRESH_ANNOTATION = "argocd.argoproj.io/refresh"
SKIP_RECONCILE_ANNOTATION = "argocd.argoproj.io/skip-reconcile"
RESOURCES_FINALIZER = "resources-finalizer.argocd.argoproj.io"
BACKGROUND_FINALIZER = "resources-finalizer.argocd.argoproj.io/background"
PRE_DELETE_FINALIZER = "pre-delete-finalizer.argocd.argoproj.io"
IN_CLUSTER_SERVER = "https://kubernetes.default.svc"
IN_CLUSTER_NAME = "in-cluster"
DEFAULT_REVISION_HISTORY_LIMIT = 10
REFRESH_NORMAL = "normal"
REFRESH_HARD = "hard"

Obj = Mapping[str, Any]


class ApplicationSpecError(ValueError):
    """An Application whose spec cannot be read; the message names the field."""


@dataclass(frozen=True, slots=True)
class Destination:
    """``spec.destination``: a server URL or a cluster name, and a namespace."""

    server: str = ""
    name: str = ""
    namespace: str = ""

    @classmethod
    def from_dict(cls, d: Obj | None) -> Destination:
        """Read ``spec.destination`` (a missing one is empty)."""
        d = d or {}
        return cls(
            server=str(d.get("server") or "").rstrip("/"),
            name=str(d.get("name") or ""),
            namespace=str(d.get("namespace") or ""),
        )


@dataclass(frozen=True, slots=True)
class Automated:
    """``syncPolicy.automated``; ``enabled`` is True unless set to ``false`` explicitly."""

    enabled: bool = True
    prune: bool = False
    self_heal: bool = False
    allow_empty: bool = False

    @classmethod
    def from_dict(cls, d: Obj) -> Automated:
        """Read ``syncPolicy.automated`` (``enabled: null`` means enabled, as in Argo CD)."""
        enabled = d.get("enabled")
        return cls(
            enabled=enabled is None or bool(enabled),
            prune=bool(d.get("prune")),
            self_heal=bool(d.get("selfHeal")),
            allow_empty=bool(d.get("allowEmpty")),
        )


@dataclass(frozen=True, slots=True)
class Backoff:
    """``retry.backoff`` in seconds (Argo CD's defaults: 5 s, doubling, at most 3 min)."""

    duration: float = 5.0
    factor: float = 2.0
    max_duration: float = 180.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry ``attempt`` (1-based)."""
        return float(min(self.duration * self.factor ** max(attempt - 1, 0), self.max_duration))


@dataclass(frozen=True, slots=True)
class Retry:
    """``syncPolicy.retry`` / ``operation.retry``; ``limit < 0`` retries forever."""

    limit: int = 0
    backoff: Backoff = field(default_factory=Backoff)
    refresh: bool = False

    @classmethod
    def from_dict(cls, d: Obj | None) -> Retry:
        """Read a retry strategy; durations are Go duration strings."""
        d = d or {}
        b = d.get("backoff") or {}
        try:
            backoff = Backoff(
                duration=parse_duration(b.get("duration") or "5s"),
                factor=float(b.get("factor") or 2),
                max_duration=parse_duration(b.get("maxDuration") or "3m"),
            )
        except (DurationError, TypeError, ValueError) as exc:
            raise ApplicationSpecError(f"spec.syncPolicy.retry.backoff: {exc}") from exc
        return cls(limit=int(d.get("limit") or 0), backoff=backoff, refresh=bool(d.get("refresh")))


@dataclass(frozen=True, slots=True)
class SyncPolicy:
    """``spec.syncPolicy``: automation, options, retry, managed namespace metadata."""

    automated: Automated | None = None
    sync_options: tuple[str, ...] = ()
    retry: Retry | None = None
    managed_namespace_metadata: Obj | None = None

    @classmethod
    def from_dict(cls, d: Obj | None) -> SyncPolicy:
        """Read ``spec.syncPolicy``."""
        d = d or {}
        automated = d.get("automated")
        return cls(
            automated=Automated.from_dict(automated) if isinstance(automated, Mapping) else None,
            sync_options=tuple(str(o) for o in d.get("syncOptions") or ()),
            retry=Retry.from_dict(d["retry"]) if d.get("retry") is not None else None,
            managed_namespace_metadata=d.get("managedNamespaceMetadata"),
        )

    @property
    def auto_sync(self) -> bool:
        """Whether automated sync is on."""
        return self.automated is not None and self.automated.enabled

    def option(self, name: str) -> str | None:
        """The value of sync option ``name`` (``"Prune"`` → ``"false"``), None when unset."""
        for opt in self.sync_options:
            key, _, value = opt.partition("=")
            if key.strip() == name:
                return value.strip()
        return None


def instance_name(meta: Obj, control_namespace: str | None) -> str:
    """Argo CD's ``InstanceName``: the name, or ``<namespace>_<name>`` outside the control
    plane (namespaces cannot contain ``_``, so the pair reads back unambiguously)."""
    name = str(meta.get("name") or "")
    namespace = str(meta.get("namespace") or "")
    if control_namespace is None or not namespace or namespace == control_namespace:
        return name
    return f"{namespace}_{name}"


@dataclass(frozen=True)
class Application:
    """The parts of an Application the controller, CLI and API read; ``raw`` is the dict."""

    raw: Obj
    name: str
    namespace: str
    project: str
    sources: tuple[Obj, ...]
    multi_source: bool
    destination: Destination
    sync_policy: SyncPolicy
    ignore_differences: tuple[Obj, ...]
    revision_history_limit: int
    finalizers: tuple[str, ...]
    annotations: Mapping[str, str]
    deleting: bool
    operation: Obj | None
    # The name its resources are tracked by: ``<namespace>_<name>`` for an app outside
    # the control-plane namespace (Argo CD's instance name), else the name.
    instance_name: str = ""

    @classmethod
    def from_dict(cls, obj: Obj, control_namespace: str | None = None) -> Application:
        """Read an Application dict; ``ApplicationSpecError`` names an unreadable field.

        With ``control_namespace``, an app living elsewhere gets ``<ns>_<name>`` as its
        instance name."""
        meta = obj.get("metadata") or {}
        spec = obj.get("spec") or {}
        multi = bool(spec.get("sources"))
        single = [spec["source"]] if spec.get("source") else []
        raw_sources = spec.get("sources") if multi else single
        if not isinstance(raw_sources, list) or not all(
            isinstance(s, Mapping) for s in raw_sources
        ):
            raise ApplicationSpecError("spec.sources must be a list of sources")
        limit = spec.get("revisionHistoryLimit")
        return cls(
            raw=obj,
            name=str(meta.get("name") or ""),
            namespace=str(meta.get("namespace") or ""),
            project=str(spec.get("project") or "default"),
            sources=tuple(raw_sources),
            multi_source=multi,
            destination=Destination.from_dict(spec.get("destination")),
            sync_policy=SyncPolicy.from_dict(spec.get("syncPolicy")),
            ignore_differences=tuple(spec.get("ignoreDifferences") or ()),
            revision_history_limit=(
                DEFAULT_REVISION_HISTORY_LIMIT if limit is None else max(int(limit), 0)
            ),
            finalizers=tuple(str(f) for f in meta.get("finalizers") or ()),
            annotations={str(k): str(v) for k, v in (meta.get("annotations") or {}).items()},
            deleting=bool(meta.get("deletionTimestamp")),
            operation=obj.get("operation") or None,
            instance_name=instance_name(meta, control_namespace),
        )

    @property
    def status(self) -> Obj:
        """``status`` as stored (empty before the first reconcile)."""
        return self.raw.get("status") or {}

    @property
    def refresh(self) -> str | None:
        """``normal`` or ``hard`` when the refresh annotation asks for one."""
        value = self.annotations.get(REFRESH_ANNOTATION, "").strip().lower()
        return value if value in (REFRESH_NORMAL, REFRESH_HARD) else None

    @property
    def skip_reconcile(self) -> bool:
        """Whether ``argocd.argoproj.io/skip-reconcile: "true"`` pauses the app."""
        return self.annotations.get(SKIP_RECONCILE_ANNOTATION, "").strip().lower() == "true"

    @property
    def cascade(self) -> str | None:
        """``foreground`` / ``background`` when a resources finalizer asks for cascade."""
        if RESOURCES_FINALIZER in self.finalizers:
            return "foreground"
        if BACKGROUND_FINALIZER in self.finalizers:
            return "background"
        return None

    @property
    def source_repos(self) -> tuple[str, ...]:
        """Every source's ``repoURL``."""
        return tuple(str(s.get("repoURL") or "") for s in self.sources)

    @property
    def source_types(self) -> tuple[str, ...]:
        """Declared tool per source (``Helm``/``Kustomize``/``Directory``/``Plugin``), or ``""``."""
        return tuple(declared_source_type(s) for s in self.sources)


def declared_source_type(source: Obj) -> str:
    """The tool a source spells out; ``""`` when it leaves detection to the repo server."""
    if source.get("chart") or source.get("helm") is not None:
        return "Helm"
    if source.get("kustomize") is not None:
        return "Kustomize"
    if source.get("plugin") is not None:
        return "Plugin"
    if source.get("directory") is not None:
        return "Directory"
    return ""
