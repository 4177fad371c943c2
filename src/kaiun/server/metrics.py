"""``/metrics``: Prometheus text format with Argo CD's application metric names.

``argocd_app_info`` and ``argocd_app_condition`` are computed from the Application list at
scrape time (so they are never stale); request metrics (``kaiun_api_requests_total``,
``kaiun_api_request_duration_seconds``, labelled by route template, never the raw path) and
``argocd_webhook_requests_total`` are counted as requests happen. Unauthenticated, like
Argo CD's metrics ports.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kaiun.kube import errors as kerrors
from kaiun.server.context import context_of

REGISTRY = CollectorRegistry(auto_describe=True)
webhook_requests = Counter(
    "argocd_webhook_requests_total",
    "Webhook requests received, by repository.",
    ["repo"],
    registry=REGISTRY,
)
api_requests = Counter(
    "kaiun_api_requests_total",
    "API requests served, by method, route template and status.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
api_latency = Histogram(
    "kaiun_api_request_duration_seconds",
    "API request duration, by method and route template.",
    ["method", "route"],
    registry=REGISTRY,
)

router = APIRouter(tags=["Metrics"])
INFO_LABELS = [
    *("name", "namespace", "project", "repo", "dest_server", "dest_namespace"),
    *("sync_status", "health_status", "operation", "autosync_enabled"),
]


def app_metrics(apps: Iterable[dict[str, Any]]) -> list[Metric]:
    """``argocd_app_info`` and ``argocd_app_condition`` families for ``apps``."""
    info = GaugeMetricFamily(
        "argocd_app_info", "Information about application.", labels=INFO_LABELS
    )
    cond = GaugeMetricFamily(
        "argocd_app_condition",
        "Report application conditions.",
        labels=["name", "namespace", "project", "condition"],
    )
    for app in apps:
        meta, spec = app.get("metadata") or {}, app.get("spec") or {}
        status = app.get("status") or {}
        source: dict[str, Any] = (
            spec.get("source") or next(iter(spec.get("sources") or []), {}) or {}
        )
        dest = spec.get("destination") or {}
        operation = ""
        if app.get("operation"):
            operation = "sync" if "sync" in app["operation"] else "unknown"
        project = str(spec.get("project") or "default")
        automated = ((spec.get("syncPolicy") or {}).get("automated")) is not None
        info.add_metric(
            [
                str(meta.get("name", "")),
                str(meta.get("namespace", "")),
                project,
                str(source.get("repoURL", "")),
                str(dest.get("server") or dest.get("name") or ""),
                str(dest.get("namespace", "")),
                str((status.get("sync") or {}).get("status") or "Unknown"),
                str((status.get("health") or {}).get("status") or "Unknown"),
                operation,
                "true" if automated else "false",
            ],
            1.0,
        )
        for condition in status.get("conditions") or []:
            if isinstance(condition, dict) and condition.get("type"):
                labels = [str(meta.get("name", "")), str(meta.get("namespace", "")), project]
                cond.add_metric([*labels, str(condition["type"])], 1.0)
    return [info, cond]


class _Snapshot:
    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterator[Metric]:
        yield from self.families


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    """Prometheus scrape endpoint."""
    ctx = context_of(request)
    try:
        apps = (await ctx.client.list("argoproj.io/v1alpha1", "Application", ctx.namespace)).items
    except kerrors.KubeError:
        apps = []
    snapshot = CollectorRegistry(auto_describe=False)
    snapshot.register(_Snapshot(app_metrics(apps)))
    body = generate_latest(snapshot) + generate_latest(REGISTRY)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


class RequestMetrics:
    """ASGI middleware counting requests by route template (bounded label values)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            method = str(scope.get("method", ""))
            api_requests.labels(method=method, route=route, status=str(status)).inc()
            api_latency.labels(method=method, route=route).observe(time.perf_counter() - start)


def install(app: FastAPI) -> None:
    """Add the request-metrics middleware and the ``/metrics`` route to ``app``."""
    app.add_middleware(RequestMetrics)
    app.include_router(router)
