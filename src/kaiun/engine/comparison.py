"""The result of comparing one Application: per-resource verdicts and the app-level status.

Shapes everything as Argo CD writes it in ``Application.status``: ``sync`` (status,
revision(s), comparedTo), ``resources[]``, ``health``, ``conditions``, ``summary`` and
``sourceType(s)``. Pure data and pure functions; ``compare`` fills it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kaiun import health
from kaiun.diff import DiffResult

SYNCED = "Synced"
OUT_OF_SYNC = "OutOfSync"
UNKNOWN = "Unknown"
EXTERNAL_LINK_PREFIX = "link.argocd.argoproj.io/"

Obj = Mapping[str, Any]


@dataclass(frozen=True)
class ResourceState:
    """One resource of the app: its desired and live objects and the verdicts on them."""

    group: str
    version: str
    kind: str
    namespace: str
    name: str
    status: str
    health: health.Health | None
    target: dict[str, Any] | None
    live: dict[str, Any] | None
    hook: bool = False
    requires_pruning: bool = False
    diff: DiffResult | None = None

    def to_status(self, *, with_health: bool = True) -> dict[str, Any]:
        """This resource as an entry of ``status.resources`` (Argo CD's ResourceStatus)."""
        out: dict[str, Any] = {
            "group": self.group,
            "version": self.version,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
            "status": self.status,
        }
        if not out["group"]:
            del out["group"]
        if not out["namespace"]:
            del out["namespace"]
        if with_health and self.health is not None:
            h: dict[str, Any] = {"status": str(self.health.status)}
            if self.health.message:
                h["message"] = self.health.message
            out["health"] = h
        if self.hook:
            out["hook"] = True
        if self.requires_pruning:
            out["requiresPruning"] = True
        return out


@dataclass(frozen=True)
class Condition:
    """An ``ApplicationCondition`` (``type`` + ``message``)."""

    type: str
    message: str

    def to_dict(self) -> dict[str, str]:
        """Argo CD's JSON shape (``lastTransitionTime`` is added by the writer)."""
        return {"type": self.type, "message": self.message}

    @property
    def is_error(self) -> bool:
        """Errors block automated sync; warnings do not."""
        return self.type.endswith("Error")


@dataclass
class Comparison:
    """Everything a reconcile learns about one Application."""

    sync_status: str
    revisions: list[str]
    sources: list[dict[str, Any]]
    multi_source: bool
    destination: dict[str, Any]
    ignore_differences: list[dict[str, Any]]
    resources: list[ResourceState]
    health: health.Health
    conditions: list[Condition] = field(default_factory=list)
    source_types: list[str] = field(default_factory=list)
    # The prepared desired objects (namespace defaulted, tracking set) and the app's live ones.
    targets: list[dict[str, Any]] = field(default_factory=list)
    live: list[dict[str, Any]] = field(default_factory=list)
    rendered: bool = True
    orphaned: int = 0  # orphaned resources found (when the project monitors them)

    @property
    def revision(self) -> str:
        """The first (for single-source apps, the only) resolved revision."""
        return self.revisions[0] if self.revisions else ""

    def sync_dict(self) -> dict[str, Any]:
        """``status.sync``."""
        compared: dict[str, Any] = {"destination": self.destination}
        if self.multi_source:
            compared["sources"] = self.sources
        elif self.sources:
            compared["source"] = self.sources[0]
        if self.ignore_differences:
            compared["ignoreDifferences"] = self.ignore_differences
        out: dict[str, Any] = {"status": self.sync_status, "comparedTo": compared}
        if self.multi_source:
            out["revisions"] = list(self.revisions)
        elif self.revisions:
            out["revision"] = self.revisions[0]
        return out

    def health_dict(self) -> dict[str, Any]:
        """``status.health``."""
        out: dict[str, Any] = {"status": str(self.health.status)}
        if self.health.message:
            out["message"] = self.health.message
        return out

    def resources_list(self, *, with_health: bool = True) -> list[dict[str, Any]]:
        """``status.resources``."""
        return [r.to_status(with_health=with_health) for r in self.resources]

    def summary(self) -> dict[str, Any]:
        """``status.summary``: container images and external URLs of the app's resources."""
        return summarize(
            [r.live if r.live is not None else r.target for r in self.resources if not r.hook]
        )

    def source_type_fields(self) -> dict[str, Any]:
        """``sourceType`` or ``sourceTypes``."""
        if self.multi_source:
            return {"sourceTypes": list(self.source_types)}
        return {"sourceType": self.source_types[0]} if self.source_types else {}


def sync_status_of(resources: Iterable[ResourceState]) -> str:
    """OutOfSync when any non-hook resource is; Synced otherwise."""
    return OUT_OF_SYNC if any(r.status == OUT_OF_SYNC and not r.hook for r in resources) else SYNCED


def app_health(resources: Sequence[ResourceState]) -> health.Health:
    """Worst-of over resources (hooks and resources without a check do not count)."""
    pairs = [
        (r.live if r.live is not None else (r.target or {}), r.health)
        for r in resources
        if not r.requires_pruning
    ]
    return health.application_health(pairs)


def summarize(objs: Iterable[Obj | None]) -> dict[str, Any]:
    """Images used by pod templates and pods; URLs of Ingresses and external-link annotations."""
    images: set[str] = set()
    urls: list[str] = []
    for obj in objs:
        if not obj:
            continue
        images.update(_images(obj))
        for url in _urls(obj):
            if url not in urls:
                urls.append(url)
    out: dict[str, Any] = {}
    if urls:
        out["externalURLs"] = urls
    if images:
        out["images"] = sorted(images)
    return out


def _pod_spec(obj: Obj) -> Obj:
    spec = obj.get("spec") or {}
    if obj.get("kind") == "Pod":
        return spec
    if obj.get("kind") == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    return ((spec.get("template") or {}).get("spec")) or {}


def _images(obj: Obj) -> list[str]:
    spec = _pod_spec(obj)
    out = []
    for key in ("initContainers", "containers"):
        for container in spec.get(key) or ():
            if isinstance(container, Mapping) and container.get("image"):
                out.append(str(container["image"]))
    return out


def _urls(obj: Obj) -> list[str]:
    out = []
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    for key, value in annotations.items():
        if str(key).startswith(EXTERNAL_LINK_PREFIX) and str(value).startswith(
            ("http://", "https://")
        ):
            out.append(str(value))
    if obj.get("kind") == "Ingress":
        spec = obj.get("spec") or {}
        tls_hosts = {h for t in spec.get("tls") or () for h in (t.get("hosts") or ())}
        for rule in spec.get("rules") or ():
            host = rule.get("host")
            if host and "*" not in host:
                scheme = "https" if host in tls_hosts else "http"
                paths = ((rule.get("http") or {}).get("paths")) or [{}]
                for p in paths:
                    out.append(f"{scheme}://{host}{p.get('path') or '/'}")
    return out
