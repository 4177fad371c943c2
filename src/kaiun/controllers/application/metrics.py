"""The controller's Prometheus metrics, with Argo CD's names, labels and buckets.

State metrics (``argocd_app_info``, ``argocd_app_labels``, ``argocd_app_condition``, the
``argocd_cluster_*`` gauges) are computed from the informers at scrape time, so they are
never stale; events (syncs, reconciliations, Kubernetes requests, cluster events) are
counted as they happen. Each controller has its own registry: several controllers (and the
API server's registry) can live in one process without registering a name twice.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from kaiun.kube import client as kclient
from kaiun.repo.urls import normalize_repo_url

APP_LABELS = ["namespace", "name", "project"]
INFO_LABELS = [
    *APP_LABELS,
    *("autosync_enabled", "repo", "dest_server", "dest_namespace"),
    *("sync_status", "health_status", "operation"),
]
# Argo CD's buckets (chosen there after observing a ~2.1 s mean reconciliation).
RECONCILE_BUCKETS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
_LABEL_CHARS = re.compile(r"[^a-zA-Z0-9_]")


def label_name(prefix: str, key: str) -> str:
    """An Application/cluster label key as a Prometheus label name (``label_team``)."""
    return f"{prefix}_{_LABEL_CHARS.sub('_', key)}"


def _autosync(spec: Mapping[str, Any]) -> bool:
    automated = (spec.get("syncPolicy") or {}).get("automated")
    return isinstance(automated, dict) and automated.get("enabled") is not False


def app_families(
    apps: Iterable[Mapping[str, Any]],
    dest_server: Callable[[Mapping[str, Any]], str],
    *,
    labels: Sequence[str] = (),
    conditions: Sequence[str] = (),
) -> list[Metric]:
    """``argocd_app_info`` (and, when asked for, ``argocd_app_labels`` and
    ``argocd_app_condition``) for ``apps``, as Argo CD's application collector builds them."""
    info = GaugeMetricFamily(
        "argocd_app_info", "Information about application.", labels=INFO_LABELS
    )
    by_label = GaugeMetricFamily(
        "argocd_app_labels",
        "Argo Application labels converted to Prometheus labels",
        labels=[*APP_LABELS, *(label_name("label", k) for k in labels)],
    )
    cond = GaugeMetricFamily(
        "argocd_app_condition", "Report application conditions.", labels=[*APP_LABELS, "condition"]
    )
    for app in apps:
        meta, spec = app.get("metadata") or {}, app.get("spec") or {}
        status = app.get("status") or {}
        source = spec.get("source") or next(iter(spec.get("sources") or []), None) or {}
        ident = [
            str(meta.get("namespace", "")),
            str(meta.get("name", "")),
            str(spec.get("project") or "default"),
        ]
        operation = ""
        if meta.get("deletionTimestamp"):
            operation = "delete"
        elif (app.get("operation") or {}).get("sync") is not None:
            operation = "sync"
        repo = str(source.get("repoURL") or "")
        info.add_metric(
            [
                *ident,
                "true" if _autosync(spec) else "false",
                normalize_repo_url(repo) if repo else "",
                dest_server(spec.get("destination") or {}),
                str((spec.get("destination") or {}).get("namespace") or ""),
                str((status.get("sync") or {}).get("status") or "Unknown"),
                str((status.get("health") or {}).get("status") or "Unknown"),
                operation,
            ],
            1.0,
        )
        if labels:
            own = meta.get("labels") or {}
            by_label.add_metric([*ident, *(str(own.get(k, "")) for k in labels)], 1.0)
        if conditions:
            counts: dict[str, int] = {}
            for c in status.get("conditions") or []:
                if isinstance(c, dict) and c.get("type") in conditions:
                    counts[c["type"]] = counts.get(c["type"], 0) + 1
            for kind, n in counts.items():
                cond.add_metric([*ident, kind], float(n))
    families: list[Metric] = [info]
    if labels:
        families.append(by_label)
    if conditions:
        families.append(cond)
    return families


def cluster_families(clusters: Iterable[Any], now: float) -> list[Metric]:
    """``argocd_cluster_*`` gauges of the clusters whose caches have started."""
    info = GaugeMetricFamily(
        "argocd_cluster_info", "Information about cluster.",
        labels=["server", "k8s_version", "name"],
    )  # fmt: skip
    objects = GaugeMetricFamily(
        "argocd_cluster_api_resource_objects", "Number of k8s resource objects in the cache.",
        labels=["server"],
    )  # fmt: skip
    apis = GaugeMetricFamily(
        "argocd_cluster_api_resources", "Number of monitored kubernetes API resources.",
        labels=["server"],
    )  # fmt: skip
    age = GaugeMetricFamily(
        "argocd_cluster_cache_age_seconds", "Cluster cache age in seconds.", labels=["server"]
    )
    connected = GaugeMetricFamily(
        "argocd_cluster_connection_status", "The k8s cluster current connection status.",
        labels=["server", "k8s_version"],
    )  # fmt: skip
    for cluster in clusters:
        status = cluster.cache.status()
        info.add_metric([cluster.server, cluster.version, cluster.name], 1.0)
        objects.add_metric([cluster.server], float(status.objects))
        apis.add_metric([cluster.server], float(status.kinds))
        age.add_metric([cluster.server], max(0.0, now - cluster.opened_at))
        ok = status.synced and status.error is None
        connected.add_metric([cluster.server, cluster.version], 1.0 if ok else 0.0)
    return [info, objects, apis, age, connected]


