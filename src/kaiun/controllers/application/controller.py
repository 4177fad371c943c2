"""The Application controller: watches Applications and AppProjects, runs two worker pools.

Refreshes are queued on: an app's spec (or deletion, finalizers, skip-reconcile) changing,
the refresh annotation, cluster-cache events touching the app's resources, a project
change, and the periodic resync (``timeout.reconciliation`` + jitter; 0 disables).
Operations are queued when an app carries ``operation``. Status and operation processing
have separate pools (``controller.status.processors`` / ``controller.operation.processors``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from kaiun.controllers.application.clusters import Clusters
from kaiun.controllers.application.context import Context, Settings, app_key, health_fn
from kaiun.controllers.application.livesettings import (
    ARGOCD_CM,
    PARAMS_CM,
    SettingsWatcher,
    load_settings,
    settings_from,
)
from kaiun.controllers.application.metrics import (
    ControllerMetrics,
    app_families,
    cluster_families,
)
from kaiun.controllers.application.operation import OperationReconciler
from kaiun.controllers.application.refresh import RefreshReconciler
from kaiun.controllers.repocreds import CredentialsChange, RepoCredentialsWatch
from kaiun.controllers.runtime import Informer, WorkQueue, run_workers
from kaiun.controllers.runtime.metricshttp import MetricsServer
from kaiun.kube import KubeClient
from kaiun.kube import errors as kerrors
from kaiun.kube.cache import CacheEvent, CacheSettings
from kaiun.model.application import (
    API_VERSION,
    KIND,
    SKIP_RECONCILE_ANNOTATION,
    Application,
    ApplicationSpecError,
)
from kaiun.model.appproject import namespace_matches
from kaiun.settings.controller import ControllerSettings

__all__ = ["ApplicationController", "load_settings"]
log = logging.getLogger(__name__)
# Bursts of live-object events (a rollout touches many objects) collapse into one refresh.
EVENT_DEBOUNCE = 0.25
SYNC_WAIT = 120.0


def _fingerprint(obj: dict[str, Any]) -> bytes:
    """What, when it changes, needs a refresh (not status: the controller writes that)."""
    meta = obj.get("metadata") or {}
    return orjson.dumps(
        [
            obj.get("spec"),
            meta.get("deletionTimestamp"),
            meta.get("finalizers"),
            (meta.get("annotations") or {}).get(SKIP_RECONCILE_ANNOTATION),
        ],
        option=orjson.OPT_SORT_KEYS,
    )


class ApplicationController:
    """Reconciles the Applications of one control-plane namespace."""

    def __init__(
        self,
        client: KubeClient,
        repo: Any,
        namespace: str = "argocd",
        *,
        status_processors: int | None = None,
        operation_processors: int | None = None,
        settings: Callable[[ControllerSettings], ControllerSettings] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        metrics_port: int | None = None,
        metrics_host: str = "0.0.0.0",
        metrics_app_labels: Sequence[str] = (),
        metrics_app_conditions: Sequence[str] = (),
        application_namespaces: Sequence[str] | None = None,
        repo_credentials: bool = True,
    ) -> None:
        """``settings`` may adjust what argocd-cm / argocd-cmd-params-cm say (tests, flags);
        ``metrics_port`` serves ``/metrics`` there (None: not served; 0: a free port);
        ``application_namespaces`` overrides argocd-cmd-params-cm's ``application.namespaces``.

        With ``repo_credentials``, an in-process repo service (one with ``set_credentials``)
        is kept supplied with the namespace's repository Secrets, known hosts and CA certs.
        """
        self._app_namespaces = (
            None if application_namespaces is None else tuple(application_namespaces)
        )
        self.client = client
        self.repo = repo
        self.namespace = namespace
        self._status_processors = status_processors
        self._operation_processors = operation_processors
        self._adjust = settings
        self._clock = clock
        self._seen: dict[str, bytes] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self.ctx: Context | None = None
        self.ready = asyncio.Event()
        self.metrics = ControllerMetrics(
            self._state_metrics,
            app_labels=metrics_app_labels,
            app_conditions=metrics_app_conditions,
        )
        self.metrics_server: MetricsServer | None = None
        self._settings_watcher: SettingsWatcher | None = None
        if metrics_port is not None:
            self.metrics_server = MetricsServer(
                self.metrics.exposition, host=metrics_host, port=metrics_port
            )
        self._watch_credentials = repo_credentials and hasattr(repo, "set_credentials")
        self.credentials: RepoCredentialsWatch | None = None

    def _build(self, cm: dict[str, str], params: dict[str, str]) -> tuple[Settings, CacheSettings]:
        """Settings from the maps' data, with this controller's flags applied."""
        settings, cache_settings = settings_from(cm, params)
        cs = settings.controller
        if self._adjust is not None:
            cs = self._adjust(cs)
        if self._status_processors:
            cs = _replace(cs, status_processors=self._status_processors)
        if self._operation_processors:
            cs = _replace(cs, operation_processors=self._operation_processors)
        if self._app_namespaces is not None:
            cs = _replace(cs, application_namespaces=self._app_namespaces)
        settings.controller = cs
        cache_settings = _replace(
            cache_settings,
            tracking_method=cs.tracking_method,
            instance_label_key=cs.instance_label_key,
        )
        return settings, cache_settings

    async def start(self) -> Context:
        """Load settings, start informers, caches and workers; return once listed."""
        cm = await _config_map(self.client, self.namespace, ARGOCD_CM)
        params = await _config_map(self.client, self.namespace, PARAMS_CM)
        settings, cache_settings = self._build(cm, params)
        cs = settings.controller
        refresh_q: WorkQueue[str] = WorkQueue()
        operation_q: WorkQueue[str] = WorkQueue()
        clusters = Clusters(
            self.client,
            self.namespace,
            cache_settings,
            self._on_cache_event,
            health=health_fn(settings.overrides),
        )
        clusters.on_cluster_event = lambda server, event: self.metrics.cluster_events.labels(
            server, event.key.group, event.key.kind
        ).inc()
        await clusters.load_secrets()
        ctx = Context(
            client=self.client,
            repo=self.repo,
            namespace=self.namespace,
            settings=settings,
            apps=self._apps_informer(cs.application_namespaces),
            projects=Informer(
                self.client, API_VERSION, "AppProject", self.namespace, self._on_project
            ),
            clusters=clusters,
            refresh_queue=refresh_q,
            operation_queue=operation_q,
            clock=self._clock,
            metrics=self.metrics,
        )
        self.ctx = ctx
        self._settings_watcher = SettingsWatcher(
            self.client, self.namespace, self._apply_settings, seen=(cm, params)
        )
        await self._settings_watcher.start()
        await ctx.projects.start()
        await ctx.projects.wait_synced(SYNC_WAIT)
        await ctx.apps.start()
        await ctx.apps.wait_synced(SYNC_WAIT)
        if self._watch_credentials:
            # Before the workers: the first renders already need private repositories' creds.
            self.credentials = RepoCredentialsWatch(
                self.client, self.namespace, self.repo, self._on_credentials
            )
            await self.credentials.start()
        self._tasks = [
            asyncio.create_task(
                run_workers(refresh_q, RefreshReconciler(ctx), cs.status_processors, name="refresh")
            ),
            asyncio.create_task(
                run_workers(
                    operation_q, OperationReconciler(ctx), cs.operation_processors, name="operation"
                )
            ),
        ]
        if self.metrics_server is not None:
            await self.metrics_server.start()
            log.info("controller metrics on port %d", self.metrics_server.port)
        self.ready.set()
        log.info(
            "application controller started namespace=%s apps=%d", self.namespace,
            len(ctx.apps.store),
        )  # fmt: skip
        return ctx

    async def run(self) -> None:
        """Start and run until cancelled (or ``stop``)."""
        await self.start()
        try:
            await asyncio.gather(*self._tasks)
        finally:
            await self.stop()

    async def stop(self) -> None:
        """Stop workers, informers and caches."""
        ctx = self.ctx
        if ctx is None:
            return
        if self.metrics_server is not None:
            await self.metrics_server.stop()
        if self._settings_watcher is not None:
            await self._settings_watcher.stop()
            self._settings_watcher = None
        ctx.refresh_queue.shutdown()
        ctx.operation_queue.shutdown()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        if self.credentials is not None:
            await self.credentials.stop()
            self.credentials = None
        await ctx.apps.stop()
        await ctx.projects.stop()
        await ctx.clusters.close()
        self.ctx = None

    def _apps_informer(self, patterns: Sequence[str]) -> Informer:
        """Applications of the control-plane namespace, and with ``application.namespaces``
        those of every matching namespace (watched cluster-wide, filtered here)."""
        if not patterns:
            return Informer(self.client, API_VERSION, KIND, self.namespace, self._on_app)
        control = self.namespace

        def key(obj: dict[str, Any]) -> str | None:
            meta = obj.get("metadata") or {}
            namespace = str(meta.get("namespace") or "")
            if namespace != control and not namespace_matches(patterns, namespace):
                return None
            return app_key(namespace, str(meta.get("name") or ""), control)

        return Informer(self.client, API_VERSION, KIND, None, self._on_app, key=key)

    async def _apply_settings(self, cm: dict[str, str], params: dict[str, str]) -> None:
        """argocd-cm / argocd-cmd-params-cm changed: rebuild the settings, restart the
        cluster caches when what they watch or track changed, and refresh every app."""
        ctx = self.ctx
        if ctx is None:
            return
        try:
            settings, cache_settings = self._build(cm, params)
        except Exception as exc:
            log.error("settings change not applied (the previous settings stay): %s", exc)
            return
        old = ctx.settings
        cs = settings.controller
        if (cs.status_processors, cs.operation_processors, cs.application_namespaces) != (
            old.controller.status_processors, old.controller.operation_processors,
            old.controller.application_namespaces,
        ):  # fmt: skip
            log.warning(
                "processor counts and application.namespaces take effect when the controller "
                "restarts"
            )
        ctx.settings = settings
        if cache_settings != ctx.clusters.cache_settings or settings.overrides != old.overrides:
            await ctx.clusters.reset(cache_settings, health_fn(settings.overrides))
        log.info("settings changed; refreshing %d apps", len(ctx.apps.store))
        for key in list(ctx.apps.store):
            ctx.request_refresh(key)

    # -- event handlers -----------------------------------------------------------------

    def _on_app(self, name: str, obj: dict[str, Any] | None) -> None:
        ctx = self.ctx
        if ctx is None:
            return
        if obj is None:
            self._seen.pop(name, None)
            ctx.last_full.pop(name, None)
            return
        fp = _fingerprint(obj)
        try:
            app = Application.from_dict(obj)
        except ApplicationSpecError:
            ctx.request_refresh(name)
            return
        if self._seen.get(name) != fp or app.refresh is not None:
            self._seen[name] = fp
            ctx.request_refresh(name)
        if app.operation is not None and name not in ctx.running_operations:
            ctx.operation_queue.add(name)

    def _on_project(self, name: str, obj: dict[str, Any] | None) -> None:
        ctx = self.ctx
        if ctx is None:
            return
        for app_name, app in list(ctx.apps.store.items()):
            if ((app.get("spec") or {}).get("project") or "default") == name:
                ctx.request_refresh(app_name)

    def _state_metrics(self) -> list[Any]:
        ctx = self.ctx
        if ctx is None:
            return []
        families = app_families(
            list(ctx.apps.store.values()),
            ctx.dest_server,
            labels=self.metrics.app_labels,
            conditions=self.metrics.app_conditions,
        )
        return [*families, *cluster_families(ctx.clusters.opened(), time.time())]

    def _on_credentials(self, change: CredentialsChange) -> None:
        """Refresh the apps whose repositories are now reached with other credentials."""
        ctx = self.ctx
        if ctx is None:
            return
        for name, obj in list(ctx.apps.store.items()):
            spec = obj.get("spec") or {}
            sources = [spec.get("source") or {}, *(spec.get("sources") or [])]
            urls = {s.get("repoURL") for s in sources if isinstance(s, dict)}
            if any(change.affects(url) for url in urls if isinstance(url, str) and url):
                ctx.request_refresh(name)

    def _on_cache_event(self, event: CacheEvent) -> None:
        ctx = self.ctx
        if ctx is None:
            return
        for instance in event.apps:
            key = instance if instance in ctx.apps.store else ctx.key_of_instance(instance)
            if key in ctx.apps.store:
                ctx.refresh_queue.add_after(key, EVENT_DEBOUNCE)


async def _config_map(client: KubeClient, namespace: str, name: str) -> dict[str, str]:
    try:
        cm = await client.get("v1", "ConfigMap", name, namespace)
    except kerrors.NotFound:
        return {}
    return {str(k): str(v) for k, v in (cm.get("data") or {}).items()}


def _replace(obj: Any, **changes: Any) -> Any:
    return dataclasses.replace(obj, **changes)