class _Collect:
    def __init__(self, make: Callable[[], list[Metric]]) -> None:
        self._make = make

    def collect(self) -> Iterator[Metric]:
        yield from self._make()


# Kubernetes API verbs as client-go's request metrics name them.
def _verb(method: str, path: str, watch: bool) -> str:
    if method == "GET":
        if watch:
            return "Watch"
        return "Get" if _named(path) else "List"
    return {"POST": "Create", "PUT": "Update", "PATCH": "Patch", "DELETE": "Delete"}.get(
        method, "Unknown"
    )


def _split(path: str) -> tuple[str, str, str]:
    """(resource, namespace, name) of an API path (``/api/v1/namespaces/ns/pods/x``)."""
    parts = [p for p in path.split("?")[0].split("/") if p]
    rest = parts[2:] if parts[:1] == ["api"] else parts[3:]
    namespace = ""
    if len(rest) >= 2 and rest[0] == "namespaces" and len(rest) != 2:
        namespace, rest = rest[1], rest[2:]
    resource = rest[0] if rest else ""
    name = rest[1] if len(rest) > 1 else ""
    return resource, namespace, name


def _named(path: str) -> bool:
    return bool(_split(path)[2])


class ControllerMetrics:
    """The registry behind ``/metrics`` of one Application controller."""

    def __init__(
        self,
        state: Callable[[], list[Metric]] | None = None,
        *,
        app_labels: Sequence[str] = (),
        app_conditions: Sequence[str] = (),
    ) -> None:
        self.app_labels = tuple(app_labels)
        self.app_conditions = tuple(app_conditions)
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.syncs = Counter(
            "argocd_app_sync_total", "Number of application syncs.",
            [*APP_LABELS, "dest_server", "phase", "dry_run"], registry=r,
        )  # fmt: skip
        self.sync_seconds = Counter(
            "argocd_app_sync_duration_seconds_total",
            "Application sync performance in seconds total.",
            [*APP_LABELS, "dest_server"], registry=r,
        )  # fmt: skip
        self.k8s_requests = Counter(
            "argocd_app_k8s_request_total",
            "Number of kubernetes requests executed during application reconciliation.",
            [*APP_LABELS, "server", "response_code", "verb", "resource_kind",
             "resource_namespace", "dry_run"], registry=r,
        )  # fmt: skip
        self.reconciles = Histogram(
            "argocd_app_reconcile", "Application reconciliation performance in seconds.",
            ["namespace", "dest_server"], buckets=RECONCILE_BUCKETS, registry=r,
        )  # fmt: skip
        self.orphans = Gauge(
            "argocd_app_orphaned_resources_count", "Number of orphaned resources per application",
            APP_LABELS, registry=r,
        )  # fmt: skip
        self.cluster_events = Counter(
            "argocd_cluster_events_total", "Number of processes k8s resource events.",
            ["server", "group", "kind"], registry=r,
        )  # fmt: skip
        if state is not None:
            r.register(_Collect(state))

    def exposition(self) -> bytes:
        """The registry in Prometheus text format."""
        return generate_latest(self.registry)

    def sync_finished(
        self, ident: Sequence[str], dest_server: str, state: Mapping[str, Any]
    ) -> None:
        """Count a completed operation (``ident`` is namespace, name, project)."""
        phase = str(state.get("phase") or "")
        if phase not in ("Succeeded", "Failed", "Error"):
            return
        dry_run = bool(((state.get("operation") or {}).get("sync") or {}).get("dryRun"))
        self.syncs.labels(*ident, dest_server, phase, str(dry_run).lower()).inc()
        started, finished = state.get("startedAt"), state.get("finishedAt")
        if started and finished:
            from datetime import datetime

            seconds = (
                datetime.fromisoformat(str(finished)) - datetime.fromisoformat(str(started))
            ).total_seconds()
            self.sync_seconds.labels(*ident, dest_server).inc(max(0.0, seconds))

    @contextlib.contextmanager
    def requests_of(
        self, ident: Sequence[str], server: str, *, dry_run: bool = False
    ) -> Iterator[None]:
        """Count the Kubernetes requests made inside the block for the app ``ident``."""
        dry = str(dry_run).lower()

        def observe(method: str, path: str, status: int, params: Mapping[str, Any] | None) -> None:
            watch = bool(params and str(params.get("watch", "")).lower() in ("1", "true"))
            resource, namespace, _ = _split(path)
            verb = _verb(method, path, watch)
            if verb == "Unknown":
                resource = namespace = "Unknown"
            self.k8s_requests.labels(
                *ident, server, str(status), verb, resource, namespace, dry
            ).inc()

        token = kclient.REQUEST_OBSERVER.set(observe)
        try:
            yield
        finally:
            kclient.REQUEST_OBSERVER.reset(token)

    @contextlib.contextmanager
    def reconciling(self, namespace: str, dest_server: Callable[[], str]) -> Iterator[None]:
        """Time one reconciliation into ``argocd_app_reconcile``."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.reconciles.labels(namespace, dest_server()).observe(time.perf_counter() - start)
